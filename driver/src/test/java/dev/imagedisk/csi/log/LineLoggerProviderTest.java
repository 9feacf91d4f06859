package dev.imagedisk.csi.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** Levels of the node's SLF4J binding: the flag's names, and the transport's loggers held as logback holds them. */
class LineLoggerProviderTest {
    @Test
    void levelNames() {
        assertEquals(Level.DEBUG.toInt(), LineLoggerProvider.parse("DEBUG"));
        assertEquals(Level.WARN.toInt(), LineLoggerProvider.parse("warn"));
        assertEquals(Integer.MAX_VALUE, LineLoggerProvider.parse("off"));
        assertThrows(IllegalArgumentException.class, () -> LineLoggerProvider.parse("verbose"));
    }

    @Test
    void transportLoggersStayQuiet() {
        int debug = Level.DEBUG.toInt();
        assertEquals(debug, LineLoggerProvider.threshold("dev.imagedisk.csi.node.NodeService", debug));
        assertEquals(Level.INFO.toInt(), LineLoggerProvider.threshold("io.grpc.netty.NettyServer", debug));
        assertEquals(
                Level.ERROR.toInt(),
                LineLoggerProvider.threshold("io.netty.bootstrap.ServerBootstrap", Level.INFO.toInt()));
        assertEquals(Level.WARN.toInt(), LineLoggerProvider.threshold("io.netty.channel.X", Level.WARN.toInt()));
    }

    @Test
    void loggersWriteOnlyAtOrAboveTheLevel() {
        LineLoggerProvider.Settings saved = LineLoggerProvider.settings;
        try {
            LineLoggerProvider.configure(false, "warn");
            LineLogger logger = new LineLogger("dev.imagedisk.csi.X");
            assertEquals(false, logger.isInfoEnabled());
            assertEquals(true, logger.isWarnEnabled());
            LineLoggerProvider.configure(true, "trace");
            assertEquals(true, logger.isTraceEnabled());
        } finally {
            LineLoggerProvider.settings = saved;
        }
    }
}
