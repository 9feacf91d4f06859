package dev.imagedisk.stack;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Per-phase durations of a run, reported as a table with p50 and max per phase. */
public final class PhaseTimings {
    enum Phase {
        CREATE("CreateVolume"),
        ATTACH("ControllerPublishVolume"),
        STAGE("NodeStageVolume"),
        PUBLISH("NodePublishVolume"),
        VERIFY("verify files, write, size"),
        VERIFY_READ_ONLY("verify files, write EROFS"),
        UNPUBLISH("NodeUnpublishVolume"),
        UNSTAGE("NodeUnstageVolume"),
        DETACH("ControllerUnpublishVolume"),
        DELETE("DeleteVolume"),
        CREATE_SNAPSHOT("CreateSnapshot (into family)"),
        NEW_REPLICA("new replica from the family"),
        DELETE_SNAPSHOT("DeleteSnapshot");

        final String label;

        Phase(String label) {
            this.label = label;
        }
    }

    private final Map<Phase, List<Duration>> samples = new EnumMap<>(Phase.class);
    private final Map<String, Duration> totals = new java.util.LinkedHashMap<>();

    synchronized void record(Phase phase, Duration d) {
        samples.computeIfAbsent(phase, p -> new ArrayList<>()).add(d);
    }

    synchronized void total(String what, Duration d) {
        totals.put(what, d);
    }

    public synchronized boolean isEmpty() {
        return samples.isEmpty() && totals.isEmpty();
    }

    static Duration percentile(List<Duration> values, double p) {
        List<Duration> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.3f s", d.toNanos() / 1e9);
    }

    public synchronized String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "| %-28s | %5s | %10s | %10s |%n", "phase", "n", "p50", "max"));
        b.append("|------------------------------|-------|------------|------------|\n");
        for (Phase phase : Phase.values()) {
            List<Duration> values = samples.get(phase);
            if (values == null || values.isEmpty()) {
                continue;
            }
            b.append(String.format(
                    Locale.ROOT,
                    "| %-28s | %5d | %10s | %10s |%n",
                    phase.label,
                    values.size(),
                    seconds(percentile(values, 50)),
                    seconds(Collections.max(values))));
        }
        for (Map.Entry<String, Duration> t : totals.entrySet()) {
            b.append(String.format(
                    Locale.ROOT, "| %-28s | %5s | %10s | %10s |%n", t.getKey(), "", "", seconds(t.getValue())));
        }
        return b.toString();
    }
}
