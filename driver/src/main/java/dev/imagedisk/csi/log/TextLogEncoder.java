package dev.imagedisk.csi.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.event.KeyValuePair;

/**
 * The text log line ({@link LogLines#text}), written directly rather than through logback's pattern layout (whose
 * parser and converters are some 90 classes): {@code 2026-01-01T12:00:00.000+00:00 INFO  [thread] d.i.c.Logger message
 * key=value ...}, then the stack trace of an exception, if any.
 */
final class TextLogEncoder extends EncoderBase<ILoggingEvent> {
    static final int LOGGER_LENGTH = LogLines.LOGGER_LENGTH;

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
        List<LogLines.Pair> pairs = null;
        if (e.getKeyValuePairs() != null) {
            pairs = new ArrayList<>();
            for (KeyValuePair kv : e.getKeyValuePairs()) {
                pairs.add(new LogLines.Pair(kv.key, kv.value));
            }
        }
        byte[] line = LogLines.text(
                e.getTimeStamp(),
                e.getLevel().toString(),
                e.getThreadName(),
                e.getLoggerName(),
                e.getFormattedMessage(),
                pairs,
                null);
        if (e.getThrowableProxy() == null) {
            return line;
        }
        String trace = ThrowableProxyUtil.asString(e.getThrowableProxy()) + System.lineSeparator();
        byte[] t = trace.getBytes(StandardCharsets.UTF_8);
        byte[] all = java.util.Arrays.copyOf(line, line.length + t.length);
        System.arraycopy(t, 0, all, line.length, t.length);
        return all;
    }

    /**
     * {@code dev.imagedisk.csi.node.NodeService} as {@code d.i.c.node.NodeService}: leading package names cut to
     * their first letter, left to right, until the name fits {@code max} (the class name is never cut).
     */
    static String abbreviate(String name, int max) {
        return LogLines.abbreviate(name, max);
    }
}
