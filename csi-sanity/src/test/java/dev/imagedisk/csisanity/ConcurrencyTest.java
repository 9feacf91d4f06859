package dev.imagedisk.csisanity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.Volume;
import dev.imagedisk.csi.requests.CsiRequests;
import dev.imagedisk.gce.emulator.GceEmulator;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Simultaneous calls on one volume: each answers OK or ABORTED (the spec's "operation pending for
 * volume"), never anything else, at least one does the work, and the result is what one call would have
 * made. On the local stack, slowed-down Compute Engine operations make the overlap certain, so ABORTED
 * must be seen. The methods run in @Order: a slow NodeStageVolume started by the first is joined by the
 * last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConcurrencyTest extends SanityTest {
    private static final int THREADS = 8;
    private ExecutorService pool;

    @BeforeEach
    void startPool() {
        pool = Executors.newFixedThreadPool(THREADS);
    }

    @AfterEach
    void stopPool() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(30, TimeUnit.SECONDS);
    }

    /** Outcome of one simultaneous round: each call's code and, for OK, its result. */
    private record Round<T>(List<Status.Code> codes, List<T> results) {
        long count(Status.Code c) {
            return codes.stream().filter(c::equals).count();
        }
    }

    /** Runs {@code n} copies of {@code call} released together. */
    private <T> Round<T> together(int n, Supplier<T> call) throws Exception {
        CyclicBarrier start = new CyclicBarrier(n);
        List<Future<Object>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            fs.add(pool.submit(() -> {
                start.await(30, TimeUnit.SECONDS);
                try {
                    return call.get();
                } catch (StatusRuntimeException e) {
                    return e;
                }
            }));
        }
        List<Status.Code> codes = new ArrayList<>();
        List<T> results = new ArrayList<>();
        for (Future<Object> f : fs) {
            Object o = f.get(2, TimeUnit.MINUTES);
            if (o instanceof StatusRuntimeException e) {
                codes.add(e.getStatus().getCode());
            } else {
                codes.add(Status.Code.OK);
                @SuppressWarnings("unchecked")
                T t = (T) o;
                results.add(t);
            }
        }
        return new Round<>(codes, results);
    }

    private static void assertOkOrAborted(String what, Round<?> r) {
        Map<Status.Code, Long> other = new EnumMap<>(Status.Code.class);
        for (Status.Code c : r.codes()) {
            if (c != Status.Code.OK && c != Status.Code.ABORTED) {
                other.merge(c, 1L, Long::sum);
            }
        }
        assertTrue(other.isEmpty(), what + ": simultaneous calls may only answer OK or ABORTED, got " + r.codes());
        assertTrue(r.count(Status.Code.OK) >= 1, what + ": no call succeeded: " + r.codes());
    }

    /** Slows the emulator's operations so that simultaneous calls surely overlap (local stack only). */
    private AutoCloseable slowOperations() {
        GceEmulator emu = csi.emulator().orElse(null);
        if (emu == null) {
            return () -> {};
        }
        emu.faults().setOperationDuration(Duration.ofMillis(1500));
        Duration normal = csi.local().orElseThrow().options().operationDuration();
        return () -> emu.faults().setOperationDuration(normal);
    }

    @Test
    @DisplayName("CreateVolume ×8 with one name, then DeleteVolume ×8: OK or ABORTED only; one volume; then none")
    void createAndDelete() throws Exception {
        CreateVolumeRequest req = res.createRequest("conc-create").build();
        Round<Volume> created;
        try (AutoCloseable slow = slowOperations()) {
            created = together(THREADS, () -> res.createVolume(req).getVolume());
        }
        assertOkOrAborted("CreateVolume", created);
        Set<String> ids = new HashSet<>();
        created.results().forEach(v -> ids.add(v.getVolumeId()));
        assertEquals(1, ids.size(), "simultaneous CreateVolume calls with one name made several volumes: " + ids);
        if (csi.local().isPresent()) {
            assertTrue(
                    created.count(Status.Code.ABORTED) >= 1,
                    "8 CreateVolume calls overlapping a 1.5 s operation, " + "none ABORTED: " + created.codes());
        }
        assertEquals(
                ids.iterator().next(),
                res.createVolume(req).getVolume().getVolumeId(),
                "after the race, the same request answers another volume");

        String id = ids.iterator().next();
        Round<Object> deleted;
        try (AutoCloseable slow = slowOperations()) {
            deleted = together(
                    THREADS,
                    () -> csi.controller()
                            .deleteVolume(DeleteVolumeRequest.newBuilder()
                                    .setVolumeId(id)
                                    .build()));
        }
        assertOkOrAborted("DeleteVolume", deleted);
        if (csi.has(Type.GET_VOLUME)) {
            Codes.assertCode(
                    Status.Code.NOT_FOUND,
                    () -> csi.controller()
                            .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                    .setVolumeId(id)
                                    .build()),
                    "after the DeleteVolume race");
        }
    }

    @Test
    @DisplayName("ControllerPublish ×8, then ControllerUnpublish ×8: OK or ABORTED only; attached once; then not")
    void publishAndUnpublish() throws Exception {
        Volume v = res.create("conc-attach");
        ControllerPublishVolumeRequest req = ControllerPublishVolumeRequest.newBuilder()
                .setVolumeId(v.getVolumeId())
                .setNodeId(csi.nodeId)
                .setVolumeCapability(CsiRequests.RWO)
                .build();
        Round<Map<String, String>> attached;
        try (AutoCloseable slow = slowOperations()) {
            attached = together(THREADS, () -> res.controllerPublish(req));
        }
        assertOkOrAborted("ControllerPublishVolume", attached);
        assertEquals(1, new HashSet<>(attached.results()).size(), "different publish_context: " + attached.results());
        if (csi.local().isPresent()) {
            assertTrue(attached.count(Status.Code.ABORTED) >= 1, "none ABORTED: " + attached.codes());
        }
        if (csi.has(Type.GET_VOLUME)) {
            assertEquals(List.of(csi.nodeId), published(v));
        }
        Round<Object> detached;
        try (AutoCloseable slow = slowOperations()) {
            detached = together(
                    THREADS,
                    () -> csi.controller()
                            .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                                    .setVolumeId(v.getVolumeId())
                                    .setNodeId(csi.nodeId)
                                    .build()));
        }
        assertOkOrAborted("ControllerUnpublishVolume", detached);
        if (csi.has(Type.GET_VOLUME)) {
            assertEquals(List.of(), published(v));
        }
    }

    private List<String> published(Volume v) {
        return csi.controller()
                .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                        .setVolumeId(v.getVolumeId())
                        .build())
                .getStatus()
                .getPublishedNodeIdsList();
    }

    @Test
    @DisplayName("NodeStage, NodePublish, NodeUnpublish, NodeUnstage ×8 each: OK or ABORTED only; one mount each; "
            + "then none")
    void nodeCalls() throws Exception {
        Volume v = res.create("conc-node");
        Map<String, String> ctx = res.controllerPublish(v, CsiRequests.RWO, false);
        Path staging = res.newStagingDir();
        Path target = res.newTargetPath();
        NodeStageVolumeRequest stage = NodeStageVolumeRequest.newBuilder()
                .setVolumeId(v.getVolumeId())
                .putAllPublishContext(ctx)
                .setStagingTargetPath(staging.toString())
                .setVolumeCapability(CsiRequests.RWO)
                .build();
        NodePublishVolumeRequest publish = NodePublishVolumeRequest.newBuilder()
                .setVolumeId(v.getVolumeId())
                .putAllPublishContext(ctx)
                .setStagingTargetPath(staging.toString())
                .setTargetPath(target.toString())
                .setVolumeCapability(CsiRequests.RWO)
                .build();
        Round<Object> staged = together(THREADS, () -> {
            res.stage(stage);
            return "";
        });
        assertOkOrAborted("NodeStageVolume", staged);
        assertEquals(1, Mounts.at(staging).size(), "mounts at the staging path: " + Mounts.at(staging));
        Round<Object> published = together(THREADS, () -> {
            res.publish(publish);
            return "";
        });
        assertOkOrAborted("NodePublishVolume", published);
        assertEquals(1, Mounts.at(target).size(), "mounts at the target: " + Mounts.at(target));
        assertOkOrAborted(
                "NodeUnpublishVolume",
                together(
                        THREADS,
                        () -> csi.node()
                                .nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                                        .setVolumeId(v.getVolumeId())
                                        .setTargetPath(target.toString())
                                        .build())));
        assertTrue(Mounts.at(target).isEmpty(), "still mounted at the target");
        assertFalse(Files.exists(target), "the target path is still there");
        assertOkOrAborted(
                "NodeUnstageVolume",
                together(
                        THREADS,
                        () -> csi.node()
                                .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                                        .setVolumeId(v.getVolumeId())
                                        .setStagingTargetPath(staging.toString())
                                        .build())));
        assertTrue(Mounts.at(staging).isEmpty(), "still mounted at the staging path");
    }

    /**
     * A NodeStageVolume of a volume that does not exist waits out the node's device wait (20 s on the local
     * stack) before it answers; it runs in the background across this class's other tests, started by the
     * first and joined by the last.
     */
    private static CompletableFuture<Status.Code> missingVolumeStage;

    private static long missingVolumeStageStart;

    @Test
    @Order(1)
    @DisplayName("while a NodeStageVolume waits for a device that never comes, other calls on that volume are ABORTED"
            + " and other volumes are not held up")
    void nodeStageOfMissingVolumeInFlight() throws Exception {
        missingVolumeStage = null;
        assumeTrue(csi.local().isPresent(), "relies on the local stack's device wait");
        String gone = csi.goneVolumeId();
        String device = "sanity-" + csi.runId + "-never-attached";
        String id = gone.substring(0, gone.lastIndexOf('/') + 1) + device;
        Path staging = res.newStagingDir();
        NodeStageVolumeRequest stage = NodeStageVolumeRequest.newBuilder()
                .setVolumeId(id)
                .putPublishContext("deviceName", device)
                .setStagingTargetPath(staging.toString())
                .setVolumeCapability(CsiRequests.RWO)
                .build();
        missingVolumeStageStart = System.nanoTime();
        CompletableFuture<Status.Code> waiting = CompletableFuture.supplyAsync(
                () -> Codes.codeOf(() -> csi.node().nodeStageVolume(stage)), r -> {
                    Thread t = new Thread(r, "sanity-missing-volume-stage");
                    t.setDaemon(true);
                    t.start();
                });
        missingVolumeStage = waiting;
        Resources.sleep(500);
        assertFalse(
                waiting.isDone(),
                "NodeStageVolume of a device that does not exist returned at once: "
                        + (waiting.isDone() ? waiting.get() : ""));
        Codes.assertCode(
                Status.Code.ABORTED,
                () -> csi.node().nodeStageVolume(stage),
                "a second NodeStageVolume on the volume while the first is in flight");
        Codes.assertCode(
                Status.Code.ABORTED,
                () -> csi.node()
                        .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                                .setVolumeId(id)
                                .setStagingTargetPath(staging.toString())
                                .build()),
                "NodeUnstageVolume on the volume while its NodeStageVolume is in flight");
        Codes.assertCode(
                Status.Code.ABORTED,
                () -> csi.node()
                        .nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                                .setVolumeId(id)
                                .setStagingTargetPath(staging.toString())
                                .setTargetPath(res.newTargetPath().toString())
                                .setVolumeCapability(CsiRequests.RWO)
                                .build()),
                "NodePublishVolume on the volume while its NodeStageVolume is in flight");
        Codes.assertOkOr(
                "NodeUnstageVolume of another volume meanwhile",
                () -> csi.node()
                        .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                                .setVolumeId(Csi.fakeVolumeId())
                                .setStagingTargetPath(res.newStagingDir().toString())
                                .build()),
                Status.Code.NOT_FOUND);
        assertTrue(Mounts.under(staging).isEmpty(), "something got mounted");
    }

    @Test
    @Order(Integer.MAX_VALUE)
    @DisplayName("NodeStageVolume of a volume that does not exist (its device never appears): NOT_FOUND")
    void nodeStageOfMissingVolumeEndsNotFound() throws Exception {
        assumeTrue(missingVolumeStage != null, "the first test of this class did not start the NodeStageVolume");
        Status.Code end = missingVolumeStage.get(2, TimeUnit.MINUTES);
        assertEquals(
                Status.Code.NOT_FOUND,
                end,
                "NodeStageVolume of a volume that does not exist (after "
                        + Duration.ofNanos(System.nanoTime() - missingVolumeStageStart)
                                .toMillis() + " ms)");
    }
}
