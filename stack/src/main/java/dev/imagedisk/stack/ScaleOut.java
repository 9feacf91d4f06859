package dev.imagedisk.stack;

import csi.v1.ControllerGrpc;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import csi.v1.NodeGrpc;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.plugin.DriverConfig;
import dev.imagedisk.csi.requests.CsiRequests;
import dev.imagedisk.stack.PhaseTimings.Phase;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Plays the container orchestrator through a StatefulSet scale-out over a CSI socket, as Kubernetes' sidecars
 * and kubelet would: every replica gets its own volume from the image (CreateVolume, ControllerPublish,
 * NodeStage, NodePublish), is checked, and on scale-down everything is undone in reverse.
 */
public final class ScaleOut {
    /** One replica's volume, and where kubelet would stage and mount it. */
    public static final class Replica {
        final int index;
        final String pvName;
        final Path stagingPath;
        public final Path targetPath;
        Volume volume;
        Map<String, String> publishContext = Map.of();

        Replica(int index, String runId, Path kubeletDir) {
            this.index = index;
            this.pvName = "pvc-" + UUID.nameUUIDFromBytes((runId + "/" + index).getBytes(StandardCharsets.UTF_8));
            String handle = HexFormat.of()
                    .formatHex(pvName.getBytes(StandardCharsets.UTF_8))
                    .substring(0, 24);
            this.stagingPath = kubeletDir.resolve(
                    "plugins/kubernetes.io/csi/" + DriverConfig.DEFAULT_DRIVER_NAME + "/" + handle + "/globalmount");
            this.targetPath =
                    kubeletDir.resolve("pods/" + UUID.nameUUIDFromBytes(pvName.getBytes(StandardCharsets.UTF_8))
                            + "/volumes/kubernetes.io~csi/" + pvName + "/mount");
        }

        String pvcName() {
            return "runtime-lib-sd-webui-" + index;
        }
    }

    private final ControllerGrpc.ControllerBlockingStub controller;
    private final NodeGrpc.NodeBlockingStub node;
    private final String nodeId;
    private final String zone;
    private final String image;
    private final long sizeBytes;
    private final PhaseTimings timings;
    private final PrintStream out;
    private final List<Replica> replicas = new ArrayList<>();
    private final String runId;
    private final Path kubeletDir;

    public ScaleOut(
            ManagedChannel channel,
            String nodeId,
            String zone,
            String image,
            long sizeBytes,
            int count,
            Path kubeletDir,
            PhaseTimings timings,
            PrintStream out) {
        this.controller = ControllerGrpc.newBlockingStub(channel);
        this.node = NodeGrpc.newBlockingStub(channel);
        this.nodeId = nodeId;
        this.zone = zone;
        this.image = image;
        this.sizeBytes = sizeBytes;
        this.timings = timings;
        this.out = out;
        this.runId = UUID.randomUUID().toString();
        this.kubeletDir = kubeletDir;
        for (int i = 0; i < count; i++) {
            replicas.add(new Replica(i, runId, kubeletDir));
        }
    }

    public List<Replica> replicas() {
        return replicas;
    }

    private static final VolumeCapability MOUNT_RWO = CsiRequests.RWO_EXT4;

    /** Scales up: every replica's pipeline runs at once, as a Parallel-policy StatefulSet's pods do. */
    public void scaleUp(Map<String, String> expectedFiles) throws Exception {
        long start = System.nanoTime();
        AtomicInteger ready = new AtomicInteger();
        runAll(r -> {
            up(r, expectedFiles);
            out.printf(
                    "  replica %2d ready  (%d/%d, %s since start)%n",
                    r.index,
                    ready.incrementAndGet(),
                    replicas.size(),
                    PhaseTimings.seconds(Duration.ofNanos(System.nanoTime() - start)));
        });
        timings.total("scale up to " + replicas.size() + " (wall)", Duration.ofNanos(System.nanoTime() - start));
    }

    /** Scales to zero: unpublish, unstage, detach, delete — every replica at once. */
    public void scaleDown() throws Exception {
        long start = System.nanoTime();
        AtomicInteger gone = new AtomicInteger();
        runAll(r -> {
            down(r);
            out.printf("  replica %2d gone   (%d/%d)%n", r.index, gone.incrementAndGet(), replicas.size());
        });
        timings.total("scale down to 0 (wall)", Duration.ofNanos(System.nanoTime() - start));
    }

    interface ReplicaStep {
        void run(Replica r) throws Exception;
    }

    private void runAll(ReplicaStep step) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(replicas.size(), 100));
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Replica r : replicas) {
                futures.add(pool.submit(() -> {
                    step.run(r);
                    return null;
                }));
            }
            Exception first = null;
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (first == null) {
                        first = e.getCause() instanceof Exception ex ? ex : e;
                    }
                }
            }
            if (first != null) {
                throw first;
            }
        } finally {
            pool.shutdown();
            pool.awaitTermination(5, TimeUnit.MINUTES);
        }
    }

    private <T> T timed(Phase phase, Supplier<T> call) {
        long t0 = System.nanoTime();
        T result = call.get();
        timings.record(phase, Duration.ofNanos(System.nanoTime() - t0));
        return result;
    }

    /**
     * Scales out by one replica whose StorageClass names {@code imageParameter} (e.g. an image family), and checks
     * it shows {@code expectedFiles}; the replica is scaled down with the others.
     */
    Replica addReplica(String imageParameter, Map<String, String> expectedFiles) throws IOException {
        Replica r = new Replica(replicas.size(), runId, kubeletDir);
        replicas.add(r);
        up(r, expectedFiles, imageParameter);
        return r;
    }

    private void up(Replica r, Map<String, String> expectedFiles) throws IOException {
        up(r, expectedFiles, image);
    }

    private void up(Replica r, Map<String, String> expectedFiles, String imageParameter) throws IOException {
        r.volume = timed(
                Phase.CREATE,
                () -> controller
                        .createVolume(CsiRequests.provision(
                                        r.pvName,
                                        r.pvcName(),
                                        imageParameter,
                                        sizeBytes,
                                        CsiRequests.zone(Keys.TOPOLOGY_ZONE, zone))
                                .build())
                        .getVolume());
        r.publishContext = timed(
                Phase.ATTACH,
                () -> controller
                        .controllerPublishVolume(CsiRequests.controllerPublish(r.volume, nodeId, MOUNT_RWO)
                                .build())
                        .getPublishContextMap());
        timed(
                Phase.STAGE,
                () -> node.nodeStageVolume(CsiRequests.nodeStage(r.volume, r.publishContext, r.stagingPath, MOUNT_RWO)
                        .build()));
        timed(
                Phase.PUBLISH,
                () -> node.nodePublishVolume(
                        CsiRequests.nodePublish(r.volume, r.publishContext, r.stagingPath, r.targetPath, MOUNT_RWO)
                                .build()));
        long t0 = System.nanoTime();
        verify(r, expectedFiles);
        timings.record(Phase.VERIFY, Duration.ofNanos(System.nanoTime() - t0));
    }

    /** What a pod would see: the image's files, a writable volume, and the size the claim asked for. */
    private void verify(Replica r, Map<String, String> expectedFiles) throws IOException {
        for (Map.Entry<String, String> f : expectedFiles.entrySet()) {
            Path p = r.targetPath.resolve(f.getKey());
            String actual = Files.readString(p, StandardCharsets.UTF_8);
            if (!actual.equals(f.getValue())) {
                throw new IOException("replica " + r.index + ": " + p + " does not hold the image's content");
            }
        }
        Path mine = r.targetPath.resolve("replica-" + r.index + ".txt");
        Files.writeString(mine, "written by replica " + r.index + "\n");
        if (!Files.readString(mine).equals("written by replica " + r.index + "\n")) {
            throw new IOException("replica " + r.index + ": could not read back what it wrote");
        }
        if (r.volume.getCapacityBytes() < sizeBytes) {
            throw new IOException("replica " + r.index + ": volume has " + r.volume.getCapacityBytes()
                    + " bytes, the claim asked for " + sizeBytes);
        }
        long fsBytes = Files.getFileStore(r.targetPath).getTotalSpace();
        if (fsBytes < sizeBytes * 9 / 10) {
            throw new IOException("replica " + r.index + ": the filesystem was not grown to the disk: " + fsBytes
                    + " bytes of " + sizeBytes);
        }
    }

    private void down(Replica r) {
        if (r.volume == null) {
            return;
        }
        String volumeId = r.volume.getVolumeId();
        timed(Phase.UNPUBLISH, () -> node.nodeUnpublishVolume(CsiRequests.nodeUnpublish(volumeId, r.targetPath)));
        timed(Phase.UNSTAGE, () -> node.nodeUnstageVolume(CsiRequests.nodeUnstage(volumeId, r.stagingPath)));
        timed(
                Phase.DETACH,
                () -> controller.controllerUnpublishVolume(CsiRequests.controllerUnpublish(volumeId, nodeId)));
        timed(Phase.DELETE, () -> controller.deleteVolume(CsiRequests.deleteVolume(volumeId)));
    }

    /** Volume ids the controller still lists among this run's. */
    public List<String> volumesLeft() {
        List<String> ours = replicas.stream()
                .filter(r -> r.volume != null)
                .map(r -> r.volume.getVolumeId())
                .toList();
        List<String> left = new ArrayList<>();
        String token = "";
        do {
            ListVolumesResponse page = controller.listVolumes(ListVolumesRequest.newBuilder()
                    .setMaxEntries(100)
                    .setStartingToken(token)
                    .build());
            page.getEntriesList().stream()
                    .map(e -> e.getVolume().getVolumeId())
                    .filter(ours::contains)
                    .forEach(left::add);
            token = page.getNextToken();
        } while (!token.isEmpty());
        return left;
    }
}
