package dev.imagedisk.csi.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

class TextLogEncoderTest {
    @Test
    void loggerNamesAreCutFromTheLeftUntilTheyFit() {
        assertEquals("d.i.csi.node.NodeService", TextLogEncoder.abbreviate("dev.imagedisk.csi.node.NodeService", 24));
        assertEquals("d.i.c.n.NodeService", TextLogEncoder.abbreviate("dev.imagedisk.csi.node.NodeService", 20));
        assertEquals("dev.imagedisk.csi.rpc", TextLogEncoder.abbreviate("dev.imagedisk.csi.rpc", 24));
        assertEquals(
                "i.n.b.AVeryLongClassNameIndeed",
                TextLogEncoder.abbreviate("io.netty.bootstrap.AVeryLongClassNameIndeed", 24));
    }

    @Test
    void aLineHasTimeLevelThreadLoggerMessageAndKeyValues() {
        LoggerContext context = new LoggerContext();
        LoggingEvent e = new LoggingEvent(
                "x",
                context.getLogger("dev.imagedisk.csi.node.NodeService"),
                Level.WARN,
                "staged {}",
                null,
                new Object[] {"v1"});
        e.setThreadName("csi-call-1");
        e.setKeyValuePairs(List.of(new KeyValuePair("method", "NodeStageVolume"), new KeyValuePair("code", "OK")));
        String line = new String(new TextLogEncoder().encode(e), StandardCharsets.UTF_8);
        assertTrue(
                line.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S+ WARN  \\[csi-call-1\\] "
                        + "d\\.i\\.csi\\.node\\.NodeService staged v1 method=NodeStageVolume code=OK\\R"),
                line);
    }
}
