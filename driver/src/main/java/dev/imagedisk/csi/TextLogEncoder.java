package dev.imagedisk.csi;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.slf4j.event.KeyValuePair;

/**
 * The text log line, written directly rather than through logback's pattern layout (whose parser and
 * converters are some 90 classes): {@code 2026-01-01T12:00:00.000+00:00 INFO  [thread] d.i.c.Logger message
 * key=value ...}, then the stack trace of an exception, if any.
 */
final class TextLogEncoder extends EncoderBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
            .withZone(ZoneId.systemDefault());
    static final int LOGGER_LENGTH = 24;

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent e) {
        StringBuilder b = new StringBuilder(160);
        b.append(TIME.format(Instant.ofEpochMilli(e.getTimeStamp()))).append(' ');
        String level = e.getLevel().toString();
        b.append(level);
        for (int i = level.length(); i < 5; i++) {
            b.append(' ');
        }
        b.append(" [").append(e.getThreadName()).append("] ").append(abbreviate(e.getLoggerName(), LOGGER_LENGTH))
                .append(' ').append(e.getFormattedMessage()).append(' ');
        if (e.getKeyValuePairs() != null) {
            boolean first = true;
            for (KeyValuePair kv : e.getKeyValuePairs()) {
                b.append(first ? "" : " ").append(kv.key).append('=').append(kv.value);
                first = false;
            }
        }
        b.append(System.lineSeparator());
        if (e.getThrowableProxy() != null) {
            b.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append(System.lineSeparator());
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * {@code dev.imagedisk.csi.node.NodeService} as {@code d.i.c.node.NodeService}: leading package names cut to
     * their first letter, left to right, until the name fits {@code max} (the class name is never cut).
     */
    static String abbreviate(String name, int max) {
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
