package dev.imagedisk.csi.doctor;

import java.util.ArrayList;
import java.util.List;

/** The doctor's findings as a plain-text table (check, result, fix) and its exit code. */
public final class Report {
    /** Exit code when any check failed. */
    public static final int EXIT_FAILED = 1;

    private static final int RESULT_WIDTH = 60;
    private static final int FIX_WIDTH = 70;

    private final List<Finding> findings;

    public Report(List<Finding> findings) {
        this.findings = List.copyOf(findings);
    }

    public List<Finding> findings() {
        return findings;
    }

    public boolean failed() {
        return findings.stream().anyMatch(f -> f.outcome() == Finding.Outcome.FAIL);
    }

    public int exitCode() {
        return failed() ? EXIT_FAILED : 0;
    }

    /** The table: long results and fixes wrap within their columns; a summary line ends it. */
    public String table() {
        int checkWidth = Math.max(
                "CHECK".length(),
                findings.stream().mapToInt(f -> f.check().length()).max().orElse(0));
        StringBuilder out = new StringBuilder();
        row(out, checkWidth, "CHECK", "RESULT", "FIX");
        row(out, checkWidth, "-".repeat(checkWidth), "-".repeat(RESULT_WIDTH), "-".repeat(FIX_WIDTH));
        for (Finding f : findings) {
            String result = f.outcome() + (f.result().isEmpty() ? "" : ": " + f.result());
            row(out, checkWidth, f.check(), result, f.fix().isEmpty() ? "-" : f.fix());
        }
        long failed = count(Finding.Outcome.FAIL);
        long warned = count(Finding.Outcome.WARN);
        out.append('\n')
                .append(findings.size())
                .append(" checks: ")
                .append(count(Finding.Outcome.OK))
                .append(" ok, ")
                .append(failed)
                .append(" failed, ")
                .append(warned)
                .append(" warnings, ")
                .append(count(Finding.Outcome.SKIPPED))
                .append(" skipped")
                .append(failed > 0 ? " -- fix the FAIL rows and run the doctor again" : "")
                .append('\n');
        return out.toString();
    }

    private long count(Finding.Outcome outcome) {
        return findings.stream().filter(f -> f.outcome() == outcome).count();
    }

    private static void row(StringBuilder out, int checkWidth, String check, String result, String fix) {
        List<String> r = wrap(result, RESULT_WIDTH);
        List<String> x = wrap(fix, FIX_WIDTH);
        int lines = Math.max(r.size(), x.size());
        for (int i = 0; i < lines; i++) {
            String c = i == 0 ? check : "";
            String line = String.format(
                    "%-" + checkWidth + "s  %-" + RESULT_WIDTH + "s  %s",
                    c,
                    i < r.size() ? r.get(i) : "",
                    i < x.size() ? x.get(i) : "");
            out.append(line.stripTrailing()).append('\n');
        }
    }

    /** Words of {@code text} in lines of at most {@code width} (a longer word gets a line of its own). */
    static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        lines.add(line.toString());
        return lines;
    }
}
