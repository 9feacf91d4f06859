package dev.imagedisk.stack;

import csi.v1.ControllerGrpc;
import csi.v1.CreateSnapshotRequest;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.ListSnapshotsRequest;
import csi.v1.Snapshot;
import dev.imagedisk.csi.exec.CommandResult;
import dev.imagedisk.csi.exec.CommandRunner;
import dev.imagedisk.stack.PhaseTimings.Phase;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The runtime update loop after a scale-out, as a team would run it in Kubernetes: install something new on
 * replica 0's volume, take a VolumeSnapshot of it into the StorageClass's image family (CreateSnapshot: a global
 * image), start one more replica from the family and check it sees the new file. At the end the snapshot is
 * deleted (DeleteSnapshot removes the image the driver made).
 */
public final class UpdateLoop {
    static final String NEW_FILE = "extensions/sd-webui-new-extension/installed.txt";

    private final ControllerGrpc.ControllerBlockingStub controller;
    private final String project;
    private final String family;
    private final PhaseTimings timings;
    private final PrintStream out;
    private String snapshotId;

    public UpdateLoop(ManagedChannel channel, String project, String family, PhaseTimings timings, PrintStream out) {
        this.controller = ControllerGrpc.newBlockingStub(channel);
        this.project = project;
        this.family = family;
        this.timings = timings;
        this.out = out;
    }

    /** Runs the loop on a scaled-out {@code scale}; throws when the new replica does not see the update. */
    public void run(ScaleOut scale, Map<String, String> imageFiles) throws IOException {
        ScaleOut.Replica first = scale.replicas().get(0);
        String content = "installed on replica 0 at " + java.time.Instant.now() + "\n";
        Path file = first.targetPath.resolve(NEW_FILE);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content, StandardCharsets.UTF_8);
        flush(file);
        out.println("update: wrote " + NEW_FILE + " on replica 0 (synced; the volume stays attached and mounted)");

        long t0 = System.nanoTime();
        Snapshot snapshot = controller
                .createSnapshot(CreateSnapshotRequest.newBuilder()
                        .setName("snapshot-" + UUID.randomUUID())
                        .setSourceVolumeId(first.volume.getVolumeId())
                        .putParameters("image-family", family)
                        .putParameters("csi.storage.k8s.io/volumesnapshot/name", "sd-runtime-next")
                        .putParameters("csi.storage.k8s.io/volumesnapshot/namespace", "default")
                        .build())
                .getSnapshot();
        timings.record(Phase.CREATE_SNAPSHOT, Duration.ofNanos(System.nanoTime() - t0));
        snapshotId = snapshot.getSnapshotId();
        if (!snapshot.getReadyToUse()) {
            throw new IOException("snapshot " + snapshotId + " is not ready to use");
        }
        out.println("update: captured replica 0 as " + snapshotId + " (family " + family + ", crash-consistent)");

        Map<String, String> expected = new HashMap<>(imageFiles);
        expected.put(NEW_FILE, content);
        String familyParameter = "projects/" + project + "/global/images/family/" + family;
        t0 = System.nanoTime();
        ScaleOut.Replica added = scale.addReplica(familyParameter, expected);
        timings.record(Phase.NEW_REPLICA, Duration.ofNanos(System.nanoTime() - t0));
        String madeFrom = added.volume.getVolumeContextMap().getOrDefault("image", "");
        if (!madeFrom.endsWith(snapshotId)) {
            throw new IOException("replica " + added.index + " was made from " + madeFrom + ", not from " + snapshotId);
        }
        out.println("update: replica " + added.index + " started from " + familyParameter + " (" + snapshotId
                + ") and sees " + NEW_FILE);
    }

    /** Deletes the snapshot's image (after the scale-down); true when it is gone. */
    public boolean cleanUp() {
        if (snapshotId == null) {
            return true;
        }
        long t0 = System.nanoTime();
        controller.deleteSnapshot(
                DeleteSnapshotRequest.newBuilder().setSnapshotId(snapshotId).build());
        timings.record(Phase.DELETE_SNAPSHOT, Duration.ofNanos(System.nanoTime() - t0));
        return controller
                        .listSnapshots(ListSnapshotsRequest.newBuilder()
                                .setSnapshotId(snapshotId)
                                .build())
                        .getEntriesCount()
                == 0;
    }

    /** fsync the file, then sync its filesystem (journal and directory entry), as a careful writer would. */
    static void flush(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        CommandResult r = new CommandRunner(Duration.ofSeconds(60)).run(List.of("sync", "-f", file.toString()));
        if (!r.ok()) {
            throw new IOException(r.describe());
        }
    }
}
