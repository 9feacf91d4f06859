package dev.imagedisk.csi.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.encoder.Encoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

/** The node's log lines ({@link LogLines}) are the lines logback writes for the controller, in both formats. */
class LogLinesMatchLogbackTest {
    private static final String LOGGER = "dev.imagedisk.csi.node.NodeService";

    private static Throwable nested() {
        IllegalStateException top = new IllegalStateException("bad \"x\" /dev/sdb", new RuntimeException("cause"));
        top.addSuppressed(new IllegalArgumentException());
        return top;
    }

    private static void same(LoggingSetup.Format format, String message, List<LogLines.Pair> pairs, Throwable t) {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        Encoder<ILoggingEvent> encoder = LoggingSetup.Logback.encoder(format);
        encoder.setContext(context);
        encoder.start();
        Logger logger = context.getLogger(LOGGER);
        LoggingEvent e = new LoggingEvent(Logger.class.getName(), logger, Level.WARN, message, t, null);
        e.setTimeStamp(1_796_099_626_176L);
        if (pairs != null) {
            for (LogLines.Pair p : pairs) {
                e.addKeyValuePair(new KeyValuePair(p.key(), p.value()));
            }
        }
        String expected = new String(encoder.encode(e), StandardCharsets.UTF_8);
        byte[] ours = format == LoggingSetup.Format.json
                ? LogLines.json(e.getTimeStamp(), "WARN", e.getThreadName(), LOGGER, message, pairs, t)
                : LogLines.text(e.getTimeStamp(), "WARN", e.getThreadName(), LOGGER, message, pairs, t);
        assertEquals(expected, new String(ours, StandardCharsets.UTF_8));
    }

    @Test
    void jsonLines() {
        same(LoggingSetup.Format.json, "plain 42 \"q\" \\ é\ttab unix:///csi/csi.sock", null, null);
        same(
                LoggingSetup.Format.json,
                "with kv",
                List.of(new LogLines.Pair("volume", "v1"), new LogLines.Pair("n", 3)),
                null);
        same(LoggingSetup.Format.json, "boom", null, nested());
        same(LoggingSetup.Format.json, "no message", null, new IllegalStateException());
    }

    @Test
    void textLines() {
        same(LoggingSetup.Format.text, "plain 42 \"q\" \\ é\ttab", null, null);
        same(
                LoggingSetup.Format.text,
                "with kv",
                List.of(new LogLines.Pair("volume", "v1"), new LogLines.Pair("n", 3)),
                null);
        same(LoggingSetup.Format.text, "boom", null, nested());
        same(LoggingSetup.Format.text, "no message", null, new IllegalStateException());
    }
}
