package dev.imagedisk.stack;

import dev.imagedisk.csi.mount.MountInfo;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One run of the demo on a {@link LocalStack}: scale up (ReadWriteOnce: a disk per replica; ReadOnlyMany: one
 * shared claim), for ReadWriteOnce the update loop and, with two nodes in a zone, a move; then scale down and check
 * nothing is left. Its figures (disks created, attaches, API calls, scale-up time) go to a {@link RunFigures}.
 */
public final class DemoRun {
    /** What to run. {@code roxParameters}: the ReadOnlyMany StorageClass's parameters besides the image. */
    public record Settings(
            int replicas,
            long sizeBytes,
            SampleImage.Layout layout,
            Map<String, String> rwoParameters,
            Map<String, String> roxParameters,
            boolean updateLoop,
            boolean move) {}

    /** Called while the replicas are up (the demo's {@code --keep}). */
    public interface WhileUp {
        void run(ScaleOut scale) throws Exception;
    }

    /** The StorageClass of the shared runtime: Hyperdisk ML, a read-only disk per zone made when readers come. */
    public static Map<String, String> defaultRoxParameters() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("type", "hyperdisk-ml");
        p.put("replicas", "on-demand");
        return p;
    }

    public static Map<String, String> defaultRwoParameters() {
        return Map.of("type", "pd-balanced");
    }

    private final LocalStack local;
    private final StackClients clients;
    private final PrintStream out;
    private final RunFigures figures;

    public DemoRun(LocalStack local, StackClients clients, RunFigures figures, PrintStream out) {
        this.local = local;
        this.clients = clients;
        this.figures = figures;
        this.out = out;
    }

    /**
     * Runs {@code access} with {@code s}; phase times go to {@code timings}, the move's to {@code moveTimings}.
     * Throws when a replica does not see what it must, or when something is left behind.
     */
    public void run(ScaleOut.Access access, Settings s, PhaseTimings timings, PhaseTimings moveTimings, WhileUp whileUp)
            throws Exception {
        boolean rox = access == ScaleOut.Access.READ_ONLY_MANY;
        ScaleOut scale = new ScaleOut(
                clients.controller(),
                clients.nodes(),
                local.imageParameter(s.layout()),
                s.sizeBytes(),
                s.replicas(),
                access,
                rox ? s.roxParameters() : s.rwoParameters(),
                timings,
                out);
        UpdateLoop update =
                new UpdateLoop(clients.controller(), local.options().project(), SampleImage.FAMILY, timings, out);
        int nodes = local.nodes().size();
        int zones = local.zones().size();
        out.printf(
                "%s: %d replicas on %d node%s in %d zone%s (%s)%n",
                access.label,
                s.replicas(),
                nodes,
                nodes == 1 ? "" : "s",
                zones,
                zones == 1 ? "" : "s",
                rox ? "one shared claim, " + s.roxParameters() : "a disk per replica, " + s.rwoParameters());
        Map<String, Long> before = RunFigures.snapshot(local.emulator());
        try {
            scale.scaleUp(SampleImage.files());
            figures.add(access.label, s.replicas(), nodes, zones, local.emulator(), before, scale.scaleUpWall());
            out.println("all " + s.replicas() + " replicas ready: each shows the image's files"
                    + (rox ? " and refuses writes (EROFS)" : ", is writable and has its claimed size"));
            if (!rox && s.move()) {
                move(scale, moveTimings);
            }
            if (!rox && s.updateLoop()) {
                update.run(scale, SampleImage.files());
            }
            if (whileUp != null) {
                whileUp.run(scale);
            }
        } finally {
            out.println("scaling down to 0...");
            scale.scaleDown();
        }
        List<String> problems = leftovers(scale);
        if (!update.cleanUp()) {
            problems.add("the snapshot's image");
        }
        if (!problems.isEmpty()) {
            problems.forEach(p -> out.println("LEFT BEHIND: " + p));
            throw new IllegalStateException(problems.size() + " things left behind after scale-down");
        }
        out.println("scaled to zero: no volumes, attachments, mounts, loop devices or device links left");
    }

    /** Moves the first replica that has another node in its zone; says so when none has. */
    private void move(ScaleOut scale, PhaseTimings moveTimings) throws IOException {
        for (ScaleOut.Replica r : scale.replicas()) {
            Optional<ScaleOut.NodeTarget> to = scale.moveTarget(r);
            if (to.isPresent()) {
                scale.move(r, to.get(), moveTimings);
                return;
            }
        }
        throw new IllegalStateException("no replica has a second node in its zone to move to: the move needs more"
                + " nodes than zones (e.g. --nodes 3 --zones 2)");
    }

    /** What a clean scale-down must not leave: volumes, loop devices, mounts, device links. */
    private List<String> leftovers(ScaleOut scale) throws IOException {
        List<String> problems = new ArrayList<>();
        scale.volumesLeft().forEach(v -> problems.add("volume " + v));
        local.emulator().boundLoopDevices().forEach((dev, file) -> problems.add("loop device " + dev + " on " + file));
        for (MountInfo m : local.mountsLeft()) {
            problems.add("mount " + m.mountPoint());
        }
        for (Path l : local.deviceLinksLeft()) {
            problems.add("device link " + l);
        }
        return problems;
    }
}
