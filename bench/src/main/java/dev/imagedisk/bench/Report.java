package dev.imagedisk.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark report: one row per figure, written as a Markdown table ({@code bench.md}) and a CSV
 * ({@code bench.csv}) with the machine, JVM and date on top.
 */
final class Report {
    /** Whether a figure meets its target. */
    enum Verdict {
        MET,
        MISSED,
        INFO,
        SKIPPED,
        FAILED
    }

    /**
     * One figure. {@code value} is the headline number (a p50, a makespan, a count); {@code stats} its
     * distribution when it has one; {@code baseline} the same figure measured the plain way in the same
     * run, when there is one.
     */
    record Row(
            String bench,
            String figure,
            String unit,
            double value,
            Stats stats,
            Double baseline,
            String target,
            Verdict verdict,
            String note) {
        String ratio() {
            return baseline == null || baseline == 0 || Double.isNaN(value) ? "" : fmt(value / baseline) + "×";
        }
    }

    private final List<Row> rows = new ArrayList<>();
    private final Map<String, String> facts = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final boolean quick;

    Report(boolean quick) {
        this.quick = quick;
        facts.put(
                "date",
                OffsetDateTime.now(ZoneOffset.UTC)
                        .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                        .replaceAll("\\.\\d+", ""));
        facts.put("mode", quick ? "--quick (smoke run: sizes shrunk, figures not comparable with targets)" : "full");
        facts.putAll(Machine.describe());
    }

    boolean quick() {
        return quick;
    }

    synchronized void add(Row row) {
        rows.add(row);
    }

    synchronized void note(String note) {
        notes.add(note);
    }

    synchronized List<Row> rows() {
        return List.copyOf(rows);
    }

    /** A figure with a distribution: the value is its p50. */
    void dist(
            String bench,
            String figure,
            String unit,
            List<Double> values,
            Double baseline,
            String target,
            Verdict verdict,
            String note) {
        Stats s = Stats.of(values);
        add(new Row(bench, figure, unit, s.p50(), s, baseline, target, verdict, note));
    }

    void value(
            String bench,
            String figure,
            String unit,
            double value,
            Double baseline,
            String target,
            Verdict verdict,
            String note) {
        add(new Row(bench, figure, unit, value, null, baseline, target, verdict, note));
    }

    void skipped(String bench, String figure, String why) {
        add(new Row(bench, figure, "", Double.NaN, null, null, "", Verdict.SKIPPED, why));
    }

    void failed(String bench, String figure, String why) {
        add(new Row(bench, figure, "", Double.NaN, null, null, "", Verdict.FAILED, why));
    }

    /** MET/MISSED for "value at most limit", INFO in a quick run (its sizes are not the targets'). */
    Verdict atMost(double value, double limit) {
        if (quick) {
            return Verdict.INFO;
        }
        return value <= limit ? Verdict.MET : Verdict.MISSED;
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.format(Locale.ROOT, "%d", (long) v);
        }
        if (Math.abs(v) >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (Math.abs(v) >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static String result(Row r) {
        String u = r.unit().isEmpty() ? "" : " " + r.unit();
        if (r.stats() != null) {
            Stats s = r.stats();
            return "p50 " + fmt(s.p50()) + u + ", p99 " + fmt(s.p99()) + u + " (min " + fmt(s.min()) + ", max "
                    + fmt(s.max()) + "; n=" + s.n() + ")";
        }
        return Double.isNaN(r.value()) ? "—" : fmt(r.value()) + u;
    }

    synchronized String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# imagedisk-csi benchmarks\n\n");
        for (Map.Entry<String, String> f : facts.entrySet()) {
            b.append("- ").append(f.getKey()).append(": ").append(f.getValue()).append('\n');
        }
        b.append('\n');
        b.append("| bench | figure | result | baseline (same run) | ratio | target | verdict |\n");
        b.append("| --- | --- | --- | --- | --- | --- | --- |\n");
        for (Row r : rows) {
            String u = r.unit().isEmpty() ? "" : " " + r.unit();
            b.append("| ")
                    .append(r.bench())
                    .append(" | ")
                    .append(esc(r.figure()))
                    .append(" | ")
                    .append(esc(result(r)))
                    .append(" | ")
                    .append(r.baseline() == null ? "" : fmt(r.baseline()) + u)
                    .append(" | ")
                    .append(r.ratio())
                    .append(" | ")
                    .append(esc(r.target()))
                    .append(" | ")
                    .append(r.verdict().name().toLowerCase(Locale.ROOT))
                    .append(r.note() == null || r.note().isEmpty() ? "" : ": " + esc(r.note()))
                    .append(" |\n");
        }
        if (!notes.isEmpty()) {
            b.append('\n');
            for (String n : notes) {
                b.append("- ").append(n).append('\n');
            }
        }
        return b.toString();
    }

    synchronized String csv() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> f : facts.entrySet()) {
            b.append("# ").append(f.getKey()).append(": ").append(f.getValue()).append('\n');
        }
        b.append("bench,figure,unit,n,value,p50,p99,min,max,baseline,ratio,target,verdict,note\n");
        for (Row r : rows) {
            Stats s = r.stats();
            b.append(String.join(
                            ",",
                            csvField(r.bench()),
                            csvField(r.figure()),
                            csvField(r.unit()),
                            s == null ? "" : Integer.toString(s.n()),
                            num(r.value()),
                            s == null ? "" : num(s.p50()),
                            s == null ? "" : num(s.p99()),
                            s == null ? "" : num(s.min()),
                            s == null ? "" : num(s.max()),
                            r.baseline() == null ? "" : num(r.baseline()),
                            csvField(r.ratio().replace("×", "")),
                            csvField(r.target()),
                            r.verdict().name().toLowerCase(Locale.ROOT),
                            csvField(r.note())))
                    .append('\n');
        }
        return b.toString();
    }

    /** Writes bench.md and bench.csv into {@code dir}; returns the Markdown file. */
    Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path md = dir.resolve("bench.md");
        Files.writeString(md, markdown(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("bench.csv"), csv(), StandardCharsets.UTF_8);
        return md;
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String esc(String s) {
        return s == null ? "" : s.replace("|", "\\|").replace("\n", " ");
    }

    private static String csvField(String s) {
        if (s == null) {
            return "";
        }
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    /** What the figures were measured on. */
    static final class Machine {
        private Machine() {}

        static Map<String, String> describe() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("nproc", Integer.toString(Runtime.getRuntime().availableProcessors()));
            m.put("memory", memory());
            m.put(
                    "kernel",
                    System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                            + System.getProperty("os.arch"));
            m.put("cpu", cpuModel());
            m.put(
                    "jvm",
                    System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
                            + System.getProperty("java.vendor") + ")");
            m.put(
                    "bench JVM options",
                    String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
            return m;
        }

        private static String memory() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                    if (line.startsWith("MemTotal:")) {
                        long kb = Long.parseLong(line.replaceAll("\\D", ""));
                        return String.format(Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // fall through
            }
            return "unknown";
        }

        private static String cpuModel() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                    if (line.startsWith("model name")) {
                        return line.substring(line.indexOf(':') + 1).trim();
                    }
                }
            } catch (IOException | RuntimeException e) {
                // fall through
            }
            return "unknown";
        }
    }
}
