package dev.imagedisk.csi.log;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The driver's two log line formats, shared by the logback path (controller) and {@link LineLoggerProvider}
 * (node): text, {@code 2026-01-01T12:00:00.000Z INFO  [thread] d.i.c.Logger message key=value ...}, then the
 * stack trace of an exception; and JSON, one object per line with the fields of logback's {@code JsonEncoder}
 * as the plugin configures it ({@code timestamp}, {@code level}, {@code threadName}, {@code loggerName},
 * {@code mdc}, {@code kvpList}, {@code formattedMessage}, {@code throwable}).
 */
public final class LogLines {
    public static final int LOGGER_LENGTH = 24;

    /** The text lines' time format, made on first use: JSON lines (the DaemonSet's) never read the zone rules. */
    private static final class Time {
        static final DateTimeFormatter FORMAT =
                DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneId.systemDefault());
    }

    private LogLines() {}

    /** A key-value pair of a log event. */
    public record Pair(String key, Object value) {}

    public static byte[] text(
            long millis, String level, String thread, String logger, String message, List<Pair> pairs, Throwable t) {
        StringBuilder b = new StringBuilder(160);
        b.append(Time.FORMAT.format(Instant.ofEpochMilli(millis))).append(' ').append(level);
        for (int i = level.length(); i < 5; i++) {
            b.append(' ');
        }
        b.append(" [")
                .append(thread)
                .append("] ")
                .append(abbreviate(logger, LOGGER_LENGTH))
                .append(' ')
                .append(message)
                .append(' ');
        if (pairs != null) {
            for (int i = 0; i < pairs.size(); i++) {
                b.append(i == 0 ? "" : " ")
                        .append(pairs.get(i).key())
                        .append('=')
                        .append(pairs.get(i).value());
            }
        }
        b.append(System.lineSeparator());
        if (t != null) {
            stackTrace(b, t, null, "", new HashSet<>());
            b.append(System.lineSeparator()); // and an empty line, as logback's text lines end a trace
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** As logback prints a throwable: frames shared with the enclosing trace as "... N common frames omitted". */
    private static void stackTrace(
            StringBuilder b, Throwable t, StackTraceElement[] enclosing, String prefix, Set<Throwable> seen) {
        if (!seen.add(t)) {
            return;
        }
        b.append(t.getMessage() == null ? t.getClass().getName() : t.getClass().getName() + ": " + t.getMessage())
                .append(System.lineSeparator());
        StackTraceElement[] frames = t.getStackTrace();
        int common = commonFrames(frames, enclosing);
        for (int i = 0; i < frames.length - common; i++) {
            b.append(prefix).append("\tat ").append(frames[i]).append(System.lineSeparator());
        }
        if (common > 0) {
            b.append(prefix)
                    .append("\t... ")
                    .append(common)
                    .append(" common frames omitted")
                    .append(System.lineSeparator());
        }
        for (Throwable s : t.getSuppressed()) {
            b.append(prefix).append("\tSuppressed: ");
            stackTrace(b, s, frames, prefix + "\t", seen);
        }
        if (t.getCause() != null) {
            b.append(prefix).append("Caused by: ");
            stackTrace(b, t.getCause(), frames, prefix, seen);
        }
    }

    private static int commonFrames(StackTraceElement[] frames, StackTraceElement[] enclosing) {
        if (enclosing == null) {
            return 0;
        }
        int n = 0;
        for (int i = frames.length - 1, j = enclosing.length - 1; i >= 0 && j >= 0; i--, j--) {
            if (!frames[i].equals(enclosing[j])) {
                break;
            }
            n++;
        }
        return n;
    }

    public static byte[] json(
            long millis, String level, String thread, String logger, String message, List<Pair> pairs, Throwable t) {
        StringBuilder b = new StringBuilder(200);
        b.append("{\"timestamp\":").append(millis).append(",\"level\":");
        string(b, level);
        b.append(",\"threadName\":");
        string(b, thread);
        b.append(",\"loggerName\":");
        string(b, logger);
        b.append(",\"mdc\": {}");
        if (pairs != null && !pairs.isEmpty()) {
            b.append(",\"kvpList\": [");
            for (int i = 0; i < pairs.size(); i++) {
                b.append(i == 0 ? "{" : ",{");
                string(b, pairs.get(i).key());
                b.append(':');
                string(b, String.valueOf(pairs.get(i).value()));
                b.append('}');
            }
            b.append(']');
        }
        b.append(",\"formattedMessage\":");
        string(b, message);
        b.append(",\"throwable\":");
        throwable(b, t, null, new HashSet<>());
        b.append('}').append(System.lineSeparator());
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** As logback's JsonEncoder: a cause lists all its frames, a suppressed throwable those not in common. */
    private static void throwable(StringBuilder b, Throwable t, StackTraceElement[] enclosing, Set<Throwable> seen) {
        throwable(b, t, enclosing, false, seen);
    }

    private static void throwable(
            StringBuilder b, Throwable t, StackTraceElement[] enclosing, boolean trim, Set<Throwable> seen) {
        if (t == null || !seen.add(t)) {
            b.append("null");
            return;
        }
        b.append("{\"className\":");
        string(b, t.getClass().getName());
        b.append(",\"message\":");
        string(b, String.valueOf(t.getMessage()));
        b.append(",\"stepArray\":[");
        StackTraceElement[] frames = t.getStackTrace();
        int shown = trim ? frames.length - commonFrames(frames, enclosing) : frames.length;
        for (int i = 0; i < shown; i++) {
            b.append(i == 0 ? "{" : ",{").append("\"className\":");
            string(b, frames[i].getClassName());
            b.append(",\"methodName\":");
            string(b, frames[i].getMethodName());
            b.append(",\"fileName\":");
            string(b, frames[i].getFileName());
            b.append(",\"lineNumber\":").append(frames[i].getLineNumber()).append('}');
        }
        b.append(']');
        if (enclosing != null) {
            b.append(",\"commonFramesCount\":").append(commonFrames(frames, enclosing));
        }
        if (t.getCause() != null) {
            b.append(",\"cause\":");
            throwable(b, t.getCause(), frames, seen);
        }
        if (t.getSuppressed().length > 0) {
            b.append(",\"suppressed\":[");
            Throwable[] suppressed = t.getSuppressed();
            for (int i = 0; i < suppressed.length; i++) {
                b.append(i == 0 ? "" : ",");
                throwable(b, suppressed[i], frames, true, seen);
            }
            b.append(']');
        }
        b.append('}');
    }

    /** A JSON string as logback writes it: quotes, backslashes, slashes and control characters escaped. */
    static void string(StringBuilder b, String s) {
        if (s == null) {
            b.append("null");
            return;
        }
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '/' -> b.append("\\/");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04X", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    /**
     * {@code dev.imagedisk.csi.node.NodeService} as {@code d.i.c.node.NodeService}: leading package names cut to
     * their first letter, left to right, until the name fits {@code max} (the class name is never cut).
     */
    public static String abbreviate(String name, int max) {
        if (name == null || name.length() <= max) {
            return name;
        }
        String[] parts = name.split("\\.");
        int length = name.length();
        for (int i = 0; i < parts.length - 1 && length > max; i++) {
            if (parts[i].length() > 1) {
                length -= parts[i].length() - 1;
                parts[i] = parts[i].substring(0, 1);
            }
        }
        return String.join(".", parts);
    }
}
