package dev.imagedisk.bench;

import csi.v1.ControllerGrpc;
import dev.imagedisk.bench.Report.Verdict;
import dev.imagedisk.csi.plugin.archive.ManifestJvm;
import dev.imagedisk.csi.server.CsiChannels;
import dev.imagedisk.gce.emulator.GceEmulator;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * B2, burst: N volumes (CreateVolume + ControllerPublishVolume) from one image across M emulated instances by
 * 100 concurrent callers (csi-provisioner's default worker count; the hidden {@code --b2-callers} sets another
 * count), 1 s operations, storage off, and an emulator limit of 20 mutating requests per second: the floor is 2N / 20 s. The controller plugin runs in a
 * child JVM with the controller manifest's JVM options; its resident memory and threads are sampled from
 * /proc, its heap with jcmd, and its Compute Engine API calls read from its metrics endpoint.
 */
final class BurstBench {
    static final String PROJECT = "bench-b2";
    static final String ZONE = "us-central1-a";
    static final String IMAGE = "runtime-lib";
    static final double EMULATOR_LIMIT = 20;
    static final Set<String> WRITES =
            Set.of("disks.insert", "disks.delete", "disks.resize", "instances.attachDisk", "instances.detachDisk");
    private static final Pattern API_LINE =
            Pattern.compile("(?m)^imagedisk_compute_api_calls_total\\{([^}]*)\\}\\s+([0-9.eE+-]+)\\s*$");

    private final Report report;
    private final PrintStream out;
    private final Path dir;

    private final Integer callersOverride;

    /** @param callers concurrent callers, or null for the default (100; 20 in a quick run) */
    BurstBench(Report report, PrintStream out, Path dir, Integer callers) {
        this.report = report;
        this.out = out;
        this.dir = dir;
        this.callersOverride = callers;
    }

    void run() throws Exception {
        boolean quick = report.quick();
        int volumes = quick ? 40 : 1000;
        int instances = quick ? 20 : 100;
        int callers = callersOverride != null ? callersOverride : quick ? 20 : 100;
        Duration operation = quick ? Duration.ofMillis(200) : Duration.ofSeconds(1);
        double floorSeconds = 2.0 * volumes / EMULATOR_LIMIT;
        ManifestJvm jvm = ManifestJvm.controller();
        try (GceEmulator emulator = BenchEmulator.start(operation, PROJECT, IMAGE)) {
            for (int i = 0; i < instances; i++) {
                emulator.addInstance(PROJECT, ZONE, "node-" + i, "e2-standard-4");
            }
            Path socket = dir.resolve("b2.sock");
            int metricsPort = freePort();
            out.printf(
                    "  B2: %d volumes, %d instances, %d callers, %s operations, emulator limit %.0f writes/s;"
                            + " controller in a child JVM: %s%n",
                    volumes, instances, callers, AddedLatencyBench.seconds(operation), EMULATOR_LIMIT, jvm.describe());
            try (ChildJvm child = ChildJvm.start(
                    jvm.options(),
                    List.of(),
                    BenchEmulator.controllerArgs(
                            socket,
                            PROJECT,
                            ZONE,
                            emulator,
                            "--metrics-address",
                            "127.0.0.1:" + metricsPort,
                            "--log-level",
                            "warn"),
                    dir.resolve("b2-controller.log"))) {
                child.awaitProbe(socket, 60_000);
                Map<String, Double> before = apiCalls(metricsPort);
                Map<String, Long> emuBefore = emulator.requestCounts();
                emulator.faults().setRateLimit(EMULATOR_LIMIT);
                Sampler sampler = new Sampler(child);
                sampler.start();
                Concurrent.Result result;
                try (CsiChannels.Client client = CsiChannels.connect(socket)) {
                    ControllerGrpc.ControllerBlockingStub stub = ControllerGrpc.newBlockingStub(client.channel());
                    long bound = (long) (floorSeconds * 3) + 120;
                    result = Concurrent.run(volumes, callers, bound, i -> {
                        String id = stub.withDeadlineAfter(300, TimeUnit.SECONDS)
                                .createVolume(Csi.create(
                                        "pvc-b2-" + i,
                                        "projects/" + PROJECT + "/global/images/" + IMAGE,
                                        ZONE,
                                        10L << 30))
                                .getVolume()
                                .getVolumeId();
                        stub.withDeadlineAfter(300, TimeUnit.SECONDS)
                                .controllerPublishVolume(
                                        Csi.publish(id, Csi.nodeId(PROJECT, ZONE, "node-" + (i % instances))));
                    });
                } finally {
                    sampler.stop();
                }
                Map<String, Double> after = apiCalls(metricsPort);
                Map<String, Long> emuAfter = emulator.requestCounts();
                double makespan = result.wallNanos() / 1e9;
                int ok = result.millis().size();
                int failed = volumes - ok;
                double writes = 0;
                double reads = 0;
                double waits = 0;
                double refused = 0;
                for (Map.Entry<String, Double> e : after.entrySet()) {
                    double n = e.getValue() - before.getOrDefault(e.getKey(), 0.0);
                    String method = e.getKey().substring(0, e.getKey().indexOf('|'));
                    String outcome = e.getKey().substring(e.getKey().indexOf('|') + 1);
                    if (WRITES.contains(method)) {
                        writes += n;
                    } else if (method.startsWith("zoneOperations.")) {
                        waits += n;
                    } else {
                        reads += n;
                    }
                    if (outcome.equals("rateLimitExceeded")) {
                        refused += n;
                    }
                }
                long emuTotal = 0;
                for (Map.Entry<String, Long> e : emuAfter.entrySet()) {
                    if (!e.getKey().equals("metadata")) {
                        emuTotal += e.getValue() - emuBefore.getOrDefault(e.getKey(), 0L);
                    }
                }
                double perVolume = (writes + reads + waits) / volumes;
                report.value(
                        "B2",
                        "makespan, " + volumes + " × (CreateVolume + ControllerPublishVolume), " + callers
                                + " callers, " + AddedLatencyBench.seconds(operation) + " operations",
                        "s",
                        makespan,
                        floorSeconds,
                        "≤ 1.2 × floor (" + Report.fmt(floorSeconds * 1.2) + " s)",
                        failed > 0 ? Verdict.FAILED : report.atMost(makespan, floorSeconds * 1.2),
                        "baseline = the floor, " + (2 * volumes) + " writes / " + Report.fmt(EMULATOR_LIMIT)
                                + " per s");
                report.value(
                        "B2",
                        "failed RPCs",
                        "",
                        failed,
                        null,
                        "0",
                        failed == 0 ? Verdict.MET : Verdict.MISSED,
                        result.failures().isEmpty() ? "" : result.failures().get(0));
                report.value(
                        "B2",
                        "Compute Engine API calls per volume (driver metrics)",
                        "",
                        perVolume,
                        null,
                        "≤ 6",
                        report.atMost(perVolume, 6),
                        String.format(
                                java.util.Locale.ROOT,
                                "writes %s, reads %s, operation waits %s per volume; %s refused for rate;"
                                        + " emulator saw %s requests",
                                Report.fmt(writes / volumes),
                                Report.fmt(reads / volumes),
                                Report.fmt(waits / volumes),
                                Report.fmt(refused),
                                emuTotal));
                report.dist(
                        "B2",
                        "volume ready (CreateVolume + ControllerPublishVolume, per caller)",
                        "s",
                        result.millis().stream().map(m -> m / 1000).toList(),
                        null,
                        "",
                        Verdict.INFO,
                        "queueing for the write budget included");
                double heapMib = sampler.peakHeapUsedKb.get() / 1024.0;
                double committedMib = sampler.peakHeapCommittedKb.get() / 1024.0;
                if (sampler.peakHeapUsedKb.get() > 0) {
                    report.value(
                            "B2",
                            "controller peak heap (used, jcmd GC.heap_info every 2 s)",
                            "MiB",
                            heapMib,
                            null,
                            "≤ 256 MiB",
                            report.atMost(heapMib, 256),
                            "committed peak " + Report.fmt(committedMib) + " MiB; child JVM, " + jvm.describe());
                } else {
                    report.skipped("B2", "controller peak heap", "jcmd could not read the child's heap");
                }
                report.value(
                        "B2",
                        "controller peak threads (/proc, every 100 ms)",
                        "",
                        sampler.peakThreads.get(),
                        null,
                        "≤ 64",
                        report.atMost(sampler.peakThreads.get(), 64),
                        "issue 12: at most 64 threads with"
                                + " 300 calls in flight; sampled from /proc/PID/status of the controller JVM");
                report.value(
                        "B2",
                        "controller peak resident memory (VmHWM)",
                        "MiB",
                        child.status("VmHWM") / 1024.0,
                        null,
                        "",
                        Verdict.INFO,
                        "");
            }
        }
    }

    /** method|outcome → count, from the plugin's metrics endpoint. */
    static Map<String, Double> apiCalls(int port) throws IOException, InterruptedException {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return parseApiCalls(r.body());
    }

    static Map<String, Double> parseApiCalls(String text) {
        Map<String, Double> calls = new TreeMap<>();
        Matcher m = API_LINE.matcher(text);
        while (m.find()) {
            String labels = m.group(1);
            String method = label(labels, "method");
            String outcome = label(labels, "outcome");
            calls.merge(method + "|" + outcome, Double.parseDouble(m.group(2)), Double::sum);
        }
        return calls;
    }

    private static String label(String labels, String name) {
        Matcher m = Pattern.compile(name + "=\"([^\"]*)\"").matcher(labels);
        return m.find() ? m.group(1) : "";
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Samples the child's threads every 100 ms and its heap every 2 s until stopped. */
    static final class Sampler {
        final AtomicLong peakThreads = new AtomicLong();
        final AtomicLong peakHeapUsedKb = new AtomicLong();
        final AtomicLong peakHeapCommittedKb = new AtomicLong();
        private final ChildJvm child;
        private final Thread thread;
        private volatile boolean running = true;

        Sampler(ChildJvm child) {
            this.child = child;
            this.thread = new Thread(this::loop, "bench-sampler");
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void loop() {
            long nextHeap = 0;
            while (running) {
                peakThreads.accumulateAndGet(child.status("Threads"), Math::max);
                if (System.nanoTime() >= nextHeap) {
                    heap();
                    nextHeap = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void heap() {
            long[] h = child.heapKb();
            if (h != null) {
                peakHeapUsedKb.accumulateAndGet(h[0], Math::max);
                peakHeapCommittedKb.accumulateAndGet(h[1], Math::max);
            }
        }

        void stop() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join(15_000);
            peakThreads.accumulateAndGet(child.status("Threads"), Math::max);
            heap();
        }
    }
}
