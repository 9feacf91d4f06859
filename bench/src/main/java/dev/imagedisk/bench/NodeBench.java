package dev.imagedisk.bench;

import csi.v1.NodeGrpc;
import csi.v1.Volume;
import dev.imagedisk.bench.Report.Verdict;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.plugin.DriverConfig;
import dev.imagedisk.csi.plugin.PluginRuntime;
import dev.imagedisk.csi.requests.CsiRequests;
import dev.imagedisk.csi.server.CsiChannels;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * B3, node: NodeStageVolume + NodePublishVolume of a 10 GiB disk made from a 256 MiB ext4 image, on loop
 * devices, one at a time (p50 over 20) and 15 at once on one node (makespan). Baselines in the same run, on
 * fresh disks made the same way, each volume's steps as one shell script (an operator's way: no JVM spawn per
 * step):
 * <ul>
 *   <li>careful: {@code blkid -p} (never touch a device without knowing what it holds), {@code e2fsck -f -p}
 *       (resize2fs demands a fresh full check before an offline resize of a filesystem mounted since its last
 *       check), {@code resize2fs}, {@code mount}, {@code mount --bind};</li>
 *   <li>minimal: {@code resize2fs}, {@code mount}, {@code mount --bind} only.</li>
 * </ul>
 * The plugin runs in this JVM (node mode) on its own socket, as kubelet would call it.
 */
final class NodeBench {
    static final String CAREFUL = "blkid -p -o export \"$1\" >/dev/null && { e2fsck -f -p \"$1\" >/dev/null || "
            + "[ $? -le 1 ]; } && resize2fs \"$1\" >/dev/null 2>&1 && mount \"$1\" \"$2\" && mount --bind \"$2\" \"$3\"";
    static final String MINIMAL =
            "resize2fs \"$1\" >/dev/null 2>&1 && mount \"$1\" \"$2\" && mount --bind \"$2\" \"$3\"";

    private final Report report;
    private final PrintStream out;
    private final Path dir;

    NodeBench(Report report, PrintStream out, Path dir) {
        this.report = report;
        this.out = out;
        this.dir = dir;
    }

    void run() throws Exception {
        boolean quick = report.quick();
        int runs = quick ? 3 : 20;
        int parallel = quick ? 4 : 15;
        int gib = 10;
        try (LoopLab lab = new LoopLab(dir.resolve("b3"))) {
            Path image = lab.image("runtime", 256);
            Path socket = lab.root.resolve("node.sock");
            try (PluginRuntime plugin = PluginRuntime.start(Csi.config(
                            "--mode",
                            "node",
                            "--endpoint",
                            "unix://" + socket,
                            "--node-id",
                            "projects/bench/zones/us-central1-a/instances/node-1",
                            "--zone",
                            "us-central1-a",
                            "--kubelet-dir",
                            lab.kubeletDir.toString(),
                            "--device-dir",
                            lab.deviceDir.toString(),
                            "--metadata-endpoint",
                            "http://127.0.0.1:9",
                            "--log-level",
                            "warn"));
                    CsiChannels.Client client = CsiChannels.connect(socket)) {
                NodeGrpc.NodeBlockingStub node = NodeGrpc.newBlockingStub(client.channel());
                out.printf(
                        "  B3: %d × stage+publish of a %d GiB disk from a 256 MiB image, then %d at once%n",
                        runs, gib, parallel);
                // warm-up (class loading, JIT), not counted
                for (int i = 0; i < 2; i++) {
                    driverOnce(lab, node, image, "warm" + i, gib);
                }
                List<Double> driver = new ArrayList<>();
                List<Double> careful = new ArrayList<>();
                List<Double> minimal = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    driver.add(driverOnce(lab, node, image, "d" + i, gib));
                    careful.add(byHandOnce(lab, image, "c" + i, gib, CAREFUL));
                    minimal.add(byHandOnce(lab, image, "m" + i, gib, MINIMAL));
                }
                double carefulP50 = Stats.of(careful).p50();
                double driverP50 = Stats.of(driver).p50();
                report.dist(
                        "B3",
                        "NodeStage+NodePublish, " + gib + " GiB disk from a 256 MiB image, one at a time",
                        "ms",
                        driver,
                        carefulP50,
                        "≤ 1.3 × careful by hand",
                        report.atMost(driverP50, 1.3 * carefulP50),
                        "baseline: careful by hand (blkid, e2fsck -f, resize2fs, mount," + " bind); vs minimal by hand "
                                + Report.fmt(driverP50 / Stats.of(minimal).p50()) + "×");
                report.dist(
                        "B3",
                        "baseline: careful by hand (blkid -p, e2fsck -f -p, resize2fs, mount, mount --bind)",
                        "ms",
                        careful,
                        null,
                        "",
                        Verdict.INFO,
                        "one bash script per volume");
                report.dist(
                        "B3",
                        "baseline: minimal by hand (resize2fs, mount, mount --bind)",
                        "ms",
                        minimal,
                        null,
                        "",
                        Verdict.INFO,
                        "no safety checks: not what the driver may do");

                // a makespan is one sample: take the median of a few rounds, interleaved, for each side
                int rounds = quick ? 1 : 5;
                List<Double> driverSpans = new ArrayList<>();
                List<Double> carefulSpans = new ArrayList<>();
                List<Double> minimalSpans = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    driverSpans.add(parallelDriver(lab, node, image, parallel, gib));
                    carefulSpans.add(parallelByHand(lab, image, parallel, gib, CAREFUL, "pc"));
                    minimalSpans.add(parallelByHand(lab, image, parallel, gib, MINIMAL, "pm"));
                }
                double driverSpan = Stats.median(driverSpans);
                double carefulSpan = Stats.median(carefulSpans);
                report.add(new Report.Row(
                        "B3",
                        parallel + " volumes staged+published at once on one node (makespan," + " median of " + rounds
                                + " rounds)",
                        "ms",
                        driverSpan,
                        Stats.of(driverSpans),
                        carefulSpan,
                        "≤ 1.3 × careful by hand",
                        report.atMost(driverSpan, 1.3 * carefulSpan),
                        "baseline: "
                                + parallel + " careful scripts in parallel; minimal: "
                                + Report.fmt(Stats.median(minimalSpans))
                                + " ms"));
            }
        }
    }

    private double driverOnce(LoopLab lab, NodeGrpc.NodeBlockingStub node, Path image, String name, int gib)
            throws Exception {
        Path loop = lab.disk(image, name, gib);
        Path staging = staging(lab, name);
        Path target = target(lab, name);
        long t0 = System.nanoTime();
        stagePublish(node, name, staging, target);
        long took = System.nanoTime() - t0;
        check(target, gib);
        unpublishUnstage(node, name, staging, target);
        lab.remove(loop, name);
        return Stats.millis(took);
    }

    private static void stagePublish(NodeGrpc.NodeBlockingStub node, String name, Path staging, Path target) {
        NodeGrpc.NodeBlockingStub s = node.withDeadlineAfter(120, TimeUnit.SECONDS);
        s.nodeStageVolume(CsiRequests.nodeStage(attached(name), published(name), staging, Csi.MOUNT_RWO)
                .build());
        s.nodePublishVolume(CsiRequests.nodePublish(attached(name), published(name), staging, target, Csi.MOUNT_RWO)
                .build());
    }

    /** The volume of the disk attached as {@code name}, and the publish context that names its device. */
    static Volume attached(String name) {
        return Volume.newBuilder().setVolumeId(volumeId(name)).build();
    }

    static Map<String, String> published(String name) {
        return Map.of(Keys.PUBLISH_DEVICE_NAME, name);
    }

    private static void unpublishUnstage(NodeGrpc.NodeBlockingStub node, String name, Path staging, Path target) {
        NodeGrpc.NodeBlockingStub s = node.withDeadlineAfter(120, TimeUnit.SECONDS);
        s.nodeUnpublishVolume(CsiRequests.nodeUnpublish(volumeId(name), target));
        s.nodeUnstageVolume(CsiRequests.nodeUnstage(volumeId(name), staging));
    }

    private double byHandOnce(LoopLab lab, Path image, String name, int gib, String script) throws Exception {
        Path loop = lab.disk(image, name, gib);
        Path staging = Files.createDirectories(lab.root.resolve("hand/" + name + "/globalmount"));
        Path target = Files.createDirectories(lab.root.resolve("hand/" + name + "/mount"));
        long t0 = System.nanoTime();
        Process p = byHand(script, loop, staging, target);
        long took = System.nanoTime() - t0;
        if (p.exitValue() != 0) {
            throw new IOException("by hand (" + script + ") failed: "
                    + new String(p.getInputStream().readAllBytes()));
        }
        check(target, gib);
        LoopLab.sh("umount", target.toString());
        LoopLab.sh("umount", staging.toString());
        lab.remove(loop, name);
        return Stats.millis(took);
    }

    private static Process byHand(String script, Path loop, Path staging, Path target) throws Exception {
        Process p = new ProcessBuilder(
                        "bash", "-c", script, "byhand", loop.toString(), staging.toString(), target.toString())
                .redirectErrorStream(true)
                .start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("by hand did not finish in 2 minutes");
        }
        return p;
    }

    private double parallelDriver(LoopLab lab, NodeGrpc.NodeBlockingStub node, Path image, int n, int gib)
            throws Exception {
        List<Path> loops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            loops.add(lab.disk(image, "p" + i, gib));
        }
        Concurrent.Result r = Concurrent.run(
                n, n, 300, i -> stagePublish(node, "p" + i, staging(lab, "p" + i), target(lab, "p" + i)));
        if (!r.failures().isEmpty()) {
            throw new IOException(r.failures().size() + " of " + n + " parallel stage+publish failed: "
                    + r.failures().get(0));
        }
        for (int i = 0; i < n; i++) {
            check(target(lab, "p" + i), gib);
            unpublishUnstage(node, "p" + i, staging(lab, "p" + i), target(lab, "p" + i));
            lab.remove(loops.get(i), "p" + i);
        }
        return r.wallNanos() / 1e6;
    }

    private double parallelByHand(LoopLab lab, Path image, int n, int gib, String script, String prefix)
            throws Exception {
        List<Path> loops = new ArrayList<>();
        List<Path[]> paths = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            loops.add(lab.disk(image, prefix + i, gib));
            paths.add(new Path[] {
                Files.createDirectories(lab.root.resolve("hand/" + prefix + i + "/globalmount")),
                Files.createDirectories(lab.root.resolve("hand/" + prefix + i + "/mount"))
            });
        }
        // one script starts them all, as an operator's "for ...; do ... & done; wait" would; the paths go in as
        // arguments (three per volume), never into the script's text
        String all = "set -e; pids=(); while [ $# -gt 0 ]; do ( set -- \"$1\" \"$2\" \"$3\"; " + script
                + " ) & pids+=($!); shift 3; done; for p in \"${pids[@]}\"; do wait $p; done";
        List<String> command = new ArrayList<>(List.of("bash", "-c", all, "byhand"));
        for (int i = 0; i < n; i++) {
            command.add(loops.get(i).toString());
            command.add(paths.get(i)[0].toString());
            command.add(paths.get(i)[1].toString());
        }
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        p.waitFor(5, TimeUnit.MINUTES);
        long took = System.nanoTime() - t0;
        if (p.exitValue() != 0) {
            throw new IOException("parallel by hand failed: " + output);
        }
        for (int i = 0; i < n; i++) {
            check(paths.get(i)[1], gib);
            LoopLab.sh("umount", paths.get(i)[1].toString());
            LoopLab.sh("umount", paths.get(i)[0].toString());
            lab.remove(loops.get(i), prefix + i);
        }
        return took / 1e6;
    }

    /** The published filesystem spans the disk (grown), and holds the image's files. */
    private static void check(Path target, int gib) throws IOException {
        long total = Files.getFileStore(target).getTotalSpace();
        if (total < (long) gib * 9 / 10 * (1L << 30)) {
            throw new IOException(target + ": filesystem of " + total + " bytes: not grown to " + gib + " GiB");
        }
        if (!Files.isRegularFile(target.resolve("dir0/f0"))) {
            throw new IOException(target + " does not show the image's files");
        }
    }

    static String volumeId(String name) {
        return "projects/bench/zones/us-central1-a/disks/" + name;
    }

    static Path staging(LoopLab lab, String name) {
        return lab.kubeletDir.resolve(
                "plugins/kubernetes.io/csi/" + DriverConfig.DEFAULT_DRIVER_NAME + "/" + name + "/globalmount");
    }

    static Path target(LoopLab lab, String name) {
        return lab.kubeletDir.resolve("pods/pod-" + name + "/volumes/kubernetes.io~csi/pv-" + name + "/mount");
    }
}
