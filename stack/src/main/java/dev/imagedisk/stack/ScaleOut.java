package dev.imagedisk.stack;

import csi.v1.ControllerGrpc;
import csi.v1.CreateVolumeRequest;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import csi.v1.NodeGrpc;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.plugin.DriverConfig;
import dev.imagedisk.csi.requests.CsiRequests;
import dev.imagedisk.stack.PhaseTimings.Phase;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Plays the container orchestrator over CSI sockets, as Kubernetes' sidecars and kubelet would, on one node or
 * many (one controller socket, one socket per node).
 *
 * <ul>
 *   <li>{@link Access#READ_WRITE_ONCE}: a StatefulSet; every replica gets its own volume from the image
 *       (CreateVolume in its node's zone, ControllerPublish, NodeStage, NodePublish), is checked (the image's files,
 *       a write, the claimed size), and on scale-down everything is undone in reverse.
 *   <li>{@link Access#READ_ONLY_MANY}: a Deployment sharing one ReadOnlyMany claim; one CreateVolume, one
 *       ControllerPublish (read-only) and NodeStage per node that runs a replica, one NodePublish per replica; each
 *       replica must read the image's files and fail to write (EROFS).
 * </ul>
 *
 * <p>Replica {@code i} runs on node {@code i mod N}. {@link #move} drains a ReadWriteOnce replica from its node and
 * starts it on another, as a node drain would.
 */
public final class ScaleOut {
    /** Whether replicas get a volume each (a StatefulSet) or share one read-only (a Deployment). */
    public enum Access {
        READ_WRITE_ONCE("ReadWriteOnce"),
        READ_ONLY_MANY("ReadOnlyMany");

        public final String label;

        Access(String label) {
            this.label = label;
        }
    }

    /** A node as the orchestrator sees it: its id, zone, the socket its kubelet calls, and its kubelet dir. */
    public record NodeTarget(String nodeId, String zone, ManagedChannel channel, Path kubeletDir) {
        public String name() {
            return nodeId.substring(nodeId.lastIndexOf('/') + 1);
        }

        NodeGrpc.NodeBlockingStub stub() {
            return NodeGrpc.newBlockingStub(channel);
        }
    }

    /** One replica's volume, the node it runs on, and where that node's kubelet stages and mounts it. */
    public static final class Replica {
        final int index;
        final String pvName;
        NodeTarget node;
        Path stagingPath;
        public Path targetPath;
        Volume volume;
        Map<String, String> publishContext = Map.of();

        Replica(int index, String pvName, NodeTarget node) {
            this.index = index;
            this.pvName = pvName;
            placeOn(node);
        }

        /** Puts the replica on {@code n}: the staging path is per volume and node, the target path per pod. */
        void placeOn(NodeTarget n) {
            this.node = n;
            String handle = HexFormat.of()
                    .formatHex(pvName.getBytes(StandardCharsets.UTF_8))
                    .substring(0, 24);
            this.stagingPath = n.kubeletDir()
                    .resolve("plugins/kubernetes.io/csi/" + DriverConfig.DEFAULT_DRIVER_NAME + "/" + handle
                            + "/globalmount");
            String podUid = UUID.nameUUIDFromBytes(
                            (pvName + "/" + index + "@" + n.nodeId()).getBytes(StandardCharsets.UTF_8))
                    .toString();
            this.targetPath =
                    n.kubeletDir().resolve("pods/" + podUid + "/volumes/kubernetes.io~csi/" + pvName + "/mount");
        }

        public NodeTarget node() {
            return node;
        }

        public int index() {
            return index;
        }

        String pvcName() {
            return "runtime-lib-sd-webui-" + index;
        }
    }

    private final ControllerGrpc.ControllerBlockingStub controller;
    private final List<NodeTarget> nodes;
    private final String image;
    private final long sizeBytes;
    private final Access access;
    private final Map<String, String> classParameters;
    private final PhaseTimings timings;
    private final PrintStream out;
    private final List<Replica> replicas = new ArrayList<>();
    private final String runId;
    /** ReadOnlyMany: the one shared volume, and each node's publish context. */
    private Volume shared;

    private final Map<String, Map<String, String>> nodePublishContext = new ConcurrentHashMap<>();
    private Duration scaleUpWall = Duration.ZERO;

    /** One node, ReadWriteOnce, pd-balanced: the single-node demo. */
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
        this(
                channel,
                List.of(new NodeTarget(nodeId, zone, channel, kubeletDir)),
                image,
                sizeBytes,
                count,
                Access.READ_WRITE_ONCE,
                Map.of("type", "pd-balanced"),
                timings,
                out);
    }

    /**
     * @param controller the controller plugin's socket
     * @param nodes the nodes replicas run on, round-robin
     * @param classParameters the StorageClass's parameters besides {@code image} (e.g. {@code type})
     */
    public ScaleOut(
            ManagedChannel controller,
            List<NodeTarget> nodes,
            String image,
            long sizeBytes,
            int count,
            Access access,
            Map<String, String> classParameters,
            PhaseTimings timings,
            PrintStream out) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("no nodes to run replicas on");
        }
        this.controller = ControllerGrpc.newBlockingStub(controller);
        this.nodes = List.copyOf(nodes);
        this.image = image;
        this.sizeBytes = sizeBytes;
        this.access = access;
        this.classParameters = Map.copyOf(classParameters);
        this.timings = timings;
        this.out = out;
        this.runId = UUID.randomUUID().toString();
        String sharedPv = pvName(runId, "shared");
        for (int i = 0; i < count; i++) {
            replicas.add(new Replica(
                    i, access == Access.READ_ONLY_MANY ? sharedPv : pvName(runId, String.valueOf(i)), nodeFor(i)));
        }
    }

    private static String pvName(String runId, String suffix) {
        return "pvc-" + UUID.nameUUIDFromBytes((runId + "/" + suffix).getBytes(StandardCharsets.UTF_8));
    }

    private NodeTarget nodeFor(int index) {
        return nodes.get(index % nodes.size());
    }

    public List<Replica> replicas() {
        return replicas;
    }

    public Access access() {
        return access;
    }

    /** How long the last scale-up took, start to every replica checked. */
    public Duration scaleUpWall() {
        return scaleUpWall;
    }

    private static final VolumeCapability MOUNT_RWO = CsiRequests.RWO_EXT4;
    private static final VolumeCapability MOUNT_ROX =
            CsiRequests.mount(VolumeCapability.AccessMode.Mode.MULTI_NODE_READER_ONLY, "ext4");

    /**
     * Scales up: every replica's pipeline runs at once, as a Parallel-policy StatefulSet's (or a Deployment's)
     * pods do.
     */
    public void scaleUp(Map<String, String> expectedFiles) throws Exception {
        long start = System.nanoTime();
        AtomicInteger ready = new AtomicInteger();
        if (access == Access.READ_ONLY_MANY) {
            shareUp();
        }
        runAll(replicas, r -> {
            if (access == Access.READ_ONLY_MANY) {
                readerUp(r, expectedFiles);
            } else {
                up(r, expectedFiles);
            }
            out.printf(
                    "  replica %2d ready on %s (%d/%d, %s since start)%n",
                    r.index,
                    r.node.name(),
                    ready.incrementAndGet(),
                    replicas.size(),
                    PhaseTimings.seconds(Duration.ofNanos(System.nanoTime() - start)));
        });
        scaleUpWall = Duration.ofNanos(System.nanoTime() - start);
        timings.total("scale up to " + replicas.size() + " (wall)", scaleUpWall);
    }

    /** Scales to zero: unpublish, unstage, detach, delete — every replica at once. */
    public void scaleDown() throws Exception {
        long start = System.nanoTime();
        AtomicInteger gone = new AtomicInteger();
        if (access == Access.READ_ONLY_MANY) {
            runAll(replicas, r -> {
                readerDown(r);
                out.printf("  replica %2d gone   (%d/%d)%n", r.index, gone.incrementAndGet(), replicas.size());
            });
            shareDown();
        } else {
            runAll(replicas, r -> {
                down(r);
                out.printf("  replica %2d gone   (%d/%d)%n", r.index, gone.incrementAndGet(), replicas.size());
            });
        }
        timings.total("scale down to 0 (wall)", Duration.ofNanos(System.nanoTime() - start));
    }

    interface Step<T> {
        void run(T t) throws Exception;
    }

    private static <T> void runAll(List<T> items, Step<T> step) throws Exception {
        if (items.isEmpty()) {
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(items.size(), 100));
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (T r : items) {
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
        return timed(timings, phase, call);
    }

    private static <T> T timed(PhaseTimings into, Phase phase, Supplier<T> call) {
        long t0 = System.nanoTime();
        T result = retryingAborted(call);
        into.record(phase, Duration.ofNanos(System.nanoTime() - t0));
        return result;
    }

    /** How long a call refused with ABORTED is retried, as the sidecars and kubelet retry it. */
    static final Duration ABORTED_RETRY_FOR = Duration.ofMinutes(2);

    /**
     * Runs {@code call}, retrying it while the plugin answers ABORTED (another call on the volume is in flight: two
     * nodes attaching one ReadOnlyMany claim at once), with the sidecars' exponential backoff from 50 ms to 1 s.
     */
    static <T> T retryingAborted(Supplier<T> call) {
        long deadline = System.nanoTime() + ABORTED_RETRY_FOR.toNanos();
        long backoffMillis = 50;
        while (true) {
            try {
                return call.get();
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.ABORTED || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(backoffMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while backing off an ABORTED call", e);
            }
            backoffMillis = Math.min(1000, backoffMillis * 2);
        }
    }

    /**
     * Scales out by one replica whose StorageClass names {@code imageParameter} (e.g. an image family), and checks
     * it shows {@code expectedFiles}; the replica is scaled down with the others. ReadWriteOnce only.
     */
    Replica addReplica(String imageParameter, Map<String, String> expectedFiles) throws IOException {
        requireReadWriteOnce("adding a replica from another image");
        int index = replicas.size();
        Replica r = new Replica(index, pvName(runId, String.valueOf(index)), nodeFor(index));
        replicas.add(r);
        up(r, expectedFiles, imageParameter);
        return r;
    }

    private void requireReadWriteOnce(String what) {
        if (access != Access.READ_WRITE_ONCE) {
            throw new IllegalStateException(what + " needs ReadWriteOnce replicas");
        }
    }

    private void up(Replica r, Map<String, String> expectedFiles) throws IOException {
        up(r, expectedFiles, image);
    }

    private CreateVolumeRequest.Builder createRequest(
            String pvName, String pvcName, String imageParameter, VolumeCapability cap) {
        return CsiRequests.createVolume(pvName, imageParameter, cap)
                .setCapacityRange(CsiRequests.atLeast(sizeBytes))
                .putAllParameters(classParameters)
                .putParameters("csi.storage.k8s.io/pvc/name", pvcName)
                .putParameters("csi.storage.k8s.io/pvc/namespace", "default")
                .putParameters("csi.storage.k8s.io/pv/name", pvName);
    }

    private void up(Replica r, Map<String, String> expectedFiles, String imageParameter) throws IOException {
        r.volume = timed(
                Phase.CREATE,
                () -> controller
                        .createVolume(createRequest(r.pvName, r.pvcName(), imageParameter, MOUNT_RWO)
                                // WaitForFirstConsumer: the zone of the node the pod was scheduled to
                                .setAccessibilityRequirements(CsiRequests.preferring(zoneTopology(r.node.zone())))
                                .build())
                        .getVolume());
        attachAndMount(r, timings);
        long t0 = System.nanoTime();
        verify(r, expectedFiles);
        timings.record(Phase.VERIFY, Duration.ofNanos(System.nanoTime() - t0));
    }

    private static Topology zoneTopology(String zone) {
        return CsiRequests.zone(Keys.TOPOLOGY_ZONE, zone);
    }

    /** ControllerPublish, NodeStage and NodePublish of a ReadWriteOnce replica on its node. */
    private void attachAndMount(Replica r, PhaseTimings into) {
        String volumeId = r.volume.getVolumeId();
        NodeGrpc.NodeBlockingStub node = r.node.stub();
        r.publishContext = timed(
                into,
                Phase.ATTACH,
                () -> controller
                        .controllerPublishVolume(CsiRequests.controllerPublish(r.volume, r.node.nodeId(), MOUNT_RWO)
                                .build())
                        .getPublishContextMap());
        timed(
                into,
                Phase.STAGE,
                () -> node.nodeStageVolume(CsiRequests.nodeStage(r.volume, r.publishContext, r.stagingPath, MOUNT_RWO)
                        .build()));
        timed(
                into,
                Phase.PUBLISH,
                () -> node.nodePublishVolume(
                        CsiRequests.nodePublish(r.volume, r.publishContext, r.stagingPath, r.targetPath, MOUNT_RWO)
                                .build()));
    }

    /** What a pod would see: the image's files, a writable volume, and the size the claim asked for. */
    private void verify(Replica r, Map<String, String> expectedFiles) throws IOException {
        checkFiles(r, expectedFiles);
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

    private static void checkFiles(Replica r, Map<String, String> expectedFiles) throws IOException {
        for (Map.Entry<String, String> f : expectedFiles.entrySet()) {
            Path p = r.targetPath.resolve(f.getKey());
            String actual = Files.readString(p, StandardCharsets.UTF_8);
            if (!actual.equals(f.getValue())) {
                throw new IOException("replica " + r.index + " on " + r.node.name() + ": " + p
                        + " does not hold the image's content");
            }
        }
    }

    private void down(Replica r) {
        if (r.volume == null) {
            return;
        }
        unmountAndDetach(r, timings);
        timed(Phase.DELETE, () -> controller.deleteVolume(CsiRequests.deleteVolume(r.volume.getVolumeId())));
    }

    /** NodeUnpublish, NodeUnstage and ControllerUnpublish of a ReadWriteOnce replica on its node. */
    private void unmountAndDetach(Replica r, PhaseTimings into) {
        String volumeId = r.volume.getVolumeId();
        NodeGrpc.NodeBlockingStub node = r.node.stub();
        timed(into, Phase.UNPUBLISH, () -> node.nodeUnpublishVolume(CsiRequests.nodeUnpublish(volumeId, r.targetPath)));
        timed(into, Phase.UNSTAGE, () -> node.nodeUnstageVolume(CsiRequests.nodeUnstage(volumeId, r.stagingPath)));
        timed(
                into,
                Phase.DETACH,
                () -> controller.controllerUnpublishVolume(CsiRequests.controllerUnpublish(volumeId, r.node.nodeId())));
    }

    // ------------------------------------------------------------------------------------------ ReadOnlyMany

    /** The nodes that run at least one replica, in order. */
    private List<NodeTarget> usedNodes() {
        return replicas.stream().map(r -> r.node).distinct().toList();
    }

    /**
     * The shared claim: one CreateVolume allowed in every zone a replica runs in, then each such node attaches it
     * read-only and stages it once (every pod on a node shares the staging).
     */
    private void shareUp() throws Exception {
        String pv = replicas.get(0).pvName;
        TopologyRequirement.Builder topology = TopologyRequirement.newBuilder();
        for (String zone : usedNodes().stream().map(NodeTarget::zone).distinct().toList()) {
            topology.addRequisite(zoneTopology(zone));
        }
        topology.addPreferred(zoneTopology(replicas.get(0).node.zone()));
        shared = timed(
                Phase.CREATE,
                () -> controller
                        .createVolume(createRequest(pv, "runtime-lib-shared", image, MOUNT_ROX)
                                .setAccessibilityRequirements(topology)
                                .build())
                        .getVolume());
        for (Replica r : replicas) {
            r.volume = shared;
        }
        out.println("  shared volume " + shared.getVolumeId() + " (" + access.label + "), accessible in "
                + shared.getAccessibleTopologyList().stream()
                        .map(t -> t.getSegmentsOrDefault(Keys.TOPOLOGY_ZONE, "?"))
                        .toList());
        runAll(usedNodes(), n -> {
            Replica first =
                    replicas.stream().filter(r -> r.node == n).findFirst().orElseThrow();
            Map<String, String> context = timed(
                    Phase.ATTACH,
                    () -> controller
                            .controllerPublishVolume(CsiRequests.controllerPublish(shared, n.nodeId(), MOUNT_ROX)
                                    .setReadonly(true)
                                    .build())
                            .getPublishContextMap());
            nodePublishContext.put(n.nodeId(), context);
            timed(
                    Phase.STAGE,
                    () -> n.stub()
                            .nodeStageVolume(CsiRequests.nodeStage(shared, context, first.stagingPath, MOUNT_ROX)
                                    .build()));
        });
    }

    /** One reader pod: NodePublish read-only, then it must read the image's files and fail to write. */
    private void readerUp(Replica r, Map<String, String> expectedFiles) throws IOException {
        r.publishContext = nodePublishContext.get(r.node.nodeId());
        timed(
                Phase.PUBLISH,
                () -> r.node.stub()
                        .nodePublishVolume(CsiRequests.nodePublish(
                                        shared, r.publishContext, r.stagingPath, r.targetPath, MOUNT_ROX)
                                .setReadonly(true)
                                .build()));
        long t0 = System.nanoTime();
        checkFiles(r, expectedFiles);
        Path attempt = r.targetPath.resolve("replica-" + r.index + ".txt");
        try {
            Files.writeString(attempt, "a reader must not write\n");
            throw new IOException("replica " + r.index + " on " + r.node.name() + ": " + attempt
                    + " was written on a ReadOnlyMany volume");
        } catch (FileSystemException e) {
            if (e.getReason() == null || !e.getReason().contains("Read-only file system")) {
                throw new IOException(
                        "replica " + r.index + ": a write failed, but not with EROFS: " + e.getMessage(), e);
            }
        }
        timings.record(Phase.VERIFY_READ_ONLY, Duration.ofNanos(System.nanoTime() - t0));
    }

    private void readerDown(Replica r) {
        if (shared == null || !nodePublishContext.containsKey(r.node.nodeId())) {
            return;
        }
        timed(
                Phase.UNPUBLISH,
                () -> r.node.stub().nodeUnpublishVolume(CsiRequests.nodeUnpublish(shared.getVolumeId(), r.targetPath)));
    }

    /** After the last reader pod on each node is gone: unstage and detach per node, then delete the claim. */
    private void shareDown() throws Exception {
        if (shared == null) {
            return;
        }
        runAll(usedNodes(), n -> {
            if (!nodePublishContext.containsKey(n.nodeId())) {
                return;
            }
            Replica first =
                    replicas.stream().filter(r -> r.node == n).findFirst().orElseThrow();
            timed(
                    Phase.UNSTAGE,
                    () -> n.stub().nodeUnstageVolume(CsiRequests.nodeUnstage(shared.getVolumeId(), first.stagingPath)));
            timed(
                    Phase.DETACH,
                    () -> controller.controllerUnpublishVolume(
                            CsiRequests.controllerUnpublish(shared.getVolumeId(), n.nodeId())));
            nodePublishContext.remove(n.nodeId());
        });
        timed(Phase.DELETE, () -> controller.deleteVolume(CsiRequests.deleteVolume(shared.getVolumeId())));
    }

    // ------------------------------------------------------------------------------------------------- move

    /** Another node in the zone of {@code r}'s node, where its zonal disk can follow it; empty when none. */
    public Optional<NodeTarget> moveTarget(Replica r) {
        return nodes.stream()
                .filter(n -> n != r.node && n.zone().equals(r.node.zone()))
                .findFirst();
    }

    /**
     * A node drain: writes (and syncs) a file on {@code r}, takes the replica off its node (NodeUnpublish,
     * NodeUnstage, ControllerUnpublish), starts it on {@code to} (ControllerPublish, NodeStage, NodePublish) and
     * checks it sees the file. The steps' times go to {@code into}.
     */
    public void move(Replica r, NodeTarget to, PhaseTimings into) throws IOException {
        requireReadWriteOnce("a move");
        if (!to.zone().equals(r.node.zone())) {
            throw new IllegalArgumentException("replica " + r.index + " is in zone " + r.node.zone() + "; node "
                    + to.name() + " is in " + to.zone() + ": a zonal disk cannot follow it");
        }
        NodeTarget from = r.node;
        String content = "written by replica " + r.index + " on " + from.name() + " before the drain\n";
        Path file = r.targetPath.resolve(MOVED_FILE);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content, StandardCharsets.UTF_8);
        UpdateLoop.flush(file);
        out.println("move: replica " + r.index + " wrote " + MOVED_FILE + " on " + from.name() + "; draining it");
        long t0 = System.nanoTime();
        unmountAndDetach(r, into);
        r.placeOn(to);
        attachAndMount(r, into);
        into.total("move " + from.name() + " -> " + to.name() + " (wall)", Duration.ofNanos(System.nanoTime() - t0));
        String seen = Files.readString(r.targetPath.resolve(MOVED_FILE), StandardCharsets.UTF_8);
        if (!seen.equals(content)) {
            throw new IOException("replica " + r.index + " on " + to.name() + " does not see what it wrote on "
                    + from.name() + ": " + seen);
        }
        out.println("move: replica " + r.index + " started on " + to.name() + " and sees " + MOVED_FILE);
    }

    static final String MOVED_FILE = "moved/before-drain.txt";

    /** Volume ids the controller still lists among this run's. */
    public List<String> volumesLeft() {
        List<String> ours = replicas.stream()
                .filter(r -> r.volume != null)
                .map(r -> r.volume.getVolumeId())
                .distinct()
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
