package dev.imagedisk.csisanity;

import static dev.imagedisk.csisanity.Codes.assertCode;
import static dev.imagedisk.csisanity.Codes.assertCodeIn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.CreateVolumeRequest;
import csi.v1.ListVolumesRequest;
import csi.v1.PluginCapability;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import csi.v1.VolumeContentSource;
import dev.imagedisk.csi.requests.CsiRequests;
import dev.imagedisk.stack.SampleImage;
import io.grpc.Status;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** CreateVolume: required fields, idempotency, ALREADY_EXISTS, capacity, parameters, topology. */
class CreateVolumeTest extends SanityTest {
    @Test
    @DisplayName("no name: INVALID_ARGUMENT (upstream: should fail when no name is provided)")
    void missingName() {
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> res.createVolume(res.createRequest("x").clearName().build()),
                "CreateVolume without name");
    }

    @Test
    @DisplayName("no volume_capabilities: INVALID_ARGUMENT (upstream)")
    void missingCapabilities() {
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> res.createVolume(
                        res.createRequest("nocaps").clearVolumeCapabilities().build()),
                "CreateVolume without volume_capabilities");
    }

    @Test
    @DisplayName("a capability without access type, or without access mode: INVALID_ARGUMENT")
    void incompleteCapability() {
        VolumeCapability noType = VolumeCapability.newBuilder()
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_WRITER))
                .build();
        VolumeCapability noMode = VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.getDefaultInstance())
                .build();
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> res.createVolume(res.createRequest("notype")
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(noType)
                        .build()),
                "capability without access type");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> res.createVolume(res.createRequest("nomode")
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(noMode)
                        .build()),
                "capability without access mode");
    }

    @Test
    @DisplayName("an access mode a zonal disk cannot offer (MULTI_NODE_MULTI_WRITER): INVALID_ARGUMENT")
    void unsupportedAccessMode() {
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> res.createVolume(res.createRequest("mnmw")
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(
                                CsiRequests.mount(VolumeCapability.AccessMode.Mode.MULTI_NODE_MULTI_WRITER))
                        .build()),
                "CreateVolume MULTI_NODE_MULTI_WRITER");
    }

    @Test
    @DisplayName("creates a 10 GiB volume in the node's zone; the same request again answers the same volume")
    void createsIdempotently() {
        CreateVolumeRequest req = res.createRequest("create").build();
        Volume first = res.createVolume(req).getVolume();
        assertFalse(first.getVolumeId().isEmpty(), "volume_id is REQUIRED");
        assertTrue(
                first.getCapacityBytes() >= Csi.SIZE,
                "capacity_bytes " + first.getCapacityBytes() + " is below the required " + Csi.SIZE);
        if (csi.has(PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS)) {
            assertTrue(
                    first.getAccessibleTopologyList().contains(csi.nodeTopology),
                    "the volume is not accessible from the node's topology " + Codes.oneLine(csi.nodeTopology) + ": "
                            + first.getAccessibleTopologyList());
        }
        for (int i = 0; i < 3; i++) {
            assertEquals(first, res.createVolume(req).getVolume(), "a repeated CreateVolume answered differently");
        }
        if (csi.has(Type.GET_VOLUME)) {
            Volume got = csi.controller()
                    .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                            .setVolumeId(first.getVolumeId())
                            .build())
                    .getVolume();
            assertEquals(first.getVolumeId(), got.getVolumeId());
            assertEquals(first.getCapacityBytes(), got.getCapacityBytes());
        }
    }

    @Test
    @DisplayName("same name, different size: ALREADY_EXISTS (upstream)")
    void sameNameDifferentSize() {
        CreateVolumeRequest.Builder req = res.createRequest("twice-size")
                .setCapacityRange(
                        CapacityRange.newBuilder().setRequiredBytes(Csi.SIZE).setLimitBytes(Csi.SIZE));
        res.createVolume(req.build());
        assertCode(
                Status.Code.ALREADY_EXISTS,
                () -> res.createVolume(req.setCapacityRange(CapacityRange.newBuilder()
                                .setRequiredBytes(2 * Csi.SIZE)
                                .setLimitBytes(2 * Csi.SIZE))
                        .build()),
                "CreateVolume again with twice the size");
    }

    @Test
    @DisplayName("same name, different image: ALREADY_EXISTS")
    void sameNameDifferentImage() {
        Optional<String> other = csi.secondImage();
        assumeTrue(other.isPresent(), "needs a second image (-Dcsi.image2 with an external endpoint)");
        CreateVolumeRequest.Builder req = res.createRequest("twice-image");
        res.createVolume(req.build());
        assertCode(
                Status.Code.ALREADY_EXISTS,
                () -> res.createVolume(req.putParameters("image", other.get()).build()),
                "CreateVolume again from another image");
    }

    @Test
    @DisplayName("names of 128 characters with upper case (as upstream makes them): created, idempotent, distinct")
    void longNames() {
        // upstream: UniqueStringWithLength("sanity-controller-create-maxlen", 128), e.g. ...-1A2B3C4D-5E6F7A8B
        String base = ("sanity-controller-create-maxlen-" + csi.runId.toUpperCase() + "-");
        String a = (base + "A".repeat(128)).substring(0, 127) + "A";
        String b = (base + "A".repeat(128)).substring(0, 127) + "B";
        Volume va = res.createVolume(res.createRequest("x").setName(a).build()).getVolume();
        Volume vb = res.createVolume(res.createRequest("x").setName(b).build()).getVolume();
        assertTrue(va.getCapacityBytes() >= Csi.SIZE);
        assertNotEquals(
                va.getVolumeId(),
                vb.getVolumeId(),
                "two names that differ in their last character got the" + " same volume");
        assertEquals(
                va.getVolumeId(),
                res.createVolume(res.createRequest("x").setName(a).build())
                        .getVolume()
                        .getVolumeId(),
                "repeating the long-name request answered another volume");
    }

    @Test
    @DisplayName("no capacity_range: OK with a capacity the plugin chooses (capacity_range is OPTIONAL)")
    void noCapacityRange() {
        // upstream creates volumes without capacity_range in "volume lifecycle", "ControllerPublishVolume
        // should fail when the node does not exist" and "... already published but is incompatible"
        Volume v = res.createVolume(
                        res.createRequest("nocap").clearCapacityRange().build())
                .getVolume();
        assertTrue(
                v.getCapacityBytes() == 0 || v.getCapacityBytes() >= Csi.GIB,
                "capacity_bytes " + v.getCapacityBytes()
                        + " is below the image's size of at least 1 GiB (0 would mean unknown)");
        assertFalse(v.getVolumeId().isEmpty(), "volume_id is REQUIRED");
    }

    @Test
    @DisplayName("a capacity range the disk type cannot meet (limit 1 GiB for hyperdisk-balanced): OUT_OF_RANGE")
    void capacityBelowTypeMinimum() {
        assertCode(
                Status.Code.OUT_OF_RANGE,
                () -> res.createVolume(res.createRequest("tiny")
                        .putParameters("type", "hyperdisk-balanced")
                        .setCapacityRange(CapacityRange.newBuilder()
                                .setRequiredBytes(Csi.GIB)
                                .setLimitBytes(Csi.GIB))
                        .build()),
                "CreateVolume of at most 1 GiB of hyperdisk-balanced (minimum 4 GB)");
    }

    @Test
    @DisplayName("limit_bytes below required_bytes: INVALID_ARGUMENT or OUT_OF_RANGE; negative bytes: INVALID_ARGUMENT")
    void malformedCapacityRange() {
        assertCodeIn(
                "limit below required",
                () -> res.createVolume(res.createRequest("badrange")
                        .setCapacityRange(CapacityRange.newBuilder()
                                .setRequiredBytes(2 * Csi.SIZE)
                                .setLimitBytes(Csi.SIZE))
                        .build()),
                Status.Code.INVALID_ARGUMENT,
                Status.Code.OUT_OF_RANGE);
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> res.createVolume(res.createRequest("negative")
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(-1))
                        .build()),
                "negative required_bytes");
    }

    @Test
    @DisplayName("volume_content_source without snapshot/clone capabilities: INVALID_ARGUMENT")
    void contentSourceUnsupported() {
        assumeTrue(
                !csi.has(Type.CREATE_DELETE_SNAPSHOT) && !csi.has(Type.CLONE_VOLUME),
                "the plugin advertises snapshots or cloning");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> res.createVolume(res.createRequest("fromsnap")
                        .setVolumeContentSource(VolumeContentSource.newBuilder()
                                .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                                        .setSnapshotId("non-existing-snapshot-id")))
                        .build()),
                "CreateVolume from a snapshot");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> res.createVolume(res.createRequest("fromvol")
                        .setVolumeContentSource(VolumeContentSource.newBuilder()
                                .setVolume(VolumeContentSource.VolumeSource.newBuilder()
                                        .setVolumeId("fake-vol-id")))
                        .build()),
                "CreateVolume from a volume");
    }

    @Test
    @DisplayName("volume_content_source naming a snapshot or volume that does not exist: NOT_FOUND")
    void contentSourceMissing() {
        assumeTrue(
                csi.has(Type.CREATE_DELETE_SNAPSHOT) && csi.has(Type.CLONE_VOLUME),
                "the plugin advertises no snapshots or no cloning");
        assertCode(
                Status.Code.NOT_FOUND,
                () -> res.createVolume(res.createRequest("fromsnap")
                        .setVolumeContentSource(VolumeContentSource.newBuilder()
                                .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                                        .setSnapshotId("non-existing-snapshot-id")))
                        .build()),
                "CreateVolume from a snapshot id that is no image");
        assertCode(
                Status.Code.NOT_FOUND,
                () -> res.createVolume(res.createRequest("fromvol")
                        .setVolumeContentSource(VolumeContentSource.newBuilder()
                                .setVolume(VolumeContentSource.VolumeSource.newBuilder()
                                        .setVolumeId("fake-vol-id")))
                        .build()),
                "CreateVolume from a volume id that names nothing");
    }

    @Test
    @DisplayName("mutable_parameters without MODIFY_VOLUME: INVALID_ARGUMENT")
    void mutableParametersUnsupported() {
        assumeTrue(!csi.has(Type.MODIFY_VOLUME), "the plugin advertises MODIFY_VOLUME");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> res.createVolume(res.createRequest("mutable")
                        .putMutableParams("XXX_FakeKey", "XXX_FakeValue")
                        .build()),
                "CreateVolume with mutable_parameters");
    }

    @Test
    @DisplayName("mutable_parameters with MODIFY_VOLUME: an unknown key is INVALID_ARGUMENT, and no volume")
    void mutableParametersUnknownKey() {
        assumeTrue(csi.has(Type.MODIFY_VOLUME), "the plugin does not advertise MODIFY_VOLUME");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> res.createVolume(res.createRequest("mutable-unknown")
                        .putMutableParams("XXX_FakeKey", "XXX_FakeValue")
                        .build()),
                "CreateVolume with an unknown mutable parameter");
    }

    @Test
    @DisplayName("StorageClass parameters: no image, an unknown key: INVALID_ARGUMENT; an image that does not exist: "
            + "an error, and no volume")
    void parameters() {
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> res.createVolume(
                        res.createRequest("noimage").removeParameters("image").build()),
                "CreateVolume without the image parameter");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> res.createVolume(res.createRequest("unknownkey")
                        .putParameters("no-such-parameter", "1")
                        .build()),
                "CreateVolume with an unknown parameter");
        int before = csi.has(Type.LIST_VOLUMES) ? listCount() : -1;
        String missing = csi.image.replaceAll("/[^/]+$", "/sanity-no-such-image");
        assertCodeIn(
                "CreateVolume from an image that does not exist",
                () -> res.createVolume(res.createRequest("noimg")
                        .putParameters("image", missing)
                        .build()),
                Status.Code.NOT_FOUND,
                Status.Code.INVALID_ARGUMENT,
                Status.Code.FAILED_PRECONDITION);
        if (before >= 0 && csi.local().isPresent()) {
            assertEquals(before, listCount(), "a failed CreateVolume left a volume behind");
        }
    }

    @Test
    @DisplayName("an image family works as the image parameter")
    void imageFamily() {
        assumeTrue(csi.local().isPresent(), "knows the sample image's family only on the local stack");
        String family = csi.image.replaceAll("/images/[^/]+$", "/images/family/" + SampleImage.FAMILY);
        Volume v = res.createVolume(res.createRequest("family")
                        .putParameters("image", family)
                        .build())
                .getVolume();
        assertTrue(v.getCapacityBytes() >= Csi.SIZE);
    }

    @Test
    @DisplayName(
            "single-node modes (SINGLE_NODE_SINGLE_WRITER, SINGLE_NODE_MULTI_WRITER) when SINGLE_NODE_MULTI_WRITER,"
                    + " block access, several capabilities at once")
    void otherCapabilities() {
        assumeTrue(csi.has(Type.SINGLE_NODE_MULTI_WRITER), "SINGLE_NODE_MULTI_WRITER not advertised");
        Volume v = res.createVolume(res.createRequest("modes")
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(CsiRequests.mount(Mode.SINGLE_NODE_SINGLE_WRITER))
                        .addVolumeCapabilities(CsiRequests.mount(Mode.SINGLE_NODE_MULTI_WRITER))
                        .addVolumeCapabilities(CsiRequests.block(Mode.SINGLE_NODE_WRITER))
                        .build())
                .getVolume();
        assertFalse(v.getVolumeId().isEmpty());
    }

    @Test
    @DisplayName("topology: a volume required in the node's zone is made there; an unknown zone is refused")
    void topology() {
        assumeTrue(
                csi.has(PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS),
                "VOLUME_ACCESSIBILITY_CONSTRAINTS not advertised");
        Volume v = res.createVolume(res.createRequest("requisite")
                        .setAccessibilityRequirements(
                                TopologyRequirement.newBuilder().addRequisite(csi.nodeTopology))
                        .build())
                .getVolume();
        assertEquals(java.util.List.of(csi.nodeTopology), v.getAccessibleTopologyList());
        Topology nowhere = Topology.newBuilder()
                .putSegments(Csi.TOPOLOGY_KEY, "no-such-zone1-z")
                .build();
        assertCodeIn(
                "CreateVolume required in a zone that does not exist",
                () -> res.createVolume(res.createRequest("nowhere")
                        .setAccessibilityRequirements(
                                TopologyRequirement.newBuilder().addRequisite(nowhere))
                        .build()),
                Status.Code.INVALID_ARGUMENT,
                Status.Code.RESOURCE_EXHAUSTED,
                Status.Code.NOT_FOUND);
    }

    private int listCount() {
        return csi.controller()
                .listVolumes(ListVolumesRequest.getDefaultInstance())
                .getEntriesCount();
    }
}
