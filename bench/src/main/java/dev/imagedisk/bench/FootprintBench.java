package dev.imagedisk.bench;

import csi.v1.NodeGrpc;
import dev.imagedisk.bench.Report.Verdict;
import dev.imagedisk.csi.plugin.Mode;
import dev.imagedisk.csi.plugin.archive.JavaRuntime;
import dev.imagedisk.csi.plugin.archive.ManifestJvm;
import dev.imagedisk.csi.plugin.archive.StartupArchive;
import dev.imagedisk.csi.requests.CsiRequests;
import dev.imagedisk.csi.server.CsiChannels;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * B4, footprint: the node plugin in a child JVM with the JVM options of the node DaemonSet (read from
 * manifests/node.yaml, plus -XX:MaxRAM for its memory limit): time from exec to the first ready Probe over the
 * socket (median of 5), resident memory after start and after 100 NodeStage/NodeUnstage cycles. The same for
 * a few JVM option sets, to show what each buys: the manifest's, the manifest's plus an AppCDS archive
 * (created here by a first run with -XX:ArchiveClassesAtExit), and the JVM's defaults.
 */
final class FootprintBench {
    private final Report report;
    private final PrintStream out;
    private final Path dir;
    private final boolean root;
    private JavaRuntime runtime = JavaRuntime.current();
    /** The node's class path: the plugin artifact the image carries, when built; else this JVM's. */
    private String cp = System.getProperty("java.class.path");

    private final Overrides overrides;

    /** Candidates measured before a manifest or the Dockerfile takes them (hidden bench flags); nulls: none. */
    record Overrides(String javaOptions, Path javaHome, boolean startsOnly) {
        static final Overrides NONE = new Overrides(null, null, false);
    }

    FootprintBench(Report report, PrintStream out, Path dir, boolean root) {
        this(report, out, dir, root, Overrides.NONE);
    }

    FootprintBench(Report report, PrintStream out, Path dir, boolean root, Overrides overrides) {
        this.report = report;
        this.out = out;
        this.dir = dir;
        this.root = root;
        this.overrides = overrides;
    }

    /** A JVM option set: what goes into JAVA_TOOL_OPTIONS and what goes on the command line. */
    record Variant(String name, List<String> toolOptions, List<String> jvmArgs, String cp) {}

    void run() throws Exception {
        boolean quick = report.quick();
        int starts = quick ? 1 : 5;
        int cycles = quick ? 10 : 100;
        ManifestJvm jvm = ManifestJvm.node();
        if (overrides.javaOptions() != null) {
            jvm = new ManifestJvm(
                    "--b4-java-options",
                    overrides.javaOptions()
                            + (jvm.usesSharedArchive() ? " -XX:SharedArchiveFile=/opt/imagedisk/node.jsa" : ""),
                    jvm.memoryLimitBytes());
        }
        ImageRuntime image = overrides.javaHome() != null
                ? new ImageRuntime(JavaRuntime.at(overrides.javaHome()), "--b4-java-home " + overrides.javaHome())
                : ImageRuntime.find();
        runtime = image.runtime();
        Path pluginJar = pluginJar();
        if (pluginJar != null) {
            cp = pluginJar.toString();
        }
        Path work = Files.createDirectories(dir.resolve("b4"));
        out.printf(
                "  B4: node plugin, %s; on %s; %d starts per option set, %d stage/unstage cycles%n",
                jvm.describe(), image.note(), starts, cycles);
        report.note("B4 runtime: " + image.note());
        report.note("B4 class path: "
                + (pluginJar != null
                        ? pluginJar + " (the plugin artifact the image carries: " + jarCount(pluginJar) + " jars)"
                        : "this JVM's (" + cp.split(java.io.File.pathSeparator).length
                                + " entries; mvn package builds plugin-dist/target/plugin)"));
        Path archive =
                work.resolve("node-plugin." + (runtime.archiveKind() == StartupArchive.Kind.AOT ? "aot" : "jsa"));
        long archiveNanos = createArchive(jvm, cp, archive, work);
        String kind = runtime.archiveKind() == StartupArchive.Kind.AOT ? "AOT cache" : "AppCDS archive";
        List<Variant> variants = new ArrayList<>();
        boolean haveArchive = archiveNanos > 0;
        List<String> mapArchive = haveArchive ? List.of(runtime.archiveKind().useOption(archive)) : List.of();
        if (jvm.usesSharedArchive() && haveArchive) {
            // the manifest maps the image's archive: measured with the one made here the same way
            variants.add(new Variant(
                    "manifest options (with the node " + kind + ", as in the image)", jvm.options(), mapArchive, cp));
            variants.add(new Variant("manifest options without the " + kind, jvm.options(), List.of(), cp));
        } else {
            variants.add(new Variant("manifest options", jvm.options(), List.of(), cp));
            if (haveArchive) {
                variants.add(new Variant("manifest options + node " + kind, jvm.options(), mapArchive, cp));
            }
        }
        String launcherCp = System.getProperty("java.class.path");
        if (haveArchive && pluginJar != null && !launcherCp.equals(cp) && isJarPath(launcherCp)) {
            // where the plugin artifact moved B4: the same start on the launcher's class path (the emulator, the
            // bench, the tools and their libraries beside the plugin's), with an archive made for that class path
            Path launcherArchive = work.resolve(
                    "node-launcher-cp." + (runtime.archiveKind() == StartupArchive.Kind.AOT ? "aot" : "jsa"));
            if (createArchive(jvm, launcherCp, launcherArchive, work) > 0) {
                variants.add(new Variant(
                        "manifest options with the node " + kind + ", on the launcher's class path ("
                                + jarCount(Path.of(launcherCp)) + " jars; before the plugin artifact)",
                        jvm.options(),
                        List.of(runtime.archiveKind().useOption(launcherArchive)),
                        launcherCp));
            }
        }
        variants.add(new Variant(
                "JVM defaults (only -XX:MaxRAM)", List.of("-XX:MaxRAM=" + jvm.memoryLimitBytes()), List.of(), cp));
        for (Variant v : variants) {
            List<Double> probe = new ArrayList<>();
            List<Double> rss = new ArrayList<>();
            List<Double> cpu = new ArrayList<>();
            for (int i = 0; i < starts; i++) {
                Path sock = work.resolve("probe.sock");
                Files.deleteIfExists(sock);
                try (ChildJvm child = ChildJvm.start(
                        runtime,
                        v.cp(),
                        v.toolOptions(),
                        v.jvmArgs(),
                        nodeArgs(sock, work, work),
                        work.resolve("node-" + i + ".log"))) {
                    probe.add(child.awaitProbe(sock, 30_000) / 1e6);
                    cpu.add((double) child.cpuMillis());
                    Thread.sleep(quick ? 300 : 2000);
                    rss.add(child.status("VmRSS") / 1024.0);
                }
            }
            boolean main = v == variants.get(0); // what the manifests deploy
            double probeMedian = Stats.median(probe);
            double rssMedian = Stats.median(rss);
            report.add(new Report.Row(
                    "B4",
                    "exec to first ready Probe: " + v.name(),
                    "ms",
                    probeMedian,
                    Stats.of(probe),
                    null,
                    main ? "≤ 600 ms" : "",
                    main ? report.atMost(probeMedian, 600) : Verdict.INFO,
                    "median of " + starts + "; CPU time used by then (user+system) p50 " + Report.fmt(Stats.median(cpu))
                            + " ms"));
            report.add(new Report.Row(
                    "B4",
                    "resident memory after start: " + v.name(),
                    "MiB",
                    rssMedian,
                    Stats.of(rss),
                    null,
                    main ? "≤ 64 MiB" : "",
                    main ? report.atMost(rssMedian, 64) : Verdict.INFO,
                    "VmRSS " + (quick ? "0.3" : "2") + " s after the first ready Probe, median of " + starts));
        }
        if (archiveNanos > 0) {
            report.value(
                    "B4",
                    "node " + kind + " creation (imagedisk archive --mode node)",
                    "ms",
                    archiveNanos / 1e6,
                    null,
                    "",
                    Verdict.INFO,
                    "size " + Report.fmt(Files.size(archive) / 1048576.0) + " MiB");
        }
        if (haveArchive || !jvm.usesSharedArchive()) {
            nativeMemory(jvm.options(), jvm.usesSharedArchive() ? mapArchive : List.of(), work, quick);
        }
        container(starts, quick, work);
        if (overrides.startsOnly()) {
            return;
        }
        if (!root) {
            report.skipped(
                    "B4",
                    "resident memory after " + cycles + " stage/unstage cycles",
                    "needs root (loop devices, mounts)");
        } else {
            cycles(jvm, cycles, work, jvm.usesSharedArchive() ? mapArchive : List.of());
        }
    }

    /** Makes the node archive as the image build does (StartupArchive); returns how long it took, 0 on failure. */
    private long createArchive(ManifestJvm jvm, String classPath, Path archive, Path work) throws Exception {
        try {
            return StartupArchive.create(
                            runtime,
                            classPath,
                            Mode.node,
                            archive,
                            jvm.options(),
                            List.of(),
                            work.resolve("archive.log"))
                    .nanos();
        } catch (IOException e) {
            report.note("B4: the start-up archive was not written: " + e.getMessage());
            return 0;
        }
    }

    private void cycles(ManifestJvm jvm, int cycles, Path work, List<String> jvmArgs) throws Exception {
        try (LoopLab lab = new LoopLab(work.resolve("lab"))) {
            Path image = lab.image("small", 256);
            Path loop = lab.disk(image, "cycle", 1);
            Path sock = work.resolve("cycle.sock");
            Files.deleteIfExists(sock);
            try (ChildJvm child = ChildJvm.start(
                    runtime,
                    cp,
                    jvm.options(),
                    jvmArgs,
                    nodeArgs(sock, lab.kubeletDir, lab.deviceDir),
                    work.resolve("cycles.log"))) {
                child.awaitProbe(sock, 30_000);
                Thread.sleep(1000);
                double before = child.status("VmRSS") / 1024.0;
                Path staging = lab.kubeletDir.resolve("plugins/kubernetes.io/csi/imagedisk.csi.dev/cycle/globalmount");
                long t0 = System.nanoTime();
                try (CsiChannels.Client c = CsiChannels.connect(sock)) {
                    NodeGrpc.NodeBlockingStub node = NodeGrpc.newBlockingStub(c.channel());
                    for (int i = 0; i < cycles; i++) {
                        node.withDeadlineAfter(60, TimeUnit.SECONDS)
                                .nodeStageVolume(CsiRequests.nodeStage(
                                                NodeBench.attached("cycle"),
                                                NodeBench.published("cycle"),
                                                staging,
                                                Csi.MOUNT_RWO)
                                        .build());
                        node.withDeadlineAfter(60, TimeUnit.SECONDS)
                                .nodeUnstageVolume(CsiRequests.nodeUnstage(NodeBench.volumeId("cycle"), staging));
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                Thread.sleep(1000);
                double after = child.status("VmRSS") / 1024.0;
                report.value(
                        "B4",
                        "resident memory after " + cycles + " stage/unstage cycles: manifest options",
                        "MiB",
                        after,
                        null,
                        "≤ 64 MiB",
                        report.atMost(after, 64),
                        "before the cycles "
                                + Report.fmt(before) + " MiB; peak (VmHWM) "
                                + Report.fmt(child.status("VmHWM") / 1024.0)
                                + " MiB; threads " + child.status("Threads") + "; cycles took " + Report.fmt(seconds)
                                + " s");
            }
            lab.remove(loop, "cycle");
        }
    }

    /**
     * One more start with native memory tracking: the JVM's committed memory by NMT category 2 s after the first
     * ready Probe, and the resident memory split into anonymous and file-backed pages (NMT's own bookkeeping
     * adds a little to the first).
     */
    private void nativeMemory(List<String> options, List<String> jvmArgs, Path work, boolean quick) throws Exception {
        Path jcmd = runtime.home().resolve("bin").resolve("jcmd");
        if (!Files.isExecutable(jcmd)) {
            report.note("B4: no jcmd in " + runtime.home() + ": no NMT breakdown");
            return;
        }
        List<String> args = new ArrayList<>(jvmArgs);
        args.add("-XX:NativeMemoryTracking=summary");
        Path sock = work.resolve("nmt.sock");
        Files.deleteIfExists(sock);
        try (ChildJvm child =
                ChildJvm.start(runtime, cp, options, args, nodeArgs(sock, work, work), work.resolve("nmt.log"))) {
            child.awaitProbe(sock, 30_000);
            Thread.sleep(quick ? 300 : 2000);
            Process p = new ProcessBuilder(
                            jcmd.toString(), Long.toString(child.pid()), "VM.native_memory", "summary", "scale=KB")
                    .redirectErrorStream(true)
                    .start();
            String text = new String(p.getInputStream().readAllBytes());
            p.waitFor(30, TimeUnit.SECONDS);
            StringBuilder parts = new StringBuilder();
            double total = -1;
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                            "(?m)^[-\\s]*(Total|[A-Z][A-Za-z ]+?):? \\(?reserved=\\d+KB, committed=(\\d+)KB")
                    .matcher(text);
            while (m.find()) {
                double mib = Long.parseLong(m.group(2)) / 1024.0;
                if (m.group(1).equals("Total")) {
                    total = mib;
                } else if (mib >= 0.5) {
                    parts.append(parts.length() == 0 ? "" : ", ")
                            .append(m.group(1).trim())
                            .append(' ')
                            .append(Report.fmt(mib));
                }
            }
            if (total < 0) {
                report.note(
                        "B4: NMT summary unreadable: " + text.lines().limit(3).toList());
                return;
            }
            report.value(
                    "B4",
                    "JVM committed memory by NMT category (manifest options, MiB)",
                    "MiB",
                    total,
                    null,
                    "",
                    Verdict.INFO,
                    parts + "; VmRSS " + Report.fmt(child.status("VmRSS") / 1024.0) + " = anon "
                            + Report.fmt(child.status("RssAnon") / 1024.0) + " + file "
                            + Report.fmt(child.status("RssFile") / 1024.0) + " + shmem "
                            + Report.fmt(child.status("RssShmem") / 1024.0));
        }
    }

    static List<String> nodeArgs(Path socket, Path kubeletDir, Path deviceDir) throws IOException {
        return List.of(
                "--mode",
                "node",
                "--endpoint",
                "unix://" + socket,
                "--driver-name",
                "imagedisk.csi.dev",
                "--node-id",
                "projects/bench/zones/us-central1-a/instances/node-1",
                "--zone",
                "us-central1-a",
                "--kubelet-dir",
                kubeletDir.toString(),
                "--device-dir",
                deviceDir.toString(),
                "--metadata-endpoint",
                "http://127.0.0.1:9",
                "--log-format",
                "json",
                "--metrics-address",
                "127.0.0.1:" + BurstBench.freePort());
    }

    /**
     * B4 in the node container: the image ({@code ./imagedisk image}, or -Dimagedisk.image) started by podman as
     * node.yaml runs it (its args, JVM options with the image's node archive, memory limit, privileged, host
     * /dev), beside the process figures above: exec and {@code podman start} to the first ready Probe, resident
     * memory 2 s later, and how many classes came from the image's archive.
     */
    private void container(int starts, boolean quick, Path work) {
        String figure = "node container (the image, as node.yaml runs it)";
        java.util.Optional<String> why = dev.imagedisk.container.Podman.unavailable();
        if (why.isPresent()) {
            report.skipped("B4", figure, why.get());
            return;
        }
        try (dev.imagedisk.container.Podman podman = dev.imagedisk.container.Podman.open()) {
            String image = dev.imagedisk.container.ImageUnderTest.named()
                    .orElse(dev.imagedisk.container.ImageUnderTest.defaultTag());
            if (!podman.imageExists(image)) {
                report.skipped("B4", figure, "no image " + image + " in local storage (./imagedisk image builds it)");
                return;
            }
            boolean niced = Boolean.getBoolean(ChildJvm.PRIORITY_PROPERTY);
            dev.imagedisk.container.NodeStartup startup = new dev.imagedisk.container.NodeStartup(
                    niced ? podman.withHighPriority() : podman,
                    image,
                    Files.createDirectories(work.resolve("container")));
            out.printf("  B4: %s, image %s, %d starts%n", figure, image, starts);
            dev.imagedisk.container.NodeStartup.ClassSources classes = startup.classSources();
            List<Double> fromExec = new ArrayList<>();
            List<Double> fromStart = new ArrayList<>();
            List<Double> rss = new ArrayList<>();
            for (int i = 0; i < starts; i++) {
                dev.imagedisk.container.NodeStartup.Sample s = startup.start(i);
                fromExec.add(s.fromExecMs());
                fromStart.add(s.fromStartMs());
                rss.add(s.rssMib());
            }
            double probe = Stats.median(fromExec);
            double mem = Stats.median(rss);
            report.add(new Report.Row(
                    "B4",
                    "exec to first ready Probe: " + figure,
                    "ms",
                    probe,
                    Stats.of(fromExec),
                    null,
                    "≤ 600 ms",
                    report.atMost(probe, 600),
                    "median of " + starts + "; the JVM's exec time read from /proc (10 ms ticks)"));
            report.add(new Report.Row(
                    "B4",
                    "podman start to first ready Probe: " + figure,
                    "ms",
                    Stats.median(fromStart),
                    Stats.of(fromStart),
                    null,
                    "",
                    Verdict.INFO,
                    "median of " + starts + "; adds the runtime's set-up (runc, mounts, cgroup)"));
            report.add(new Report.Row(
                    "B4",
                    "resident memory after start: " + figure,
                    "MiB",
                    mem,
                    Stats.of(rss),
                    null,
                    "≤ 64 MiB",
                    report.atMost(mem, 64),
                    "VmRSS 2 s after the first ready Probe, median of " + starts));
            report.value(
                    "B4",
                    "classes loaded from the image's node archive: " + figure,
                    "%",
                    classes.total() == 0 ? 0 : 100.0 * classes.shared() / classes.total(),
                    null,
                    "",
                    Verdict.INFO,
                    classes.shared() + " of " + classes.total() + " (-Xlog:class+load); " + classes.archiveLine());
        } catch (Exception e) {
            report.failed("B4", figure, String.valueOf(e.getMessage()));
        }
    }

    /** plugin-dist/target/plugin/imagedisk-csi.jar of this checkout (what the image carries), or null. */
    static Path pluginJar() {
        Path manifest = ManifestJvm.find("node.yaml");
        if (manifest == null) {
            return null;
        }
        Path jar = manifest.getParent()
                .getParent()
                .resolve("plugin-dist/target/plugin/imagedisk-csi.jar")
                .toAbsolutePath();
        return Files.isRegularFile(jar) ? jar : null;
    }

    private static boolean isJarPath(String classPath) {
        return classPath.endsWith(".jar") && !classPath.contains(java.io.File.pathSeparator);
    }

    /** The jar plus those its manifest's Class-Path names. */
    static int jarCount(Path jar) {
        try (java.util.jar.JarFile j = new java.util.jar.JarFile(jar.toFile())) {
            String classPath = j.getManifest() == null
                    ? null
                    : j.getManifest().getMainAttributes().getValue(java.util.jar.Attributes.Name.CLASS_PATH);
            return 1 + (classPath == null ? 0 : classPath.trim().split("\\s+").length);
        } catch (IOException e) {
            return 1;
        }
    }
}
