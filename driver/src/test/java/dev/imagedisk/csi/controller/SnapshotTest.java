package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.ControllerFixture.FAMILY;
import static dev.imagedisk.csi.controller.ControllerFixture.GIB;
import static dev.imagedisk.csi.controller.ControllerFixture.IMAGE_GB;
import static dev.imagedisk.csi.controller.ControllerFixture.OTHER_ZONE;
import static dev.imagedisk.csi.controller.ControllerFixture.PROJECT;
import static dev.imagedisk.csi.controller.ControllerFixture.ZONE;
import static dev.imagedisk.csi.controller.ControllerFixture.create;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerGetCapabilitiesRequest;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerServiceCapability;
import csi.v1.CreateSnapshotRequest;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.ListSnapshotsRequest;
import csi.v1.ListSnapshotsResponse;
import csi.v1.Snapshot;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import csi.v1.Volume;
import csi.v1.VolumeContentSource;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Snapshots (global images), volumes from snapshots and clones, against the emulator over a real socket. */
class SnapshotTest {
    @RegisterExtension
    static final ControllerFixture f = ControllerFixture.perClass(Duration.ofMillis(20));

    private static CreateSnapshotRequest.Builder snap(String name, String source) {
        return CreateSnapshotRequest.newBuilder().setName(name).setSourceVolumeId(source);
    }

    private static void assertCode(Status.Code code, String needle, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(
                e.getStatus().getDescription().contains(needle), e.getStatus().getDescription());
    }

    private static String imageJson(String name) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(f.emulator.baseUrl() + "/compute/v1/projects/" + PROJECT
                                        + "/global/images/" + name))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? r.body() : null;
    }

    @Test
    void advertisesSnapshotsListingAndClones() {
        List<ControllerServiceCapability.RPC.Type> types = new ArrayList<>();
        f.stub()
                .controllerGetCapabilities(ControllerGetCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList()
                .forEach(c -> types.add(c.getRpc().getType()));
        assertTrue(
                types.containsAll(List.of(
                        ControllerServiceCapability.RPC.Type.CREATE_DELETE_SNAPSHOT,
                        ControllerServiceCapability.RPC.Type.LIST_SNAPSHOTS,
                        ControllerServiceCapability.RPC.Type.CLONE_VOLUME)),
                types.toString());
    }

    @Test
    void createSnapshotMakesAManagedImageInTheFamilyIdempotently() throws Exception {
        String vol = f.volume("snap-src-1");
        Snapshot s = f.stub()
                .createSnapshot(snap("snapshot-1", vol)
                        .putParameters("image-family", "runtime")
                        .putParameters("labels", "team=ml")
                        .putParameters("snapshot-type", "images")
                        .putParameters("csi.storage.k8s.io/volumesnapshot/name", "sd-next")
                        .putParameters("csi.storage.k8s.io/volumesnapshot/namespace", "web")
                        .putParameters("csi.storage.k8s.io/volumesnapshotcontent/name", "snapcontent-1")
                        .build())
                .getSnapshot();
        assertEquals("projects/" + PROJECT + "/global/images/snapshot-1", s.getSnapshotId());
        assertEquals(vol, s.getSourceVolumeId());
        assertTrue(s.getReadyToUse());
        assertEquals(IMAGE_GB * GIB, s.getSizeBytes());
        assertTrue(s.getCreationTime().getSeconds() > 0);
        String json = imageJson("snapshot-1");
        assertTrue(json.contains("\"imagedisk-csi\":\"managed\""), json);
        assertTrue(json.contains("\"team\":\"ml\""), json);
        assertTrue(json.contains("\"family\":\"runtime\""), json);
        assertTrue(json.contains("sd-next") && json.contains("snapcontent-1"), json);

        Snapshot again =
                f.stub().createSnapshot(snap("snapshot-1", vol).build()).getSnapshot();
        assertEquals(s.getSnapshotId(), again.getSnapshotId());
        String other = f.volume("snap-src-2");
        assertCode(
                Status.Code.ALREADY_EXISTS,
                "snapshot-1",
                () -> f.stub().createSnapshot(snap("snapshot-1", other).build()));
    }

    @Test
    void createSnapshotChecksItsRequest() {
        String vol = f.volume("snap-src-3");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                "frobnicate",
                () -> f.stub()
                        .createSnapshot(snap("s-bad-1", vol)
                                .putParameters("frobnicate", "1")
                                .build()));
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                "snapshot-type",
                () -> f.stub()
                        .createSnapshot(snap("s-bad-2", vol)
                                .putParameters("snapshot-type", "snapshots")
                                .build()));
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                "name",
                () -> f.stub().createSnapshot(snap("x".repeat(129), vol).build()));
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                "source_volume_id",
                () -> f.stub().createSnapshot(snap("s-bad-3", "").build()));
        assertCode(
                Status.Code.NOT_FOUND,
                "does not exist",
                () -> f.stub()
                        .createSnapshot(snap("s-bad-4", "projects/" + PROJECT + "/zones/" + ZONE + "/disks/missing")
                                .build()));
    }

    @Test
    void createSnapshotOfAnAttachedVolumeIsCrashConsistent() {
        String vol = f.volume("snap-attached");
        f.stub()
                .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                        .setVolumeId(vol)
                        .setNodeId(ControllerFixture.nodeId(ControllerFixture.NODE_1))
                        .setVolumeCapability(ControllerFixture.mountWriter())
                        .build());
        Snapshot s =
                f.stub().createSnapshot(snap("snapshot-attached", vol).build()).getSnapshot();
        assertTrue(s.getReadyToUse());
    }

    @Test
    void deleteSnapshotRemovesOnlyTheDriversImages() throws Exception {
        String vol = f.volume("snap-src-del");
        String id = f.stub()
                .createSnapshot(snap("snapshot-del", vol).build())
                .getSnapshot()
                .getSnapshotId();
        f.stub()
                .deleteSnapshot(
                        DeleteSnapshotRequest.newBuilder().setSnapshotId(id).build());
        assertEquals(null, imageJson("snapshot-del"));
        f.stub()
                .deleteSnapshot(
                        DeleteSnapshotRequest.newBuilder().setSnapshotId(id).build()); // gone: OK

        f.emulator.registerImage(PROJECT, "golden-v1", "golden", 10);
        f.stub()
                .deleteSnapshot(DeleteSnapshotRequest.newBuilder()
                        .setSnapshotId("projects/" + PROJECT + "/global/images/golden-v1")
                        .build());
        assertTrue(imageJson("golden-v1") != null, "a pre-made image stays");
        f.stub()
                .deleteSnapshot(DeleteSnapshotRequest.newBuilder()
                        .setSnapshotId("no-such-id")
                        .build());
    }

    @Test
    void listSnapshotsByIdBySourceAndInPages() {
        String a = f.volume("list-src-a");
        String b = f.volume("list-src-b");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(f.stub()
                    .createSnapshot(snap("list-a-" + i, a).build())
                    .getSnapshot()
                    .getSnapshotId());
        }
        f.stub().createSnapshot(snap("list-b-0", b).build());

        ListSnapshotsResponse bySource = f.stub()
                .listSnapshots(
                        ListSnapshotsRequest.newBuilder().setSourceVolumeId(a).build());
        assertEquals(
                ids,
                bySource.getEntriesList().stream()
                        .map(e -> e.getSnapshot().getSnapshotId())
                        .toList());

        // any image by id, the driver's or not: a pre-provisioned content becomes ready
        String base = "projects/" + PROJECT + "/global/images/" + ControllerFixture.IMAGE;
        ListSnapshotsResponse byId = f.stub()
                .listSnapshots(
                        ListSnapshotsRequest.newBuilder().setSnapshotId(base).build());
        assertEquals(1, byId.getEntriesCount());
        assertTrue(byId.getEntries(0).getSnapshot().getReadyToUse());
        ListSnapshotsResponse byFamily = f.stub()
                .listSnapshots(ListSnapshotsRequest.newBuilder()
                        .setSnapshotId("projects/" + PROJECT + "/global/images/family/" + FAMILY)
                        .build());
        assertEquals(1, byFamily.getEntriesCount());
        assertEquals(
                0,
                f.stub()
                        .listSnapshots(ListSnapshotsRequest.newBuilder()
                                .setSnapshotId("projects/" + PROJECT + "/global/images/none")
                                .build())
                        .getEntriesCount());

        List<String> paged = new ArrayList<>();
        String token = "";
        do {
            ListSnapshotsResponse page = f.stub()
                    .listSnapshots(ListSnapshotsRequest.newBuilder()
                            .setSourceVolumeId(a)
                            .setMaxEntries(2)
                            .setStartingToken(token)
                            .build());
            assertTrue(page.getEntriesCount() <= 2);
            page.getEntriesList().forEach(e -> paged.add(e.getSnapshot().getSnapshotId()));
            token = page.getNextToken();
        } while (!token.isEmpty());
        assertEquals(ids, paged);
        assertCode(
                Status.Code.ABORTED,
                "starting_token",
                () -> f.stub()
                        .listSnapshots(ListSnapshotsRequest.newBuilder()
                                .setStartingToken("bogus")
                                .build()));
    }

    @Test
    void volumeFromASnapshotOrAFamilyEchoesItsSource() {
        String vol = f.volume("restore-src");
        String id = f.stub()
                .createSnapshot(snap("restore-snap", vol)
                        .putParameters("image-family", "restore-fam")
                        .build())
                .getSnapshot()
                .getSnapshotId();
        VolumeContentSource source = VolumeContentSource.newBuilder()
                .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(id))
                .build();
        Volume v = f.stub()
                .createVolume(create("restored-1")
                        .clearParameters()
                        .setVolumeContentSource(source)
                        .build())
                .getVolume();
        assertEquals(source, v.getContentSource());
        assertTrue(
                v.getVolumeContextOrThrow("image").endsWith(id),
                v.getVolumeContextMap().toString());
        // idempotent with the same source; another source is ALREADY_EXISTS
        f.stub()
                .createVolume(create("restored-1")
                        .clearParameters()
                        .setVolumeContentSource(source)
                        .build());
        assertCode(
                Status.Code.ALREADY_EXISTS,
                "restored-1",
                () -> f.stub().createVolume(create("restored-1").build()));

        VolumeContentSource family = VolumeContentSource.newBuilder()
                .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                        .setSnapshotId("projects/" + PROJECT + "/global/images/family/restore-fam"))
                .build();
        Volume fromFamily = f.stub()
                .createVolume(
                        create("restored-2").setVolumeContentSource(family).build())
                .getVolume();
        assertTrue(fromFamily.getVolumeContextOrThrow("image").endsWith(id), "the source wins over the image");

        VolumeContentSource missing = VolumeContentSource.newBuilder()
                .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                        .setSnapshotId("projects/" + PROJECT + "/global/images/missing"))
                .build();
        assertCode(
                Status.Code.NOT_FOUND,
                "missing",
                () -> f.stub()
                        .createVolume(create("restored-3")
                                .setVolumeContentSource(missing)
                                .build()));
    }

    @Test
    void cloneLandsInTheSourcesZoneAtLeastAsLarge() {
        String src = f.stub()
                .createVolume(create("clone-src")
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(12 * GIB))
                        .build())
                .getVolume()
                .getVolumeId();
        VolumeContentSource source = VolumeContentSource.newBuilder()
                .setVolume(VolumeContentSource.VolumeSource.newBuilder().setVolumeId(src))
                .build();
        Volume clone = f.stub()
                .createVolume(create("clone-1")
                        .clearParameters()
                        .setVolumeContentSource(source)
                        .build())
                .getVolume();
        assertEquals(source, clone.getContentSource());
        assertEquals(12 * GIB, clone.getCapacityBytes());
        assertTrue(clone.getVolumeId().contains("/zones/" + ZONE + "/"));
        f.stub()
                .createVolume(create("clone-1")
                        .clearParameters()
                        .setVolumeContentSource(source)
                        .build());

        TopologyRequirement elsewhere = TopologyRequirement.newBuilder()
                .addRequisite(Topology.newBuilder().putSegments("topology.imagedisk.csi.dev/zone", OTHER_ZONE))
                .build();
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .createVolume(create("clone-2")
                                .setVolumeContentSource(source)
                                .setAccessibilityRequirements(elsewhere)
                                .build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(
                e.getStatus().getDescription().contains(ZONE)
                        && e.getStatus().getDescription().contains(OTHER_ZONE),
                e.getStatus().getDescription());

        VolumeContentSource missing = VolumeContentSource.newBuilder()
                .setVolume(VolumeContentSource.VolumeSource.newBuilder()
                        .setVolumeId("projects/" + PROJECT + "/zones/" + ZONE + "/disks/nope"))
                .build();
        assertCode(
                Status.Code.NOT_FOUND,
                "nope",
                () -> f.stub()
                        .createVolume(create("clone-3")
                                .setVolumeContentSource(missing)
                                .build()));
    }

    @Test
    void aNameMadeAgainRightAfterItsDeletionIsMadeAnew() throws Exception {
        // the same name gives the same request id, which Compute Engine answers with the first (done) operation
        String vol = f.volume("reused-volume");
        f.stub()
                .deleteVolume(
                        csi.v1.DeleteVolumeRequest.newBuilder().setVolumeId(vol).build());
        assertEquals(vol, f.volume("reused-volume"));
        String id = f.stub()
                .createSnapshot(snap("reused-snapshot", vol).build())
                .getSnapshot()
                .getSnapshotId();
        f.stub()
                .deleteSnapshot(
                        DeleteSnapshotRequest.newBuilder().setSnapshotId(id).build());
        assertEquals(null, imageJson("reused-snapshot"));
        assertTrue(f.stub()
                .createSnapshot(snap("reused-snapshot", vol).build())
                .getSnapshot()
                .getReadyToUse());
        assertTrue(imageJson("reused-snapshot") != null);
    }

    @Test
    void volumeNamesLongerThan128BytesAreRefused() {
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                "128",
                () -> f.stub().createVolume(create("v".repeat(100_000)).build()));
        assertFalse(f.stub()
                .createVolume(create("v".repeat(128)).build())
                .getVolume()
                .getVolumeId()
                .isEmpty());
    }
}
