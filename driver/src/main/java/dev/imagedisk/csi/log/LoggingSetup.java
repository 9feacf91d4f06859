package dev.imagedisk.csi.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.LoggerFactory;

/**
 * Sets the log format (text or one JSON object per line) and level, logging to standard error. Logback's own
 * start-up configuration is {@link Defaults} (text at INFO, found through ServiceLoader), so no logback.xml is
 * parsed: its XML configurator loads some 400 classes the plugin otherwise never needs. The node plugin logs
 * through {@link dev.imagedisk.csi.log.LineLoggerProvider} instead (the same lines), and this only passes it the
 * format and level.
 */
public final class LoggingSetup {
    public enum Format {
        text,
        json
    }

    private LoggingSetup() {}

    public static void configure(Format format, String level) {
        if (dev.imagedisk.csi.log.LineLoggerProvider.active()) {
            // the node plugin's own binding (no logback classes loaded)
            dev.imagedisk.csi.log.LineLoggerProvider.configure(format == Format.json, level);
            return;
        }
        Logback.configure((LoggerContext) LoggerFactory.getILoggerFactory(), format, level);
    }

    /** Logback's configuration until the plugin reads its flags: text at INFO on standard error. */
    public static final class Defaults extends ch.qos.logback.core.spi.ContextAwareBase
            implements ch.qos.logback.classic.spi.Configurator {
        @Override
        public ExecutionStatus configure(LoggerContext context) {
            Logback.configure(context, Format.text, "info");
            return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
        }
    }

    /** The logback configuration, in a class of its own: a node plugin, which logs without logback, never loads it. */
    static final class Logback {
        private Logback() {}

        /** The line encoder of a format, not yet started. */
        static Encoder<ILoggingEvent> encoder(Format format) {
            if (format == Format.json) {
                JsonEncoder json = new JsonEncoder();
                json.setWithSequenceNumber(false);
                json.setWithNanoseconds(false);
                json.setWithContext(false);
                json.setWithArguments(false);
                json.setWithFormattedMessage(true);
                json.setWithMessage(false);
                return json;
            }
            return new TextLogEncoder();
        }

        static void configure(LoggerContext context, Format format, String level) {
            Level parsed = Level.toLevel(level, null);
            if (parsed == null) {
                throw new IllegalArgumentException(
                        "unknown log level '" + level + "'; use trace, debug, info, warn or error");
            }
            context.reset();
            Encoder<ILoggingEvent> encoder = encoder(format);
            encoder.setContext(context);
            encoder.start();
            ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
            appender.setContext(context);
            appender.setName("stderr");
            appender.setTarget("System.err");
            appender.setEncoder(encoder);
            appender.start();
            Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            root.setLevel(parsed);
            root.addAppender(appender);
            // gRPC asks every channel for SO_KEEPALIVE, which Unix domain sockets do not have; Netty warns per
            // connection
            context.getLogger("io.netty.bootstrap").setLevel(Level.ERROR);
            if (Level.DEBUG.isGreaterOrEqual(parsed)) {
                // the transport's own debug output drowns the driver's
                context.getLogger("io.netty").setLevel(Level.INFO);
                context.getLogger("io.grpc").setLevel(Level.INFO);
            }
        }
    }
}
