package dev.imagedisk.csisanity;

import static dev.imagedisk.csisanity.Codes.assertCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.ListSnapshotsRequest;
import csi.v1.ListSnapshotsResponse;
import csi.v1.Snapshot;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import csi.v1.Volume;
import csi.v1.VolumeContentSource;
import dev.imagedisk.csi.exec.CommandResult;
import dev.imagedisk.csi.exec.CommandRunner;
import dev.imagedisk.csi.requests.CsiRequests;
import dev.imagedisk.gce.emulator.GceEmulator;
import dev.imagedisk.stack.SampleImage;
import io.grpc.Status;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Snapshots (Compute Engine images) and clones end to end over the socket: data written in a volume survives a
 * snapshot and a restore, a StorageClass naming the snapshot's family, and a clone; a pre-made image works as a
 * snapshot handle and is never deleted; ListSnapshots pages; bad requests get the codes the spec names.
 */
class SnapshotsTest extends SanityTest {
    private final List<String> snapshots = new ArrayList<>();

    @BeforeEach
    void needsSnapshots() {
        assumeTrue(csi.has(Type.CREATE_DELETE_SNAPSHOT), "the plugin does not advertise CREATE_DELETE_SNAPSHOT");
    }

    /** Deletes this test's snapshots (before the base class deletes its volumes). */
    @AfterEach
    void deleteSnapshots() {
        for (String id : snapshots) {
            csi.controller()
                    .deleteSnapshot(
                            DeleteSnapshotRequest.newBuilder().setSnapshotId(id).build());
        }
    }

    private Snapshot snapshot(String what, String volumeId, Map<String, String> parameters) {
        Snapshot s = csi.controller()
                .createSnapshot(CreateSnapshotRequest.newBuilder()
                        .setName(csi.volumeName("snap-" + what))
                        .setSourceVolumeId(volumeId)
                        .putAllParameters(parameters)
                        .build())
                .getSnapshot();
        snapshots.add(s.getSnapshotId());
        return s;
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

    /** Attaches, stages and publishes a volume read-write; returns where a pod sees it. */
    private Path mount(Volume v) {
        Map<String, String> ctx = res.controllerPublish(v, CsiRequests.RWO, false);
        Path staging = res.newStagingDir();
        res.stage(v, ctx, staging, CsiRequests.RWO);
        Path target = res.newTargetPath();
        res.publish(v, ctx, staging, target, CsiRequests.RWO, false);
        return target;
    }

    /** Writes a file and makes it durable on the disk (fsync and syncfs), as a careful writer would. */
    private static String write(Path root, String name) throws IOException {
        String content = "written before the snapshot: " + name + "\n";
        Path p = root.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        CommandResult r = new CommandRunner(Duration.ofSeconds(60)).run(List.of("sync", "-f", p.toString()));
        assertTrue(r.ok(), r.describe());
        return content;
    }

    private static void assertFile(Path root, String name, String content) throws IOException {
        Path p = root.resolve(name);
        assertTrue(Files.isRegularFile(p), name + " is not in the volume at " + root);
        assertEquals(content, Files.readString(p, StandardCharsets.UTF_8));
    }

    private Optional<Snapshot> listed(String id) {
        ListSnapshotsResponse r = csi.controller()
                .listSnapshots(
                        ListSnapshotsRequest.newBuilder().setSnapshotId(id).build());
        return r.getEntriesList().stream()
                .map(ListSnapshotsResponse.Entry::getSnapshot)
                .findFirst();
    }

    // ------------------------------------------------------------------------------- end to end

    @Test
    @DisplayName("a written file survives snapshot -> new volume from the snapshot")
    void aWrittenFileSurvivesSnapshotAndRestore() throws IOException {
        Resources.Mounted src = res.mountNew("snap-src");
        String content = write(src.target(), "survivor.txt");
        Snapshot s = snapshot("survivor", src.id(), Map.of()); // taken while attached: crash-consistent
        assertTrue(s.getReadyToUse());
        assertEquals(src.id(), s.getSourceVolumeId());
        CreateVolumeRequest restore = res.createRequest("restored")
                .setVolumeContentSource(fromSnapshot(s.getSnapshotId()))
                .build();
        Volume v = res.createVolume(restore).getVolume();
        assertEquals(fromSnapshot(s.getSnapshotId()), v.getContentSource(), "CreateVolume echoes its source");
        Path target = mount(v);
        assertFile(target, "survivor.txt", content);
    }

    @Test
    @DisplayName("a StorageClass naming the snapshot's family gives a volume with the file")
    void aStorageClassNamingTheFamilyGivesTheFile() throws IOException {
        Resources.Mounted src = res.mountNew("fam-src");
        String content = write(src.target(), "new-extension.txt");
        String family = "sanity-" + csi.runId + "-fam";
        Snapshot s = snapshot("fam", src.id(), Map.of("image-family", family));
        String project = s.getSnapshotId().split("/")[1];
        Volume v = res.createVolume(res.createRequest("from-fam")
                        .putParameters("image", "projects/" + project + "/global/images/family/" + family)
                        .build())
                .getVolume();
        assertTrue(
                v.getVolumeContextOrDefault("image", "").endsWith(s.getSnapshotId()),
                "made from the family's newest image: " + v.getVolumeContextMap());
        assertFile(mount(v), "new-extension.txt", content);
    }

    /** A pre-made image in the local stack's emulator: the sample image's files, not made by the driver. */
    private String preMadeImage(String what) throws IOException {
        Optional<GceEmulator> emulator = csi.emulator();
        assumeTrue(
                emulator.isPresent() && csi.dataDir().isPresent(),
                "needs the local stack's emulator to register a pre-made image");
        String name = "sanity-" + csi.runId + "-" + what;
        Path file = csi.dataDir().get().resolve(name + ".img");
        SampleImage.build(file, new CommandRunner(Duration.ofMinutes(2)));
        String project = csi.local().orElseThrow().options().project();
        emulator.get().registerImage(project, name, null, file);
        return "projects/" + project + "/global/images/" + name;
    }

    @Test
    @DisplayName("a pre-made image used as a snapshot handle restores its files")
    void aPreMadeImageAsSnapshotHandleRestoresItsFiles() throws IOException {
        String golden = preMadeImage("golden");
        Snapshot listed = listed(golden)
                .orElseThrow(
                        () -> new AssertionError("ListSnapshots by id does not find the pre-made image " + golden));
        assertTrue(listed.getReadyToUse(), "a pre-provisioned content becomes ready");
        CreateVolumeRequest.Builder b = res.createRequest("from-golden").setVolumeContentSource(fromSnapshot(golden));
        b.removeParameters("image"); // the source is the image: the StorageClass need not name one
        Volume v = res.createVolume(b.build()).getVolume();
        Files2.assertImageFiles(mount(v));
    }

    @Test
    @DisplayName("a clone holds its source's data")
    void aCloneHoldsItsSourcesData() throws IOException {
        assumeTrue(csi.has(Type.CLONE_VOLUME), "the plugin does not advertise CLONE_VOLUME");
        Resources.Mounted src = res.mountNew("clone-src");
        String content = write(src.target(), "cloned.txt");
        Volume clone = res.createVolume(res.createRequest("clone")
                        .setVolumeContentSource(fromVolume(src.id()))
                        .build())
                .getVolume();
        assertEquals(fromVolume(src.id()), clone.getContentSource());
        assertEquals(
                src.volume().getAccessibleTopologyList(),
                clone.getAccessibleTopologyList(),
                "a clone is in its source's zone");
        assertTrue(clone.getCapacityBytes() >= src.volume().getCapacityBytes());
        assertFile(mount(clone), "cloned.txt", content);
    }

    @Test
    @DisplayName("DeleteSnapshot removes the driver's own image and leaves a pre-made one in place")
    void deleteSnapshotRemovesOwnImagesOnly() throws IOException {
        Volume src = res.create("del-src");
        Snapshot own = snapshot("own", src.getVolumeId(), Map.of());
        assertTrue(listed(own.getSnapshotId()).isPresent());
        csi.controller()
                .deleteSnapshot(DeleteSnapshotRequest.newBuilder()
                        .setSnapshotId(own.getSnapshotId())
                        .build());
        assertTrue(listed(own.getSnapshotId()).isEmpty(), "the driver's image is gone");

        String golden = preMadeImage("kept");
        csi.controller()
                .deleteSnapshot(
                        DeleteSnapshotRequest.newBuilder().setSnapshotId(golden).build());
        assertTrue(listed(golden).isPresent(), "a pre-made image is never deleted");
    }

    // ------------------------------------------------------------------------------- conformance

    @Test
    @DisplayName("ListSnapshots by source pages with max_entries and next_token; a bad token is ABORTED")
    void listSnapshotsPages() {
        assumeTrue(csi.has(Type.LIST_SNAPSHOTS), "the plugin does not advertise LIST_SNAPSHOTS");
        Volume src = res.create("list-src");
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            made.add(snapshot("list-" + i, src.getVolumeId(), Map.of()).getSnapshotId());
        }
        List<String> seen = new ArrayList<>();
        String token = "";
        int pages = 0;
        do {
            ListSnapshotsResponse page = csi.controller()
                    .listSnapshots(ListSnapshotsRequest.newBuilder()
                            .setSourceVolumeId(src.getVolumeId())
                            .setMaxEntries(2)
                            .setStartingToken(token)
                            .build());
            assertTrue(page.getEntriesCount() <= 2, "max_entries 2, got " + page.getEntriesCount());
            page.getEntriesList().forEach(e -> seen.add(e.getSnapshot().getSnapshotId()));
            token = page.getNextToken();
            pages++;
        } while (!token.isEmpty() && pages < 10);
        assertEquals(made.stream().sorted().toList(), seen.stream().sorted().toList());
        assertEquals(2, pages);
        assertCode(
                Status.Code.ABORTED,
                () -> csi.controller()
                        .listSnapshots(ListSnapshotsRequest.newBuilder()
                                .setStartingToken("not-a-token")
                                .build()),
                "ListSnapshots with a bad starting_token");
    }

    @Test
    @DisplayName("CreateSnapshot is idempotent by name; another source, bad parameters and long names are refused")
    void createSnapshotChecks() {
        Volume a = res.create("idem-a");
        Volume b = res.create("idem-b");
        String name = csi.volumeName("snap-idem");
        CreateSnapshotRequest request = CreateSnapshotRequest.newBuilder()
                .setName(name)
                .setSourceVolumeId(a.getVolumeId())
                .build();
        Snapshot first = csi.controller().createSnapshot(request).getSnapshot();
        snapshots.add(first.getSnapshotId());
        assertEquals(
                first.getSnapshotId(),
                csi.controller().createSnapshot(request).getSnapshot().getSnapshotId());
        assertCode(
                Status.Code.ALREADY_EXISTS,
                () -> csi.controller()
                        .createSnapshot(request.toBuilder()
                                .setSourceVolumeId(b.getVolumeId())
                                .build()),
                "the same snapshot name from another volume");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.controller()
                        .createSnapshot(request.toBuilder()
                                .setName(csi.volumeName("snap-bad"))
                                .putParameters("snapshot-type", "snapshots")
                                .build()),
                "snapshot-type other than images");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.controller()
                        .createSnapshot(
                                request.toBuilder().setName("s".repeat(129)).build()),
                "a name over 128 bytes");
        assertCode(
                Status.Code.NOT_FOUND,
                () -> res.createVolume(res.createRequest("no-snap")
                        .setVolumeContentSource(fromSnapshot(first.getSnapshotId() + "-missing"))
                        .build()),
                "a volume from a snapshot that does not exist");
    }

    @Test
    @DisplayName("a clone whose topology excludes its source's zone is INVALID_ARGUMENT")
    void cloneOutsideTheSourcesZoneIsRefused() {
        assumeTrue(csi.has(Type.CLONE_VOLUME), "the plugin does not advertise CLONE_VOLUME");
        Volume src = res.create("zone-src");
        TopologyRequirement elsewhere = TopologyRequirement.newBuilder()
                .addRequisite(Topology.newBuilder().putSegments(Csi.TOPOLOGY_KEY, "elsewhere-zone-z"))
                .build();
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> res.createVolume(res.createRequest("zone-clone")
                        .setVolumeContentSource(fromVolume(src.getVolumeId()))
                        .setAccessibilityRequirements(elsewhere)
                        .build()),
                "a clone required in another zone");
    }
}
