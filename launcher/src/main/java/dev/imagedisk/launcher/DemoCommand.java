package dev.imagedisk.launcher;

import dev.imagedisk.csi.log.LoggingSetup;
import dev.imagedisk.csi.mount.MountInfo;
import dev.imagedisk.csi.plugin.StopSignal;
import dev.imagedisk.csi.server.CsiChannels;
import dev.imagedisk.stack.LocalStack;
import dev.imagedisk.stack.PhaseTimings;
import dev.imagedisk.stack.RootCheck;
import dev.imagedisk.stack.SampleImage;
import dev.imagedisk.stack.ScaleOut;
import dev.imagedisk.stack.UpdateLoop;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code imagedisk demo}: starts the local stack and scales a Stable Diffusion StatefulSet to N replicas, each
 * with its own disk from the runtime-lib image, checks them, runs the runtime update loop ({@link UpdateLoop}: a
 * file written on replica 0, a snapshot of it into the image family, one more replica from the family that must
 * see the file), scales back to zero and checks nothing is left.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Scale a StatefulSet of N replicas, each with its own disk from the runtime-lib image, on"
                + " a local stack (Compute Engine emulator + driver), then back to zero; prints a timing table.")
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

    /** The --image-layout value as a layout, or null when it names none. */
    private SampleImage.Layout layout() {
        for (SampleImage.Layout l : SampleImage.Layout.values()) {
            if (l.name().equalsIgnoreCase(imageLayout)) {
                return l;
            }
        }
        return null;
    }

    @Override
    public Integer call() throws Exception {
        LoggingSetup.configure(LoggingSetup.Format.text, logLevel);
        PrintStream out = System.out;
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
        boolean ownDir = dataDir == null;
        Path dir = ownDir ? Files.createTempDirectory("imagedisk-demo-") : dataDir;
        long sizeBytes = (long) sizeGib << 30;
        PhaseTimings timings = new PhaseTimings();
        boolean ok = false;
        out.printf(
                "imagedisk demo: StatefulSet sd-webui, %d replicas, %d GiB claims from image %s%n",
                replicas, sizeGib, layout().imageName());
        try (LocalStack local = LocalStack.start(stack.toOptions(dir, !ownDir, false));
                CsiChannels.Client client = CsiChannels.connect(local.socket())) {
            out.println("stack up: CSI on unix://" + local.socket() + ", Compute Engine emulator on "
                    + local.emulator().baseUrl());
            ScaleOut scale = new ScaleOut(
                    client.channel(),
                    local.nodeId(),
                    local.options().zone(),
                    local.imageParameter(layout()),
                    sizeBytes,
                    replicas,
                    local.kubeletDir(),
                    timings,
                    out);
            UpdateLoop update =
                    new UpdateLoop(client.channel(), local.options().project(), SampleImage.FAMILY, timings, out);
            out.println("scaling up to " + replicas + " replicas...");
            try {
                scale.scaleUp(SampleImage.files());
                out.println("all " + replicas + " replicas ready: each shows the image's files, is writable and has "
                        + sizeGib + " GiB");
                update.run(scale, SampleImage.files());
                if (keep) {
                    waitForStop(out, scale);
                }
            } finally {
                out.println("scaling down to 0...");
                scale.scaleDown();
            }
            List<String> problems = leftovers(local, scale);
            if (!update.cleanUp()) {
                problems.add("the snapshot's image");
            }
            if (!problems.isEmpty()) {
                problems.forEach(p -> out.println("LEFT BEHIND: " + p));
                throw new IllegalStateException(problems.size() + " things left behind after scale-down");
            }
            out.println("scaled to zero: no volumes, attachments, mounts, loop devices or device links left");
            ok = true;
        } catch (Exception e) {
            out.println("imagedisk demo FAILED: " + e);
        } finally {
            if (ownDir) {
                deleteQuietly(dir);
            }
        }
        out.println();
        out.print(timings.table());
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

    /** What a clean scale-down must not leave: volumes, loop devices, mounts, device links. */
    private static List<String> leftovers(LocalStack local, ScaleOut scale) throws IOException {
        List<String> problems = new java.util.ArrayList<>();
        scale.volumesLeft().forEach(v -> problems.add("volume " + v));
        local.emulator().boundLoopDevices().forEach((dev, file) -> problems.add("loop device " + dev + " on " + file));
        for (MountInfo m : local.mountsLeft()) {
            problems.add("mount " + m.mountPoint());
        }
        Path devDir = local.options().dataDir().resolve("dev");
        if (Files.isDirectory(devDir)) {
            try (Stream<Path> links = Files.list(devDir)) {
                links.forEach(l -> problems.add("device link " + l));
            }
        }
        return problems;
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
