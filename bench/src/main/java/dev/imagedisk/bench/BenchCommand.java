package dev.imagedisk.bench;

import dev.imagedisk.csi.log.LoggingSetup;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code imagedisk bench [--quick]}: the performance benchmarks B1–B5 against the Compute Engine emulator on
 * this machine, each with its baseline measured in the same run; writes {@code bench.md} and {@code bench.csv}.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Run the benchmarks (B1 added latency, B2 burst, B3 node stage+publish, B4 footprint, B5 many"
                + " readers of one runtime: ReadOnlyMany against ReadWriteOnce) on a"
                + " local Compute Engine emulator and write a Markdown table and a CSV.")
public final class BenchCommand implements Callable<Integer> {
    @Option(
            names = "--quick",
            description = "Shrink every size: a smoke run of under a minute whose figures are"
                    + " not comparable with the targets.")
    boolean quick;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            defaultValue = "target/bench",
            description = "Where bench.md and bench.csv go (default: ${DEFAULT-VALUE}, relative to the current"
                    + " directory).")
    Path out;

    @Option(
            names = "--only",
            split = ",",
            paramLabel = "B1,B2,...",
            description = "Run only these benchmarks (default: all).")
    List<String> only;

    @Option(
            names = "--b2-callers",
            hidden = true,
            paramLabel = "N",
            description = "B2's concurrent callers (default: 100, csi-provisioner's worker count; 20 with --quick).")
    Integer b2Callers;

    @Option(names = "--log-level", defaultValue = "warn", description = "Driver log level (default: ${DEFAULT-VALUE}).")
    String logLevel;

    @Option(
            names = "--b4-java-options",
            paramLabel = "OPTIONS",
            hidden = true,
            description = "B4: measure with these JVM options in place of manifests/node.yaml's (a candidate, before"
                    + " the manifest takes it); -XX:MaxRAM still comes from the manifest's memory limit.")
    String b4JavaOptions;

    @Option(
            names = "--b4-java-home",
            paramLabel = "DIR",
            hidden = true,
            description = "B4: measure on this Java runtime instead of the Dockerfile's release.")
    Path b4JavaHome;

    @Option(
            names = "--b4-starts-only",
            hidden = true,
            description = "B4: the start measurements only (no stage/unstage cycles).")
    boolean b4StartsOnly;

    @Option(
            names = "--b4-priority",
            hidden = true,
            description = "B4: start the plugin at nice -20 (root), to measure start-up on a machine shared with other"
                    + " work as it would run on an idle node; the report says so.")
    boolean b4Priority;

    private PrintStream stdout = System.out;
    private Report last;

    /** Where progress and the final table are printed (tests capture it). */
    public BenchCommand printTo(PrintStream p) {
        this.stdout = p;
        return this;
    }

    /** The report of the last run, for tests. */
    Report lastReport() {
        return last;
    }

    @Override
    public Integer call() throws Exception {
        LoggingSetup.configure(LoggingSetup.Format.text, logLevel);
        Set<String> selected = new LinkedHashSet<>();
        for (String s : only == null || only.isEmpty() ? List.of("B1", "B2", "B3", "B4", "B5") : only) {
            selected.add(s.trim().toUpperCase(Locale.ROOT));
        }
        Report report = new Report(quick);
        last = report;
        String whyNotRoot = whyNotRoot();
        Path work = Files.createTempDirectory("imagedisk-bench-");
        long t0 = System.nanoTime();
        stdout.println("imagedisk bench" + (quick ? " --quick" : "") + ": " + String.join(", ", selected)
                + "; scratch in " + work);
        try {
            run(report, "B1", selected, () -> new AddedLatencyBench(report, stdout, work).run());
            run(report, "B2", selected, () -> new BurstBench(report, stdout, work, b2Callers).run());
            if (selected.contains("B3") && whyNotRoot != null) {
                report.skipped("B3", "NodeStage+NodePublish on loop devices", whyNotRoot);
            } else {
                run(report, "B3", selected, () -> new NodeBench(report, stdout, work).run());
            }
            if (b4Priority) {
                System.setProperty(ChildJvm.PRIORITY_PROPERTY, "true");
                report.note("B4 children ran at nice -20 (--b4-priority): the machine was shared with other work");
            }
            run(
                    report,
                    "B4",
                    selected,
                    () -> new FootprintBench(
                                    report,
                                    stdout,
                                    work,
                                    whyNotRoot == null,
                                    new FootprintBench.Overrides(b4JavaOptions, b4JavaHome, b4StartsOnly))
                            .run());
            run(report, "B5", selected, () -> new ReaderBench(report, stdout, work).run());
        } finally {
            try {
                LoopLab.deleteTree(work);
            } catch (IOException e) {
                stdout.println("could not remove " + work + ": " + e.getMessage());
            }
        }
        report.note("bench took " + Report.fmt((System.nanoTime() - t0) / 1e9) + " s");
        Path md = report.write(out.toAbsolutePath());
        stdout.println();
        stdout.print(report.markdown());
        stdout.println();
        stdout.println("wrote " + md + " and " + md.resolveSibling("bench.csv"));
        boolean failed = report.rows().stream().anyMatch(r -> r.verdict() == Report.Verdict.FAILED);
        return failed ? 1 : 0;
    }

    interface Bench {
        void run() throws Exception;
    }

    private void run(Report report, String id, Set<String> selected, Bench bench) {
        if (!selected.contains(id)) {
            return;
        }
        long t0 = System.nanoTime();
        stdout.println(id + "...");
        try {
            bench.run();
        } catch (Exception | AssertionError e) {
            report.failed(id, "run", e.toString());
            e.printStackTrace(stdout);
        }
        stdout.printf("%s took %.1f s%n", id, (System.nanoTime() - t0) / 1e9);
    }

    /** Null when this process may bind loop devices and mount, else why not. */
    static String whyNotRoot() {
        try {
            String status = Files.readString(Path.of("/proc/self/status"));
            boolean root = status.lines().anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[2].equals("0"));
            if (!root) {
                return "not root: loop devices and mounts need root (run as root to measure it)";
            }
        } catch (IOException e) {
            return "cannot read /proc/self/status: " + e.getMessage();
        }
        if (!Files.exists(Path.of("/dev/loop-control"))) {
            return "no /dev/loop-control: load the loop driver (modprobe loop)";
        }
        return null;
    }
}
