package dev.imagedisk.bench;

import csi.v1.CapacityRange;
import csi.v1.ControllerGrpc;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import dev.imagedisk.bench.Report.Verdict;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.plugin.PluginRuntime;
import dev.imagedisk.csi.server.CsiChannels;
import dev.imagedisk.gce.emulator.GceEmulator;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * B5, many readers: R reader pods of one runtime on I instances in 2 zones, as one ReadOnlyMany claim (Hyperdisk ML,
 * {@code replicas: on-demand}: a read-only disk per zone, made when its first reader comes) against the same R pods
 * as ReadWriteOnce (a disk each), in one run. Controller only: the emulator keeps records (storage off) and the
 * orchestrator's part is played as csi-provisioner and csi-attacher play it: one CreateVolume for the shared claim,
 * one ControllerPublishVolume per node that runs a reader (a VolumeAttachment is per volume and node; the node's
 * other readers wait for it), and for ReadWriteOnce a CreateVolume and a ControllerPublishVolume per pod. Calls
 * refused with ABORTED, UNAVAILABLE or RESOURCE_EXHAUSTED are retried with the sidecars' backoff.
 *
 * <p><b>Time scaling.</b> The ReadOnlyMany run is real time (its floor is a few seconds). The ReadWriteOnce baseline
 * (2,000 writes under the 20 writes/s budget: 100 s) runs {@link #RWO_SCALE} times fast against a fresh controller:
 * emulator operations take {@code D / 10}, the Hyperdisk ML attach pace (100 per 30 s per disk) reads a clock that
 * runs 10 times fast ({@link dev.imagedisk.gce.emulator.Sharing#setClock}), the controller's API budgets are 10 times
 * its defaults (20 writes/s, 25 reads/s) and its retry backoffs a tenth; its times are reported in model seconds
 * (wall × 10), which also multiplies the controller's own CPU time by 10 (a pessimistic baseline). Each run's
 * controller is warmed up first (one small claim of each kind, not counted).
 *
 * <p><b>Floors</b> (model seconds). ReadWriteOnce: {@code max(2 D, 2 R / 20)} (a disk insert and an attach per pod
 * under the 20 writes/s budget). ReadOnlyMany: {@code max(2 D + (⌈a / 100⌉ − 1) × 30 s, (disks + I) / 20)}, with
 * {@code a} the attaches of one zone's disk ({@code ⌈I / zones⌉}): the zone's disk made, the pace's full windows,
 * the last attach; or the write budget, whichever is longer.
 */
final class ReaderBench {
    static final String PROJECT = "bench-b5";
    static final String IMAGE = "runtime-lib";
    static final String[] ZONES = {"us-central1-a", "us-central1-b"};
    /** ReadOnlyMany runs in real time: its floor is a few seconds. */
    static final int ROX_SCALE = 1;
    /** ReadWriteOnce, the baseline, runs 10× fast: its floor (2,000 writes at 20 a second) is 100 s. */
    static final int RWO_SCALE = 10;

    static final double WRITE_QPS = 20;
    static final double READ_QPS = 25;
    static final int PACE = 100;
    static final Duration PACE_WINDOW = Duration.ofSeconds(30);
    static final int HDML_READER_CAP = 2500;
    static final String ROX_TYPE = "hyperdisk-ml";

    private final Report report;
    private final PrintStream out;
    private final Path dir;

    ReaderBench(Report report, PrintStream out, Path dir) {
        this.report = report;
        this.out = out;
        this.dir = dir;
    }

    void run() throws Exception {
        boolean quick = report.quick();
        int readers = quick ? 40 : 1000;
        int instances = quick ? 8 : 100;
        int zones = ZONES.length;
        Duration operation = quick ? Duration.ofMillis(200) : Duration.ofSeconds(1);
        int callers = quick ? 20 : 100;
        try (GceEmulator emulator = BenchEmulator.start(operation, PROJECT, IMAGE)) {
            for (int i = 0; i < instances; i++) {
                emulator.addInstance(PROJECT, zoneOf(i), vm(i), "e2-standard-4");
            }
            out.printf(
                    "  B5: %d readers on %d instances in %d zones, %s operations; ReadOnlyMany in real time,"
                            + " ReadWriteOnce time scaled %d×; controller in process%n",
                    readers, instances, zones, AddedLatencyBench.seconds(operation), RWO_SCALE);
            Run rox = withController(
                    emulator, operation, ROX_SCALE, stub -> readOnlyMany(emulator, stub, readers, instances, callers));
            Run rwo = withController(
                    emulator, operation, RWO_SCALE, stub -> readWriteOnce(emulator, stub, readers, instances, callers));
            report(rox, rwo, readers, instances, zones, operation);
        }
    }

    interface Measured {
        Run run(ControllerGrpc.ControllerBlockingStub stub) throws Exception;
    }

    /**
     * Runs {@code measured} against a fresh controller with time scaled {@code scale}×: the emulator's operations
     * take {@code operation / scale}, the attach pace reads a clock {@code scale}× fast, the controller's API budgets
     * are {@code scale}× its defaults and its retry backoffs {@code 1 / scale}. The controller is warmed up first.
     */
    private Run withController(GceEmulator emulator, Duration operation, int scale, Measured measured)
            throws Exception {
        emulator.faults().setOperationDuration(operation.dividedBy(scale));
        emulator.sharing().setClock(scaledClock(scale));
        Path socket = dir.resolve("b5-" + scale + ".sock");
        try (PluginRuntime controller = PluginRuntime.start(Csi.config(BenchEmulator.controllerArgs(
                        socket,
                        PROJECT,
                        ZONES[0],
                        emulator,
                        "--api-write-rate-limit",
                        String.valueOf(WRITE_QPS * scale),
                        "--api-read-rate-limit",
                        String.valueOf(READ_QPS * scale),
                        "--api-retry-backoff",
                        (500 / scale) + "ms",
                        "--api-retry-max-backoff",
                        (16_000 / scale) + "ms",
                        "--log-level",
                        "warn")));
                CsiChannels.Client client = CsiChannels.connect(socket)) {
            ControllerGrpc.ControllerBlockingStub stub = ControllerGrpc.newBlockingStub(client.channel());
            warmUp(stub);
            currentScale = scale;
            return measured.run(stub);
        }
    }

    /** The time scale of the run being measured. */
    private int currentScale = 1;

    /**
     * One small claim of each kind made, published in both zones and deleted before the measured runs, so neither
     * run pays for the controller's first calls (class loading, JIT, connections); its requests are not counted.
     */
    private static void warmUp(ControllerGrpc.ControllerBlockingStub stub) {
        AtomicLong ignored = new AtomicLong();
        try {
            Volume shared = retrying(
                    ignored,
                    () -> stub.createVolume(createRox("pvc-b5-warm-up-shared")).getVolume());
            for (int node = 0; node < ZONES.length; node++) {
                int n = node;
                retrying(
                        ignored,
                        () -> stub.controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                                .setVolumeId(shared.getVolumeId())
                                .setNodeId(Csi.nodeId(PROJECT, zoneOf(n), vm(n)))
                                .setVolumeCapability(MOUNT_ROX)
                                .setReadonly(true)
                                .putAllVolumeContext(shared.getVolumeContextMap())
                                .build()));
            }
            unpublishAndDelete(stub, shared.getVolumeId(), ZONES.length);
        } catch (StatusRuntimeException e) {
            // a controller without reader sets: the run reports it
        }
        String id = retrying(
                ignored,
                () -> stub.createVolume(Csi.create(
                                "pvc-b5-warm-up-rwo",
                                "projects/" + PROJECT + "/global/images/" + IMAGE,
                                ZONES[0],
                                10L << 30))
                        .getVolume()
                        .getVolumeId());
        retrying(ignored, () -> stub.controllerPublishVolume(Csi.publish(id, Csi.nodeId(PROJECT, zoneOf(0), vm(0)))));
        unpublishAndDelete(stub, id, 1);
    }

    private static void unpublishAndDelete(ControllerGrpc.ControllerBlockingStub stub, String volumeId, int nodes) {
        AtomicLong ignored = new AtomicLong();
        for (int node = 0; node < nodes; node++) {
            int n = node;
            retrying(
                    ignored,
                    () -> stub.controllerUnpublishVolume(csi.v1.ControllerUnpublishVolumeRequest.newBuilder()
                            .setVolumeId(volumeId)
                            .setNodeId(Csi.nodeId(PROJECT, zoneOf(n), vm(n)))
                            .build()));
        }
        retrying(
                ignored,
                () -> stub.deleteVolume(csi.v1.DeleteVolumeRequest.newBuilder()
                        .setVolumeId(volumeId)
                        .build()));
    }

    /** A run's outcome; {@code unsupported} is why the controller refused the claim, when it did. */
    record Run(
            double makespanModelSeconds,
            long disks,
            long inserts,
            double createModelSeconds,
            java.util.List<Double> readyModelSeconds,
            long attaches,
            long calls,
            int failed,
            String firstFailure,
            long retried,
            String unsupported,
            Map<String, Long> byMethod) {}

    private Run readOnlyMany(
            GceEmulator emulator, ControllerGrpc.ControllerBlockingStub stub, int readers, int instances, int callers)
            throws InterruptedException {
        Map<String, Long> before = emulator.requestCounts();
        int disksBefore = emulator.diskNames(PROJECT).size();
        AtomicLong retried = new AtomicLong();
        long t0 = System.nanoTime();
        Volume volume;
        try {
            volume = retrying(
                    retried,
                    () -> stub.withDeadlineAfter(300, TimeUnit.SECONDS)
                            .createVolume(createRox("pvc-b5-shared-runtime"))
                            .getVolume());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT) {
                return new Run(
                        Double.NaN,
                        0,
                        0,
                        Double.NaN,
                        java.util.List.of(),
                        0,
                        0,
                        0,
                        "",
                        0,
                        e.getStatus().getDescription(),
                        Map.of());
            }
            return new Run(
                    Double.NaN,
                    0,
                    0,
                    0,
                    java.util.List.of(),
                    0,
                    0,
                    readers,
                    e.toString(),
                    retried.get(),
                    null,
                    Map.of());
        }
        double createSeconds = (System.nanoTime() - t0) / 1e9 * currentScale;
        java.util.List<Double> readyAt = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Map<Integer, CompletableFuture<Void>> attachments = new ConcurrentHashMap<>();
        String volumeId = volume.getVolumeId();
        Concurrent.Result result = Concurrent.run(readers, callers, 1800, i -> {
            int node = i % instances;
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> attach = attachments.putIfAbsent(node, mine);
            if (attach == null) {
                // this node's first reader: its VolumeAttachment; the node's other readers wait for it
                try {
                    retrying(
                            retried,
                            () -> stub.withDeadlineAfter(300, TimeUnit.SECONDS)
                                    .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                                            .setVolumeId(volumeId)
                                            .setNodeId(Csi.nodeId(PROJECT, zoneOf(node), vm(node)))
                                            .setVolumeCapability(MOUNT_ROX)
                                            .setReadonly(true)
                                            .putAllVolumeContext(volume.getVolumeContextMap())
                                            .build()));
                    mine.complete(null);
                } catch (RuntimeException e) {
                    mine.completeExceptionally(e);
                    throw e;
                }
            } else {
                attach.get(30, TimeUnit.MINUTES);
            }
            readyAt.add((System.nanoTime() - t0) / 1e9 * currentScale);
        });
        return finish(emulator, before, disksBefore, t0, createSeconds, readyAt, result, retried, readers);
    }

    private Run readWriteOnce(
            GceEmulator emulator, ControllerGrpc.ControllerBlockingStub stub, int readers, int instances, int callers)
            throws InterruptedException {
        Map<String, Long> before = emulator.requestCounts();
        int disksBefore = emulator.diskNames(PROJECT).size();
        AtomicLong retried = new AtomicLong();
        long t0 = System.nanoTime();
        Concurrent.Result result = Concurrent.run(readers, callers, 1800, i -> {
            int node = i % instances;
            String id = retrying(
                    retried,
                    () -> stub.withDeadlineAfter(300, TimeUnit.SECONDS)
                            .createVolume(Csi.create(
                                    "pvc-b5-rwo-" + i,
                                    "projects/" + PROJECT + "/global/images/" + IMAGE,
                                    zoneOf(node),
                                    10L << 30))
                            .getVolume()
                            .getVolumeId());
            retrying(
                    retried,
                    () -> stub.withDeadlineAfter(300, TimeUnit.SECONDS)
                            .controllerPublishVolume(Csi.publish(id, Csi.nodeId(PROJECT, zoneOf(node), vm(node)))));
        });
        return finish(emulator, before, disksBefore, t0, Double.NaN, java.util.List.of(), result, retried, readers);
    }

    private Run finish(
            GceEmulator emulator,
            Map<String, Long> before,
            int disksBefore,
            long t0,
            double createSeconds,
            java.util.List<Double> readyAt,
            Concurrent.Result result,
            AtomicLong retried,
            int readers) {
        double makespan = (System.nanoTime() - t0) / 1e9 * currentScale;
        Map<String, Long> after = emulator.requestCounts();
        long calls = 0;
        Map<String, Long> byMethod = new java.util.TreeMap<>();
        for (Map.Entry<String, Long> e : after.entrySet()) {
            long n = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (!e.getKey().equals("metadata") && n > 0) {
                calls += n;
                byMethod.put(e.getKey(), n);
            }
        }
        int failed = readers - result.millis().size();
        return new Run(
                makespan,
                emulator.diskNames(PROJECT).size() - disksBefore,
                delta(after, before, "disks.insert"),
                createSeconds,
                java.util.List.copyOf(readyAt),
                delta(after, before, "instances.attachDisk"),
                calls,
                failed,
                result.failures().isEmpty() ? "" : result.failures().get(0),
                retried.get(),
                null,
                byMethod);
    }

    private void report(Run rox, Run rwo, int readers, int instances, int zones, Duration operation) {
        double d = operation.toMillis() / 1000.0;
        int perZone = (readers + zones - 1) / zones;
        long diskLimit = (long) zones * ((perZone + HDML_READER_CAP - 1) / HDML_READER_CAP);
        int attachesPerDisk = (instances + zones - 1) / zones;
        double paceFloor = (Math.ceil(attachesPerDisk / (double) PACE) - 1) * PACE_WINDOW.toSeconds();
        // the critical path: the claim's CreateVolume (one insert and its operation) comes before any publish, every
        // later write (the other zones' inserts and one attach per instance) waits for the write budget, and the last
        // attach's operation ends the run; the pace can only make it longer. The budget's first second (a full bucket)
        // is counted as free, so this is a lower bound however the budget starts
        double roxFloor =
                Math.max(2 * d + paceFloor, d + Math.max(0, diskLimit - 1 + instances - WRITE_QPS) / WRITE_QPS + d);
        double rwoFloor = Math.max(2 * d, 2.0 * readers / WRITE_QPS);
        String scaling = "model seconds: wall × " + RWO_SCALE + " (operations, the attach pace's clock and the"
                + " controller's budgets run " + RWO_SCALE + "× fast)";
        if (rox.unsupported() != null) {
            report.skipped(
                    "B5",
                    readers + " readers ReadOnlyMany (" + ROX_TYPE + ", replicas: on-demand)",
                    "the controller refused the claim (issue 17 items 1-2 not in this build): " + rox.unsupported());
        } else {
            report.value(
                    "B5",
                    "disks created, " + readers + " readers ReadOnlyMany (" + ROX_TYPE + ", on-demand), " + zones
                            + " zones",
                    "",
                    rox.disks(),
                    (double) rwo.disks(),
                    "≤ " + zones + " × ⌈" + perZone + " / " + HDML_READER_CAP + "⌉ = " + diskLimit,
                    verdict(rox.disks() <= diskLimit),
                    "baseline = the same readers ReadWriteOnce; disks that exist after the run (" + rox.inserts()
                            + " disks.insert requests: one per disk made, the readers that need it meanwhile wait"
                            + " for that one); " + rox.attaches() + " attaches (" + rwo.attaches()
                            + " RWO); CreateVolume of the"
                            + " claim took " + Report.fmt(rox.createModelSeconds()) + " s");
            double perReader = rox.calls() / (double) readers;
            report.value(
                    "B5",
                    "Compute Engine API calls per reader, ReadOnlyMany",
                    "",
                    perReader,
                    rwo.calls() / (double) readers,
                    "≤ 2.5",
                    verdict(perReader <= 2.5),
                    "baseline = ReadWriteOnce; " + rox.calls() + " calls (" + rwo.calls() + " RWO), every request the"
                            + " emulator saw but metadata: " + rox.byMethod() + "; " + rox.retried()
                            + " CSI calls retried");
            report.value(
                    "B5",
                    "makespan, " + readers + " readers on " + instances + " instances ReadOnlyMany",
                    "s",
                    rox.makespanModelSeconds(),
                    roxFloor,
                    "≤ 1.2 × floor (" + Report.fmt(roxFloor * 1.2) + " s)",
                    rox.failed() > 0 ? Verdict.FAILED : report.atMost(rox.makespanModelSeconds(), roxFloor * 1.2),
                    String.format(
                            Locale.ROOT,
                            "baseline = the floor: max(2 × %s s + %s s of full pace windows (%d attaches a disk,"
                                    + " %d per %d s), %s s CreateVolume + (%d more disks + %d attaches, less one"
                                    + " second's burst) / %s writes/s + %s s for the last attach); %s",
                            Report.fmt(d),
                            Report.fmt(paceFloor),
                            attachesPerDisk,
                            PACE,
                            PACE_WINDOW.toSeconds(),
                            Report.fmt(d),
                            diskLimit - 1,
                            instances,
                            Report.fmt(WRITE_QPS),
                            Report.fmt(d),
                            "real time; the run sent " + (rox.inserts() + rox.attaches()) + " writes ("
                                    + rox.inserts() + " disks.insert, " + rox.attaches() + " attaches) and "
                                    + (rox.calls() - rox.attaches() - rox.inserts()) + " reads and operation reads"));
            report.dist(
                    "B5",
                    "reader ready (its node's ControllerPublishVolume done), ReadOnlyMany",
                    "s",
                    rox.readyModelSeconds(),
                    null,
                    "",
                    Verdict.INFO,
                    "real time from the start of the run (the claim's CreateVolume included)");
            report.value(
                    "B5",
                    "failed RPCs (readers not ready), ReadOnlyMany",
                    "",
                    rox.failed(),
                    null,
                    "0",
                    verdict(rox.failed() == 0),
                    rox.firstFailure());
        }
        report.value(
                "B5",
                "makespan, " + readers + " pods on " + instances + " instances ReadWriteOnce (baseline)",
                "s",
                rwo.makespanModelSeconds(),
                rwoFloor,
                "",
                rwo.failed() > 0 ? Verdict.FAILED : Verdict.INFO,
                "baseline = the floor: max(2 × " + Report.fmt(d) + " s, " + (2 * readers) + " writes / "
                        + Report.fmt(WRITE_QPS) + " per s); " + rwo.disks() + " disks, " + rwo.attaches()
                        + " attaches, " + Report.fmt(rwo.calls() / (double) readers) + " calls per pod; " + scaling);
        report.value(
                "B5",
                "failed RPCs (pods not ready), ReadWriteOnce",
                "",
                rwo.failed(),
                null,
                "0",
                verdict(rwo.failed() == 0),
                rwo.firstFailure());
    }

    private static Verdict verdict(boolean met) {
        return met ? Verdict.MET : Verdict.MISSED;
    }

    private static long delta(Map<String, Long> after, Map<String, Long> before, String method) {
        return after.getOrDefault(method, 0L) - before.getOrDefault(method, 0L);
    }

    static String zoneOf(int instance) {
        return ZONES[instance % ZONES.length];
    }

    static String vm(int instance) {
        return "reader-vm-" + instance;
    }

    /** A clock that runs {@code scale} times fast from now: the attach pace's windows pass in wall / scale. */
    static InstantSource scaledClock(int scale) {
        Instant origin = Instant.now();
        long t0 = System.nanoTime();
        return () -> origin.plusNanos((System.nanoTime() - t0) * scale);
    }

    static final VolumeCapability MOUNT_ROX = VolumeCapability.newBuilder()
            .setMount(VolumeCapability.MountVolume.newBuilder().setFsType("ext4"))
            .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                    .setMode(VolumeCapability.AccessMode.Mode.MULTI_NODE_READER_ONLY))
            .build();

    static CreateVolumeRequest createRox(String pvName) {
        TopologyRequirement.Builder topology = TopologyRequirement.newBuilder();
        for (String zone : ZONES) {
            topology.addRequisite(Topology.newBuilder().putSegments(Keys.TOPOLOGY_ZONE, zone));
        }
        topology.addPreferred(Topology.newBuilder().putSegments(Keys.TOPOLOGY_ZONE, ZONES[0]));
        return CreateVolumeRequest.newBuilder()
                .setName(pvName)
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(10L << 30))
                .addVolumeCapabilities(MOUNT_ROX)
                .putParameters("image", "projects/" + PROJECT + "/global/images/" + IMAGE)
                .putParameters("type", ROX_TYPE)
                .putParameters("replicas", "on-demand")
                .putParameters("csi.storage.k8s.io/pvc/name", "runtime-shared")
                .putParameters("csi.storage.k8s.io/pvc/namespace", "default")
                .putParameters("csi.storage.k8s.io/pv/name", pvName)
                .setAccessibilityRequirements(topology)
                .build();
    }

    /**
     * Calls until the plugin answers other than ABORTED (a call on the volume in flight), UNAVAILABLE or
     * RESOURCE_EXHAUSTED (rate or pace: retry later), backing off 50 ms to 1 s as the sidecars do; counts retries.
     */
    static <T> T retrying(AtomicLong retried, Supplier<T> call) {
        long backoff = 50;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (true) {
            try {
                return call.get();
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                boolean retryable = code == Status.Code.ABORTED
                        || code == Status.Code.UNAVAILABLE
                        || code == Status.Code.RESOURCE_EXHAUSTED;
                if (!retryable || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            retried.incrementAndGet();
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while backing off", e);
            }
            backoff = Math.min(1000, backoff * 2);
        }
    }
}
