package dev.imagedisk.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The benchmarks' smoke run, so they cannot rot: {@code imagedisk bench --quick} in this JVM into a temporary
 * directory. It checks that every benchmark produced its rows, that no RPC failed and that the report files
 * are written; no timing is asserted (CI machines are noisy). Without root, B3 and B4's stage/unstage
 * cycles are reported as skipped, with the reason.
 */
class BenchSmokeTest {
    @TempDir
    Path out;

    @Test
    @Timeout(300)
    void quickRunReportsEveryBenchmarkWithoutFailedRpcs() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        BenchCommand bench = new BenchCommand().printTo(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int code = new CommandLine(bench).execute("--quick", "--out", out.toString());
        String printed = captured.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        assertEquals(0, code, "bench --quick failed:\n" + printed);

        Report report = bench.lastReport();
        List<Report.Row> rows = report.rows();
        Set<String> benches = rows.stream().map(Report.Row::bench).collect(Collectors.toSet());
        assertEquals(Set.of("B1", "B2", "B3", "B4", "B5"), benches, printed);
        assertTrue(rows.stream().noneMatch(r -> r.verdict() == Report.Verdict.FAILED), printed);
        for (Report.Row r : rows) {
            if (r.figure().startsWith("failed RPCs")) {
                assertEquals(0.0, r.value(), r.toString());
            }
        }
        // every benchmark's figures are there
        assertHas(rows, "B1", "CreateVolume added latency, 0.2 s operations");
        assertHas(rows, "B1", "ControllerPublishVolume added latency, 2 s operations");
        assertHas(rows, "B1", "baseline: disks.insertAsync");
        assertHas(rows, "B2", "makespan");
        assertHas(rows, "B2", "Compute Engine API calls per volume");
        assertHas(rows, "B2", "controller peak threads");
        assertHas(rows, "B5", "ReadWriteOnce (baseline)");
        assertHas(rows, "B5", "failed RPCs (pods not ready), ReadWriteOnce");
        // the ReadOnlyMany figures, or a skip naming why the controller refused the shared claim
        assertHas(rows, "B5", "ReadOnlyMany");
        assertTrue(
                rows.stream()
                                .anyMatch(r -> r.bench().equals("B5")
                                        && r.figure().startsWith("makespan")
                                        && r.figure().contains("ReadOnlyMany"))
                        || rows.stream().anyMatch(r -> r.bench().equals("B5") && r.verdict() == Report.Verdict.SKIPPED),
                printed);
        assertHas(rows, "B4", "exec to first ready Probe: manifest options");
        assertHas(rows, "B4", "resident memory after start: manifest options");
        String whyNotRoot = BenchCommand.whyNotRoot();
        if (whyNotRoot == null) {
            assertHas(rows, "B3", "NodeStage+NodePublish");
            assertHas(rows, "B3", "volumes staged+published at once");
            assertHas(rows, "B4", "stage/unstage cycles");
        } else {
            System.out.println("BenchSmokeTest: B3 and B4's stage/unstage cycles skipped: " + whyNotRoot);
            assertTrue(
                    rows.stream()
                            .anyMatch(r -> r.bench().equals("B3")
                                    && r.verdict() == Report.Verdict.SKIPPED
                                    && r.note().contains("root")),
                    printed);
        }
        for (Report.Row r : rows) {
            if (r.verdict() != Report.Verdict.SKIPPED) {
                assertFalse(Double.isNaN(r.value()), "a figure without a value: " + r);
            }
        }
        String md = Files.readString(out.resolve("bench.md"));
        String csv = Files.readString(out.resolve("bench.csv"));
        assertTrue(md.contains("| bench | figure |") && md.contains("nproc") && md.contains("jvm"), md);
        assertTrue(csv.contains("bench,figure,unit,n,value,p50,p99,min,max,baseline,ratio,target,verdict,note"), csv);
        assertEquals(rows.size(), csv.lines().filter(l -> l.startsWith("B")).count(), csv);
    }

    private static void assertHas(List<Report.Row> rows, String bench, String figure) {
        assertTrue(
                rows.stream()
                        .anyMatch(r -> r.bench().equals(bench) && r.figure().contains(figure)),
                bench + " has no row \"" + figure + "\": "
                        + rows.stream().map(Report.Row::figure).toList());
    }
}
