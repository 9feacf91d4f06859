package dev.imagedisk.launcher;

import dev.imagedisk.csi.log.LoggingSetup;
import dev.imagedisk.csi.plugin.StopSignal;
import dev.imagedisk.stack.DemoRun;
import dev.imagedisk.stack.LocalStack;
import dev.imagedisk.stack.PhaseTimings;
import dev.imagedisk.stack.RootCheck;
import dev.imagedisk.stack.RunFigures;
import dev.imagedisk.stack.SampleImage;
import dev.imagedisk.stack.ScaleOut;
import dev.imagedisk.stack.StackClients;
import dev.imagedisk.stack.UpdateLoop;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code imagedisk demo}: starts the local stack and plays the orchestrator on it (the work is in the stack module's
 * {@link DemoRun}). With {@code --nodes N --zones Z}, one controller plugin and N node plugins (each its own socket,
 * node id, zone, kubelet and device dir), replicas spread over the nodes. ReadWriteOnce (the default): a StatefulSet
 * of N replicas, each with its own disk from the runtime-lib image, the runtime update loop ({@link UpdateLoop}), and
 * with more nodes than zones a move (a replica drained from one node and started on another in its zone, which sees
 * what it wrote). {@code --access ReadOnlyMany}: a Deployment sharing one read-only claim, then the same replicas
 * ReadWriteOnce, side by side: disks created, API calls, time. Each run scales back to zero and checks nothing is
 * left.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Scale N replicas of the runtime-lib image on a local stack (Compute Engine emulator + driver,"
                + " one or many nodes), check them, scale back to zero; prints timing and cost tables.")
public final class DemoCommand implements Callable<Integer> {
    @Option(
            names = "--replicas",
            defaultValue = "15",
            description = "Replicas to scale to (default: ${DEFAULT-VALUE}).")
    int replicas;

    @Option(
            names = "--size-gib",
            defaultValue = "10",
            description =
                    "Size each claim asks for, GiB (default: ${DEFAULT-VALUE}; pd-balanced disks are 10 GiB at least).")
    int sizeGib;

    @Option(
            names = "--nodes",
            defaultValue = "1",
            description = "Node plugins, each an emulated VM with its own socket, kubelet and device dirs"
                    + " (default: ${DEFAULT-VALUE}: one plugin serves controller and node).")
    int nodes;

    @Option(
            names = "--zones",
            defaultValue = "1",
            description = "Zones the nodes are spread over, round-robin from --zone (default: ${DEFAULT-VALUE}).")
    int zones;

    @Option(
            names = "--access",
            defaultValue = "ReadWriteOnce",
            paramLabel = "ReadWriteOnce|ReadOnlyMany",
            description = "ReadWriteOnce: a disk per replica (update loop; a move when there are more nodes than"
                    + " zones). ReadOnlyMany: every replica reads one shared claim, then the same replicas run"
                    + " ReadWriteOnce for comparison (default: ${DEFAULT-VALUE}).")
    String access;

    @Option(
            names = "--rox-parameter",
            paramLabel = "KEY=VALUE",
            description = "A parameter of the ReadOnlyMany StorageClass (default: type=hyperdisk-ml,"
                    + " replicas=on-demand); KEY= removes one.")
    Map<String, String> roxParameters = new LinkedHashMap<>();

    @Option(
            names = "--keep",
            description = "After scaling up, leave the stack and volumes up until Ctrl-C/SIGTERM,"
                    + " then scale down and clean up.")
    boolean keep;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description =
                    "Where the stack keeps its files (default: a new" + " temporary directory, removed at the end).")
    Path dataDir;

    @Option(names = "--log-level", defaultValue = "warn", description = "Driver log level (default: ${DEFAULT-VALUE}).")
    String logLevel;

    @Option(
            names = "--image-layout",
            defaultValue = "whole",
            paramLabel = "whole|gpt|mbr",
            description =
                    "How the sample image holds the runtime: whole (the filesystem on the whole disk), gpt (a boot"
                            + " disk's layout: BIOS boot, EFI and the root partition last) or mbr (default: ${DEFAULT-VALUE}).")
    String imageLayout;

    @Mixin
    StackOptions stack = new StackOptions();

    private PrintStream out = System.out;
    private RunFigures figures = new RunFigures();

    /** Where progress and the tables are printed (tests capture it). */
    DemoCommand printTo(PrintStream p) {
        this.out = p;
        return this;
    }

    /** The cost figures of the last run, one row per access mode run. */
    RunFigures figures() {
        return figures;
    }

    /** The --image-layout value as a layout, or null when it names none. */
    private SampleImage.Layout layout() {
        for (SampleImage.Layout l : SampleImage.Layout.values()) {
            if (l.name().equalsIgnoreCase(imageLayout)) {
                return l;
            }
        }
        return null;
    }

    /** The --access value, or null when it names none. */
    private ScaleOut.Access accessMode() {
        for (ScaleOut.Access a : ScaleOut.Access.values()) {
            if (a.label.equalsIgnoreCase(access) || a.name().equalsIgnoreCase(access)) {
                return a;
            }
        }
        return null;
    }

    private Map<String, String> roxClass() {
        Map<String, String> p = DemoRun.defaultRoxParameters();
        roxParameters.forEach((k, v) -> {
            if (v == null || v.isEmpty()) {
                p.remove(k);
            } else {
                p.put(k, v);
            }
        });
        return p;
    }

    @Override
    public Integer call() throws Exception {
        LoggingSetup.configure(LoggingSetup.Format.text, logLevel);
        String why = RootCheck.whyNot();
        if (why != null) {
            System.err.println("imagedisk demo: " + why);
            return 1;
        }
        if (replicas < 1) {
            System.err.println("imagedisk demo: --replicas must be at least 1");
            return 2;
        }
        if (layout() == null) {
            System.err.println("imagedisk demo: --image-layout must be whole, gpt or mbr, not " + imageLayout);
            return 2;
        }
        ScaleOut.Access mode = accessMode();
        if (mode == null) {
            System.err.println("imagedisk demo: --access must be ReadWriteOnce or ReadOnlyMany, not " + access);
            return 2;
        }
        boolean ownDir = dataDir == null;
        Path dir = ownDir ? Files.createTempDirectory("imagedisk-demo-") : dataDir;
        LocalStack.Options options;
        try {
            options = stack.toOptions(dir, !ownDir, false).withNodes(nodes, zones);
        } catch (IllegalArgumentException e) {
            System.err.println("imagedisk demo: --nodes/--zones: " + e.getMessage());
            if (ownDir) {
                deleteQuietly(dir);
            }
            return 2;
        }
        long sizeBytes = (long) sizeGib << 30;
        DemoRun.Settings settings = new DemoRun.Settings(
                replicas,
                sizeBytes,
                layout(),
                DemoRun.defaultRwoParameters(),
                roxClass(),
                mode == ScaleOut.Access.READ_WRITE_ONCE,
                mode == ScaleOut.Access.READ_WRITE_ONCE && nodes > zones);
        List<ScaleOut.Access> runs = mode == ScaleOut.Access.READ_ONLY_MANY
                ? List.of(ScaleOut.Access.READ_ONLY_MANY, ScaleOut.Access.READ_WRITE_ONCE)
                : List.of(ScaleOut.Access.READ_WRITE_ONCE);
        Map<ScaleOut.Access, PhaseTimings> timings = new LinkedHashMap<>();
        PhaseTimings moveTimings = new PhaseTimings();
        figures = new RunFigures();
        boolean ok = false;
        out.printf(
                "imagedisk demo: %d replicas, %d GiB claims from image %s, %d node%s in %d zone%s, %s%n",
                replicas,
                sizeGib,
                layout().imageName(),
                nodes,
                nodes == 1 ? "" : "s",
                zones,
                zones == 1 ? "" : "s",
                mode.label);
        try (LocalStack local = LocalStack.start(options);
                StackClients clients = StackClients.connect(local)) {
            out.println("stack up: controller CSI on unix://" + local.socket() + ", Compute Engine emulator on "
                    + local.emulator().baseUrl());
            if (options.multiNode()) {
                for (LocalStack.Node n : local.nodes()) {
                    out.println("  " + n.name() + " (" + n.zone() + "): CSI on unix://" + n.socket());
                }
            }
            DemoRun demo = new DemoRun(local, clients, figures, out);
            for (ScaleOut.Access run : runs) {
                PhaseTimings t = new PhaseTimings();
                timings.put(run, t);
                demo.run(run, settings, t, moveTimings, keep && run == runs.get(0) ? s -> waitForStop(out, s) : null);
            }
            ok = true;
        } catch (Exception e) {
            out.println("imagedisk demo FAILED: " + e);
        } finally {
            if (ownDir) {
                deleteQuietly(dir);
            }
        }
        for (Map.Entry<ScaleOut.Access, PhaseTimings> t : timings.entrySet()) {
            out.println();
            out.println(t.getKey().label + ", per phase:");
            out.print(t.getValue().table());
        }
        if (!moveTimings.isEmpty()) {
            out.println();
            out.println("move (drain one ReadWriteOnce replica to another node in its zone):");
            out.print(moveTimings.table());
        }
        if (!figures.rows().isEmpty()) {
            out.println();
            out.println("cost of the scale-up (Compute Engine requests counted by the emulator):");
            out.print(figures.table());
        }
        out.println(ok ? "demo: OK" : "demo: FAILED");
        return ok ? 0 : 1;
    }

    private static void waitForStop(PrintStream out, ScaleOut scale) throws InterruptedException {
        out.println(
                "--keep: volumes stay mounted; for example " + scale.replicas().get(0).targetPath);
        out.println("press Ctrl-C (or send SIGTERM) to scale down and stop");
        StopSignal stop = StopSignal.install();
        stop.await();
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("could not remove " + dir + ": " + e.getMessage());
        }
    }
}
