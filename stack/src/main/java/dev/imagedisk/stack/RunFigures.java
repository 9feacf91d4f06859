package dev.imagedisk.stack;

import dev.imagedisk.gce.emulator.GceEmulator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a scale-up cost, counted by the Compute Engine emulator: disks created ({@code disks.insert}), attaches
 * ({@code instances.attachDisk}) and every Compute Engine API request (metadata reads aside), with the wall time
 * from the first CreateVolume to the last replica checked. One row per run, printed side by side.
 */
public final class RunFigures {
    /** One run's figures. */
    public record Row(
            String run, int replicas, int nodes, int zones, long disks, long attaches, long apiCalls, Duration time) {}

    private final List<Row> rows = new ArrayList<>();

    /** The emulator's request counts now, to subtract from the counts after the run. */
    public static Map<String, Long> snapshot(GceEmulator emulator) {
        return emulator.requestCounts();
    }

    /** Records a run from the counts taken before it ({@link #snapshot}) and now. */
    public synchronized Row add(
            String run,
            int replicas,
            int nodes,
            int zones,
            GceEmulator emulator,
            Map<String, Long> before,
            Duration time) {
        Map<String, Long> after = emulator.requestCounts();
        long calls = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            if (!e.getKey().equals("metadata")) {
                calls += e.getValue() - before.getOrDefault(e.getKey(), 0L);
            }
        }
        Row row = new Row(
                run,
                replicas,
                nodes,
                zones,
                delta(after, before, "disks.insert"),
                delta(after, before, "instances.attachDisk"),
                calls,
                time);
        rows.add(row);
        return row;
    }

    private static long delta(Map<String, Long> after, Map<String, Long> before, String method) {
        return after.getOrDefault(method, 0L) - before.getOrDefault(method, 0L);
    }

    public synchronized List<Row> rows() {
        return List.copyOf(rows);
    }

    public synchronized String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(
                Locale.ROOT,
                "| %-14s | %8s | %5s | %5s | %13s | %8s | %16s | %13s |%n",
                "access",
                "replicas",
                "nodes",
                "zones",
                "disks created",
                "attaches",
                "API calls (all)",
                "scale-up time"));
        b.append("|----------------|----------|-------|-------|---------------|----------|"
                + "------------------|---------------|\n");
        for (Row r : rows) {
            b.append(String.format(
                    Locale.ROOT,
                    "| %-14s | %8d | %5d | %5d | %13d | %8d | %16d | %13s |%n",
                    r.run(),
                    r.replicas(),
                    r.nodes(),
                    r.zones(),
                    r.disks(),
                    r.attaches(),
                    r.apiCalls(),
                    PhaseTimings.seconds(r.time())));
        }
        return b.toString();
    }
}
