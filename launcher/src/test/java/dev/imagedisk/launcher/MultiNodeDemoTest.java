package dev.imagedisk.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.imagedisk.stack.RootCheck;
import dev.imagedisk.stack.RunFigures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code imagedisk demo --nodes 3 --zones 2} end to end: one controller plugin and three node plugins (node-1 and
 * node-3 in us-central1-a, node-2 in us-central1-b), each with its own socket, kubelet and device dirs, on real loop
 * devices and mounts. Exit code 0 means every replica saw the image's files, nothing was left behind, and (RWO) the
 * moved replica saw on node-3 what it wrote on node-1; the figures are then checked against what the layout implies.
 */
@Tag("integration")
class MultiNodeDemoTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();

    private DemoCommand demo() {
        return new DemoCommand().printTo(new PrintStream(printed, true, StandardCharsets.UTF_8));
    }

    private int run(DemoCommand demo, String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "--nodes",
                "3",
                "--zones",
                "2",
                "--replicas",
                "3",
                "--data-dir",
                dir.resolve("stack").toString()));
        args.addAll(List.of(extra));
        int code = new CommandLine(demo).execute(args.toArray(String[]::new));
        System.out.println(printed.toString(StandardCharsets.UTF_8));
        return code;
    }

    @Test
    @Timeout(300)
    void readWriteOnceReplicasSpreadOverThreeNodesAndOneMovesWithItsData() {
        assumeTrue(RootCheck.whyNot() == null, "the demo needs root: " + RootCheck.whyNot());
        DemoCommand demo = demo();
        int code = run(demo);
        String out = printed.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, "imagedisk demo --nodes 3 --zones 2 failed:\n" + out);
        for (String node : List.of("node-1", "node-2", "node-3")) {
            assertTrue(out.contains("ready on " + node), node + " ran no replica:\n" + out);
        }
        assertTrue(out.contains("move: replica 0 started on node-3 and sees moved/before-drain.txt"), out);
        assertTrue(out.contains("move node-1 -> node-3 (wall)"), out);
        RunFigures.Row rwo = demo.figures().rows().get(0);
        assertEquals("ReadWriteOnce", rwo.run());
        assertEquals(3, rwo.disks(), "a disk per replica");
        assertEquals(3, rwo.attaches(), "an attach per replica");
    }

    @Test
    @Timeout(300)
    void readOnlyManyReplicasReadOneClaimFromADiskPerZone() {
        assumeTrue(RootCheck.whyNot() == null, "the demo needs root: " + RootCheck.whyNot());
        DemoCommand demo = demo();
        int code = run(demo, "--access", "ReadOnlyMany");
        String out = printed.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, "imagedisk demo --access ReadOnlyMany failed:\n" + out);
        assertTrue(out.contains("accessible in [us-central1-a, us-central1-b]"), out);
        List<RunFigures.Row> rows = demo.figures().rows();
        assertEquals(
                List.of("ReadOnlyMany", "ReadWriteOnce"),
                rows.stream().map(RunFigures.Row::run).toList());
        assertEquals(2, rows.get(0).disks(), "Hyperdisk ML, on demand: one read-only disk per zone: " + rows);
        assertEquals(3, rows.get(0).attaches(), "one read-only attach per node: " + rows);
        assertEquals(3, rows.get(1).disks(), "a disk per replica: " + rows);
        assertTrue(rows.get(0).apiCalls() < rows.get(1).apiCalls(), rows.toString());
    }

    @Test
    void aLayoutWithAnEmptyZoneOrAnUnknownAccessModeIsAUsageError() {
        assumeTrue(RootCheck.whyNot() == null, "the demo needs root: " + RootCheck.whyNot());
        assertEquals(2, new CommandLine(demo()).execute("--nodes", "2", "--zones", "3"), "a zone without a node");
        assertEquals(2, new CommandLine(demo()).execute("--nodes", "0"), "no node");
        assertEquals(2, new CommandLine(demo()).execute("--access", "ReadWriteMany"), "not a mode the demo plays");
        String out = printed.toString(StandardCharsets.UTF_8);
        assertTrue(!out.contains("stack up"), "no stack was started: " + out);
    }
}
