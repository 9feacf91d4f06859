package dev.imagedisk.gce.emulator;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations written like {@code 200ms}, {@code 2s}, {@code 1m}, {@code 0} or ISO-8601. */
public final class Durations {
    private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");

    private Durations() {}

    public static Duration parse(String text) {
        String s = text.trim();
        if (s.startsWith("P") || s.startsWith("p")) {
            return Duration.parse(s);
        }
        Matcher m = SIMPLE.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration (e.g. 200ms, 2s, 1m): " + text);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? (n == 0 ? "ms" : "") : m.group(2);
        switch (unit) {
            case "ms":
                return Duration.ofMillis(n);
            case "s":
                return Duration.ofSeconds(n);
            case "m":
                return Duration.ofMinutes(n);
            case "h":
                return Duration.ofHours(n);
            default:
                throw new IllegalArgumentException("a duration needs a unit (ms, s, m, h): " + text);
        }
    }
}
