package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.FakeController.FAMILY;
import static dev.imagedisk.csi.controller.FakeController.IMAGE;
import static dev.imagedisk.csi.controller.FakeController.OTHER_ZONE;
import static dev.imagedisk.csi.controller.FakeController.PROJECT;
import static dev.imagedisk.csi.controller.FakeController.ZONE;
import static dev.imagedisk.csi.controller.FakeController.create;
import static dev.imagedisk.csi.controller.FakeController.zone;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateSnapshotResponse;
import csi.v1.CreateVolumeRequest;
import csi.v1.CreateVolumeResponse;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.DeleteSnapshotResponse;
import csi.v1.ListSnapshotsRequest;
import csi.v1.ListSnapshotsResponse;
import csi.v1.TopologyRequirement;
import csi.v1.ValidateVolumeCapabilitiesRequest;
import csi.v1.ValidateVolumeCapabilitiesResponse;
import csi.v1.VolumeContentSource;
import dev.imagedisk.csi.cloud.CloudException.Kind;
import dev.imagedisk.csi.cloud.Image;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.contract.GceNames;
import io.grpc.Status.Code;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Snapshot, restore and clone logic on the in-memory cloud, by direct calls. */
class SnapshotLogicTest {
    private static final long GIB = 1L << 30;
    private final FakeController f = new FakeController();

    private String newVolume(String name) {
        return f.call(f.service::createVolume, create(name).build())
                .value()
                .getVolume()
                .getVolumeId();
    }

    private Answer<CreateSnapshotResponse> snapshot(String name, String source, Map<String, String> params) {
        return f.call(
                f.service::createSnapshot,
                CreateSnapshotRequest.newBuilder()
                        .setName(name)
                        .setSourceVolumeId(source)
                        .putAllParameters(params)
                        .build());
    }

    private Answer<CreateVolumeResponse> createVolume(CreateVolumeRequest request) {
        return f.call(f.service::createVolume, request);
    }

    private Answer<DeleteSnapshotResponse> deleteSnapshot(String id) {
        return f.call(
                f.service::deleteSnapshot,
                DeleteSnapshotRequest.newBuilder().setSnapshotId(id).build());
    }

    private ListSnapshotsResponse list(ListSnapshotsRequest request) {
        return f.call(f.service::listSnapshots, request).value();
    }

    private static VolumeContentSource fromSnapshot(String id) {
        return VolumeContentSource.newBuilder()
                .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(id))
                .build();
    }

    private static VolumeContentSource fromVolume(String id) {
        return VolumeContentSource.newBuilder()
                .setVolume(VolumeContentSource.VolumeSource.newBuilder().setVolumeId(id))
                .build();
    }

    @Test
    void aSnapshotIsAManagedImageNamedAfterItAndIdempotent() {
        String v = newVolume("pvc-a");
        String longName = "snapshot of pvc-a, taken by hand / with spaces";
        var first = snapshot(longName, v, Map.of("image-family", "runtime", "labels", "team=ml"))
                .value()
                .getSnapshot();
        String imageName = GceNames.derive(longName);
        assertEquals("projects/" + PROJECT + "/global/images/" + imageName, first.getSnapshotId());
        Image image = f.cloud.getImage(ImageRef.image(PROJECT, imageName)).orElseThrow();
        assertEquals(Map.of("imagedisk-csi", "managed", "team", "ml"), image.labels());
        assertEquals("runtime", image.family());
        assertTrue(image.description().length() <= GceNames.MAX_DESCRIPTION_LENGTH);
        assertEquals(longName, ImageDescription.snapshotName(image.description()));
        assertEquals(first, snapshot(longName, v, Map.of()).value().getSnapshot());
        assertEquals(1, f.cloud.requestCount("images.insert"), "the second call found the image");
        assertEquals(
                Code.ALREADY_EXISTS,
                snapshot(longName, newVolume("pvc-b"), Map.of()).code());
    }

    @ParameterizedTest
    @CsvSource({
        "frobnicate, 1, frobnicate",
        "snapshot-type, snapshots, snapshot-type",
        "image-family, Not_A_Name, image-family",
        "storage-locations, 'us,eu', storage-locations",
        "labels, Bad=Key, labels",
        "csi.storage.k8s.io/volumesnapshot/name, '', ",
    })
    void parametersAreChecked(String key, String value, String named) {
        String v = newVolume("pvc-p");
        var answer = snapshot("snap-p", v, Map.of(key, value));
        if (named == null) {
            assertTrue(answer.status().isOk(), answer.status().toString());
            return;
        }
        assertEquals(Code.INVALID_ARGUMENT, answer.code());
        assertTrue(
                answer.status().getDescription().contains(named),
                answer.status().getDescription());
        assertEquals(0, f.cloud.requestCount("images.insert"), "nothing was made");
    }

    @Test
    void aMissingSourceIsNotFoundAndACloudFailureIsAnsweredWithItsCode() {
        assertEquals(
                Code.NOT_FOUND,
                snapshot("snap-x", FakeController.volumeId(ZONE, "nope"), Map.of())
                        .code());
        assertEquals(
                Code.NOT_FOUND, snapshot("snap-y", "not-a-volume-id", Map.of()).code());
        String v = newVolume("pvc-f");
        f.cloud.failNextOperations("images.insert", Kind.UNAVAILABLE, 1);
        assertEquals(Code.UNAVAILABLE, snapshot("snap-f", v, Map.of()).code());
        assertTrue(f.cloud.getImage(ImageRef.image(PROJECT, "snap-f")).isEmpty(), "no half-made image");
        assertTrue(snapshot("snap-f", v, Map.of()).status().isOk(), "a retry makes it");
    }

    @Test
    void deleteSnapshotNeverDeletesAnImageTheDriverDidNotMake() {
        String v = newVolume("pvc-d");
        String id = snapshot("snap-d", v, Map.of()).value().getSnapshot().getSnapshotId();
        assertTrue(deleteSnapshot(id).status().isOk());
        assertTrue(f.cloud.getImage(ImageRef.image(PROJECT, "snap-d")).isEmpty());
        String golden = "projects/" + PROJECT + "/global/images/" + IMAGE;
        assertTrue(deleteSnapshot(golden).status().isOk());
        assertTrue(deleteSnapshot("projects/" + PROJECT + "/global/images/family/" + FAMILY)
                .status()
                .isOk());
        assertTrue(f.cloud.getImage(ImageRef.image(PROJECT, IMAGE)).isPresent(), "the golden image stays");
        assertTrue(deleteSnapshot("garbage").status().isOk());
        assertEquals(Code.INVALID_ARGUMENT, deleteSnapshot("").code());
        assertEquals(1, f.cloud.requestCount("images.delete"));
    }

    @Test
    void listSnapshotsPagesInIdOrderAndFindsAnyImageById() {
        String a = newVolume("pvc-la");
        String b = newVolume("pvc-lb");
        for (String n : List.of("snap-3", "snap-1", "snap-2")) {
            snapshot(n, a, Map.of());
        }
        snapshot("snap-0", b, Map.of());
        List<String> seen = new ArrayList<>();
        String token = "";
        do {
            ListSnapshotsResponse page = list(ListSnapshotsRequest.newBuilder()
                    .setMaxEntries(2)
                    .setStartingToken(token)
                    .build());
            page.getEntriesList()
                    .forEach(e -> seen.add(e.getSnapshot()
                            .getSnapshotId()
                            .substring(("projects/" + PROJECT + "/global/images/").length())));
            token = page.getNextToken();
        } while (!token.isEmpty());
        assertEquals(List.of("snap-0", "snap-1", "snap-2", "snap-3"), seen, "the driver's images only, in order");
        assertEquals(
                3,
                list(ListSnapshotsRequest.newBuilder().setSourceVolumeId(a).build())
                        .getEntriesCount());
        assertEquals(
                0,
                list(ListSnapshotsRequest.newBuilder().setSourceVolumeId("nope").build())
                        .getEntriesCount());
        String snap0 = "projects/" + PROJECT + "/global/images/snap-0";
        assertEquals(
                1,
                list(ListSnapshotsRequest.newBuilder()
                                .setSnapshotId(snap0)
                                .setSourceVolumeId(b)
                                .build())
                        .getEntriesCount(),
                "both filters, and both match");
        assertEquals(
                0,
                list(ListSnapshotsRequest.newBuilder()
                                .setSnapshotId(snap0)
                                .setSourceVolumeId(a)
                                .build())
                        .getEntriesCount(),
                "both filters: the snapshot is of another volume");
        var golden = list(ListSnapshotsRequest.newBuilder()
                .setSnapshotId("projects/" + PROJECT + "/global/images/" + IMAGE)
                .build());
        assertEquals(1, golden.getEntriesCount());
        assertTrue(golden.getEntries(0).getSnapshot().getReadyToUse());
        assertEquals(
                Code.ABORTED,
                f.call(
                                f.service::listSnapshots,
                                ListSnapshotsRequest.newBuilder()
                                        .setStartingToken("bogus")
                                        .build())
                        .code());
        assertEquals(
                Code.INVALID_ARGUMENT,
                f.call(
                                f.service::listSnapshots,
                                ListSnapshotsRequest.newBuilder()
                                        .setMaxEntries(-1)
                                        .build())
                        .code());
    }

    @Test
    void aVolumeFromASnapshotNeedsNoStorageClassImageAndComparesItsSource() {
        String v = newVolume("pvc-r");
        String id = snapshot("snap-r", v, Map.of("image-family", "next"))
                .value()
                .getSnapshot()
                .getSnapshotId();
        CreateVolumeRequest restore = create("pvc-restored")
                .clearParameters()
                .setVolumeContentSource(fromSnapshot(id))
                .build();
        var volume = createVolume(restore).value().getVolume();
        assertEquals(fromSnapshot(id), volume.getContentSource());
        assertTrue(volume.getVolumeContextOrThrow("image").endsWith(id));
        assertEquals(volume, createVolume(restore).value().getVolume());
        // the same name from another source is ALREADY_EXISTS
        assertEquals(
                Code.ALREADY_EXISTS,
                createVolume(create("pvc-restored").build()).code());
        // a family as the snapshot id: its newest image
        var fromFamily = createVolume(create("pvc-fam")
                        .setVolumeContentSource(fromSnapshot("projects/" + PROJECT + "/global/images/family/next"))
                        .build())
                .value()
                .getVolume();
        assertTrue(fromFamily.getVolumeContextOrThrow("image").endsWith(id));
        assertEquals(
                Code.NOT_FOUND,
                createVolume(create("pvc-none")
                                .setVolumeContentSource(
                                        fromSnapshot("projects/" + PROJECT + "/global/images/family/empty"))
                                .build())
                        .code());
    }

    @Test
    void aCloneIsInItsSourcesZoneAndAtLeastItsSize() {
        String src = f.call(
                        f.service::createVolume,
                        create("pvc-src")
                                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(15 * GIB))
                                .build())
                .value()
                .getVolume()
                .getVolumeId();
        var clone = createVolume(create("pvc-clone")
                        .clearParameters()
                        .setVolumeContentSource(fromVolume(src))
                        .build())
                .value()
                .getVolume();
        assertEquals(15 * GIB, clone.getCapacityBytes());
        assertEquals(FakeController.volumeId(ZONE, "pvc-clone"), clone.getVolumeId());
        assertEquals(
                clone,
                createVolume(create("pvc-clone")
                                .clearParameters()
                                .setVolumeContentSource(fromVolume(src))
                                .build())
                        .value()
                        .getVolume());
        assertEquals(
                Code.OUT_OF_RANGE,
                createVolume(create("pvc-small")
                                .setVolumeContentSource(fromVolume(src))
                                .setCapacityRange(CapacityRange.newBuilder()
                                        .setRequiredBytes(10 * GIB)
                                        .setLimitBytes(10 * GIB))
                                .build())
                        .code());
        var elsewhere = createVolume(create("pvc-far")
                .setVolumeContentSource(fromVolume(src))
                .setAccessibilityRequirements(TopologyRequirement.newBuilder().addRequisite(zone(OTHER_ZONE)))
                .build());
        assertEquals(Code.INVALID_ARGUMENT, elsewhere.code());
        assertTrue(elsewhere.status().getDescription().contains(ZONE)
                && elsewhere.status().getDescription().contains(OTHER_ZONE));
        assertFalse(f.cloud
                .getDisk(new dev.imagedisk.csi.cloud.DiskRef(PROJECT, OTHER_ZONE, "pvc-far"))
                .isPresent());
    }

    /** ValidateVolumeCapabilities with the StorageClass parameters the volume was created with. */
    private ValidateVolumeCapabilitiesResponse validate(String volumeId, CreateVolumeRequest createdWith) {
        return f.call(
                        f.service::validateVolumeCapabilities,
                        ValidateVolumeCapabilitiesRequest.newBuilder()
                                .setVolumeId(volumeId)
                                .addAllVolumeCapabilities(createdWith.getVolumeCapabilitiesList())
                                .putAllParameters(createdWith.getParametersMap())
                                .build())
                .value();
    }

    @Test
    void validateConfirmsClonesAndRestoresWithTheParametersTheyWereCreatedWith() {
        String src = newVolume("pvc-vsrc");
        String snap = snapshot("snap-v", src, Map.of()).value().getSnapshot().getSnapshotId();
        List<CreateVolumeRequest> requests = List.of(
                // the StorageClass names an image; the source wins over it
                create("pvc-vclone").setVolumeContentSource(fromVolume(src)).build(),
                create("pvc-vrestore")
                        .setVolumeContentSource(fromSnapshot(snap))
                        .build(),
                // the StorageClass names no image (none is needed with a source)
                create("pvc-vclone-bare")
                        .clearParameters()
                        .putParameters("type", "pd-balanced")
                        .setVolumeContentSource(fromVolume(src))
                        .build(),
                create("pvc-vrestore-bare")
                        .clearParameters()
                        .putParameters("type", "pd-balanced")
                        .setVolumeContentSource(fromSnapshot(snap))
                        .build());
        for (CreateVolumeRequest request : requests) {
            String id = createVolume(request).value().getVolume().getVolumeId();
            ValidateVolumeCapabilitiesResponse answer = validate(id, request);
            assertTrue(answer.hasConfirmed(), request.getName() + ": " + answer.getMessage());
        }
        // a clone is still compared by what a source does not decide
        CreateVolumeRequest clone = requests.get(0);
        ValidateVolumeCapabilitiesResponse ssd = validate(
                FakeController.volumeId(ZONE, "pvc-vclone"),
                clone.toBuilder().putParameters("type", "pd-ssd").build());
        assertTrue(ssd.getMessage().contains("pd-ssd"), ssd.getMessage());
        // a volume made from the StorageClass image is compared with it still
        ValidateVolumeCapabilitiesResponse otherImage = validate(
                src,
                create("x")
                        .putParameters("image", "projects/" + PROJECT + "/global/images/" + "snap-v")
                        .build());
        assertFalse(otherImage.hasConfirmed());
        assertTrue(otherImage.getMessage().contains("snap-v"), otherImage.getMessage());
    }

    @Test
    void aCloneWithOnlyPreferredTopologyElsewhereIsMadeInItsSourcesZone() {
        String src = newVolume("pvc-psrc");
        var clone = createVolume(create("pvc-pclone")
                .setVolumeContentSource(fromVolume(src))
                .setAccessibilityRequirements(TopologyRequirement.newBuilder().addPreferred(zone(OTHER_ZONE)))
                .build());
        assertTrue(clone.status().isOk(), clone.status().toString());
        assertEquals(
                FakeController.volumeId(ZONE, "pvc-pclone"),
                clone.value().getVolume().getVolumeId());
        var requisite = createVolume(create("pvc-rclone")
                .setVolumeContentSource(fromVolume(src))
                .setAccessibilityRequirements(TopologyRequirement.newBuilder()
                        .addRequisite(zone(OTHER_ZONE))
                        .addPreferred(zone(OTHER_ZONE)))
                .build());
        assertEquals(Code.INVALID_ARGUMENT, requisite.code(), "requisite binds");
    }

    @Test
    void descriptionsFitComputeEnginesLimit() {
        String huge = "x".repeat(5000);
        var v = createVolume(create("pvc-desc")
                        .putParameters("csi.storage.k8s.io/pvc/name", huge)
                        .putParameters("csi.storage.k8s.io/pvc/namespace", huge)
                        .build())
                .value()
                .getVolume();
        String disk = f.cloud
                .getDisk(new dev.imagedisk.csi.cloud.DiskRef(PROJECT, ZONE, "pvc-desc"))
                .orElseThrow()
                .description();
        assertTrue(disk.length() <= GceNames.MAX_DESCRIPTION_LENGTH, disk.length() + " characters");
        assertEquals("pvc-desc", DiskDescription.requestName(disk));
        String name = "n".repeat(128);
        var s = snapshot(
                        name,
                        v.getVolumeId(),
                        Map.of(
                                "csi.storage.k8s.io/volumesnapshot/name", "s".repeat(253),
                                "csi.storage.k8s.io/volumesnapshot/namespace", "n".repeat(253),
                                "csi.storage.k8s.io/volumesnapshotcontent/name", "c".repeat(253)))
                .value()
                .getSnapshot();
        String image = f.cloud
                .getImage(ImageRef.image(
                        PROJECT, s.getSnapshotId().substring(s.getSnapshotId().lastIndexOf('/') + 1)))
                .orElseThrow()
                .description();
        assertTrue(image.length() <= GceNames.MAX_DESCRIPTION_LENGTH, image.length() + " characters");
        assertTrue(image.contains("s".repeat(253)), "the VolumeSnapshot's name is recorded");
        assertEquals(
                Code.INVALID_ARGUMENT,
                snapshot(
                                "snap-long-meta",
                                v.getVolumeId(),
                                Map.of("csi.storage.k8s.io/volumesnapshot/name", "s".repeat(254)))
                        .code(),
                "not a Kubernetes name");
    }

    @Test
    void namesOverCsis128BytesAreRefused() {
        String v = newVolume("pvc-n");
        assertEquals(
                Code.INVALID_ARGUMENT, snapshot("é".repeat(65), v, Map.of()).code(), "130 bytes");
        assertEquals(
                Code.INVALID_ARGUMENT,
                createVolume(create("v".repeat(100_000)).build()).code());
        assertTrue(createVolume(create("v".repeat(128)).build()).status().isOk());
    }
}
