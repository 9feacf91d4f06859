package dev.imagedisk.bench;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.cloud.compute.v1.AttachDiskInstanceRequest;
import com.google.cloud.compute.v1.AttachedDisk;
import com.google.cloud.compute.v1.Disk;
import com.google.cloud.compute.v1.DisksClient;
import com.google.cloud.compute.v1.DisksSettings;
import com.google.cloud.compute.v1.InsertDiskRequest;
import com.google.cloud.compute.v1.InstancesClient;
import com.google.cloud.compute.v1.InstancesSettings;
import com.google.cloud.compute.v1.Operation;
import csi.v1.ControllerGrpc;
import dev.imagedisk.bench.Report.Verdict;
import dev.imagedisk.csi.plugin.PluginRuntime;
import dev.imagedisk.csi.server.CsiChannels;
import dev.imagedisk.gce.emulator.GceEmulator;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * B1, added latency: CreateVolume and ControllerPublishVolume against the emulator with operations of
 * 0.2 s and 2 s (storage off): the call's latency minus the operation's duration. Baseline in the same run:
 * the same disks.insert and instances.attachDisk through google-cloud-compute's default operation polling
 * ({@code insertAsync(...).get()}, {@code attachDiskAsync(...).get()}), at the same concurrency.
 *
 * <p>The plugin runs with its default flags. Callers run concurrently, as many as keep the offered write
 * rate at three quarters of the driver's default write budget (so the figure is the driver's own latency,
 * not queueing for the budget, which B2 measures): 3 at 0.2 s, 20 at 2 s.
 */
final class AddedLatencyBench {
    static final String PROJECT = "bench-b1";
    static final String ZONE = "us-central1-a";
    static final String IMAGE = "runtime-lib";
    static final int INSTANCES = 20;
    /** The driver's default write budget, requests per second (--api-write-rate-limit). */
    static final double WRITE_BUDGET = 20;

    private final Report report;
    private final PrintStream out;
    private final Path dir;

    AddedLatencyBench(Report report, PrintStream out, Path dir) {
        this.report = report;
        this.out = out;
        this.dir = dir;
    }

    void run() throws Exception {
        boolean quick = report.quick();
        int calls = quick ? 10 : 200;
        int warmup = quick ? 3 : 20;
        List<Duration> durations = List.of(Duration.ofMillis(200), Duration.ofSeconds(2));
        try (GceEmulator emulator = BenchEmulator.start(Duration.ZERO, PROJECT, IMAGE)) {
            for (int i = 0; i < INSTANCES; i++) {
                emulator.addInstance(PROJECT, ZONE, instance(i), "e2-standard-4");
            }
            Path socket = dir.resolve("b1.sock");
            try (PluginRuntime plugin = PluginRuntime.start(
                            Csi.config(BenchEmulator.controllerArgs(socket, PROJECT, ZONE, emulator)));
                    CsiChannels.Client client = CsiChannels.connect(socket);
                    DisksClient disks = DisksClient.create(DisksSettings.newBuilder()
                            .setEndpoint(emulator.baseUrl())
                            .setCredentialsProvider(NoCredentialsProvider.create())
                            .build());
                    InstancesClient instances = InstancesClient.create(InstancesSettings.newBuilder()
                            .setEndpoint(emulator.baseUrl())
                            .setCredentialsProvider(NoCredentialsProvider.create())
                            .build())) {
                ControllerGrpc.ControllerBlockingStub stub = ControllerGrpc.newBlockingStub(client.channel());
                // warm-up: class loading, JIT, connections (not counted)
                emulator.faults().setOperationDuration(Duration.ofMillis(50));
                Map<Integer, String> warm = new ConcurrentHashMap<>();
                Concurrent.run(
                        warmup,
                        5,
                        120,
                        i -> warm.put(
                                i,
                                stub.createVolume(Csi.create("pvc-warm-" + i, image(), ZONE, 10L << 30))
                                        .getVolume()
                                        .getVolumeId()));
                Concurrent.run(
                        warm.size(),
                        5,
                        120,
                        i -> stub.controllerPublishVolume(
                                Csi.publish(warm.get(i), Csi.nodeId(PROJECT, ZONE, instance(i)))));
                Concurrent.run(warmup, 5, 120, i -> baselineInsert(disks, "warm-base-" + i));
                Concurrent.run(warmup, 5, 120, i -> baselineAttach(instances, "warm-base-" + i, i));

                for (Duration d : durations) {
                    emulator.faults().setOperationDuration(d);
                    int workers =
                            Math.max(1, Math.min(20, (int) Math.floor(0.75 * WRITE_BUDGET * d.toMillis() / 1000.0)));
                    long bound = 60 + 4L * calls * Math.max(1, d.toSeconds()) / workers;
                    String tag = d.toMillis() + "ms";
                    out.printf("  B1: %d calls each at %s operations, %d at a time%n", calls, seconds(d), workers);
                    Map<Integer, String> ids = new ConcurrentHashMap<>();
                    Concurrent.Result create = Concurrent.run(
                            calls,
                            workers,
                            bound,
                            i -> ids.put(
                                    i,
                                    stub.createVolume(Csi.create("pvc-b1-" + tag + "-" + i, image(), ZONE, 10L << 30))
                                            .getVolume()
                                            .getVolumeId()));
                    Concurrent.Result publish = Concurrent.run(calls, workers, bound, i -> {
                        String id = ids.get(i);
                        if (id == null) {
                            throw new IllegalStateException("no volume (CreateVolume failed)");
                        }
                        stub.controllerPublishVolume(Csi.publish(id, Csi.nodeId(PROJECT, ZONE, instance(i))));
                    });
                    Concurrent.Result insertBase = Concurrent.run(
                            calls, workers, bound, i -> baselineInsert(disks, "b1-base-" + tag + "-" + i));
                    Concurrent.Result attachBase = Concurrent.run(
                            calls, workers, bound, i -> baselineAttach(instances, "b1-base-" + tag + "-" + i, i));
                    row("CreateVolume", d, workers, create, insertBase, "disks.insertAsync(...).get()");
                    row(
                            "ControllerPublishVolume",
                            d,
                            workers,
                            publish,
                            attachBase,
                            "instances.attachDiskAsync(...).get()");
                }
            }
        }
    }

    private void row(
            String rpc,
            Duration d,
            int workers,
            Concurrent.Result driver,
            Concurrent.Result baseline,
            String baselineCall) {
        double op = d.toMillis();
        List<Double> added = minus(driver.millis(), op);
        List<Double> baseAdded = minus(baseline.millis(), op);
        Stats s = Stats.of(added);
        Stats b = Stats.of(baseAdded);
        Verdict v = !driver.failures().isEmpty()
                ? Verdict.FAILED
                : report.atMost(Math.max(s.p50() / 20.0, s.p99() / 100.0), 1.0);
        String figure = rpc + " added latency, " + seconds(d) + " operations (" + workers + " concurrent)";
        report.add(new Report.Row(
                "B1",
                figure,
                "ms",
                s.p50(),
                s,
                b.p50(),
                "p50 ≤ 20 ms and p99 ≤ 100 ms",
                v,
                driver.failures().isEmpty()
                        ? ""
                        : driver.failures().size() + " failed RPCs: "
                                + driver.failures().get(0)));
        report.add(new Report.Row(
                "B1",
                "baseline: " + baselineCall + " added latency, " + seconds(d) + " operations",
                "ms",
                b.p50(),
                b,
                null,
                "",
                baseline.failures().isEmpty() ? Verdict.INFO : Verdict.FAILED,
                baseline.failures().isEmpty()
                        ? "default operation polling of google-cloud-compute"
                        : baseline.failures().size() + " failed: "
                                + baseline.failures().get(0)));
        report.value(
                "B1",
                "failed RPCs: " + rpc + ", " + seconds(d) + " operations",
                "",
                driver.failures().size(),
                null,
                "0",
                driver.failures().isEmpty() ? Verdict.MET : Verdict.MISSED,
                "");
    }

    private static List<Double> minus(List<Double> values, double op) {
        List<Double> out = new ArrayList<>();
        for (double v : values) {
            out.add(v - op);
        }
        return out;
    }

    private static void baselineInsert(DisksClient disks, String name) throws Exception {
        Operation op = disks.insertAsync(InsertDiskRequest.newBuilder()
                        .setProject(PROJECT)
                        .setZone(ZONE)
                        .setDiskResource(Disk.newBuilder()
                                .setName(name)
                                .setSizeGb(10)
                                .setType("projects/" + PROJECT + "/zones/" + ZONE + "/diskTypes/pd-balanced")
                                .setSourceImage("projects/" + PROJECT + "/global/images/" + IMAGE))
                        .build())
                .get(10, TimeUnit.MINUTES);
        if (op.hasError()) {
            throw new IllegalStateException("disks.insert " + name + ": " + op.getError());
        }
    }

    private static void baselineAttach(InstancesClient instances, String disk, int i) throws Exception {
        Operation op = instances
                .attachDiskAsync(AttachDiskInstanceRequest.newBuilder()
                        .setProject(PROJECT)
                        .setZone(ZONE)
                        .setInstance(instance(i))
                        .setAttachedDiskResource(AttachedDisk.newBuilder()
                                .setSource("projects/" + PROJECT + "/zones/" + ZONE + "/disks/" + disk)
                                .setDeviceName(disk)
                                .setMode("READ_WRITE")
                                .setType("PERSISTENT")
                                .setAutoDelete(false))
                        .build())
                .get(10, TimeUnit.MINUTES);
        if (op.hasError()) {
            throw new IllegalStateException("instances.attachDisk " + disk + ": " + op.getError());
        }
    }

    static String image() {
        return "projects/" + PROJECT + "/global/images/" + IMAGE;
    }

    static String instance(int i) {
        return "node-" + (i % INSTANCES);
    }

    static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : (d.toMillis() / 1000.0) + " s";
    }
}
