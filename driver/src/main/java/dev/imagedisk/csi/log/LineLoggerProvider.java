package dev.imagedisk.csi.log;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The node plugin's SLF4J binding: each event becomes one text or JSON line on standard error ({@link LogLines},
 * the same lines as the logback configuration of the controller), filtered by level. About a dozen classes where
 * logback loads some 80 at start, each of them resident in every node's archive and metaspace
 * (docs/performance.md, B4). Chosen by {@link #select} through SLF4J's {@code slf4j.provider} property before the
 * first logger is made; the controller keeps logback.
 */
public final class LineLoggerProvider implements SLF4JServiceProvider {
    /** The level and format of every logger; text at INFO until the plugin reads its flags. */
    static volatile Settings settings = new Settings(false, Level.INFO.toInt());

    record Settings(boolean json, int rootLevel) {}

    private final Factory factory = new Factory();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();

    /** Makes this the SLF4J binding for this JVM unless one was chosen already; call before any logger exists. */
    public static void select() {
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", LineLoggerProvider.class.getName());
            if (System.getProperty("slf4j.internal.verbosity") == null) {
                // SLF4J would announce the explicit provider on standard error, a line that is not JSON
                System.setProperty("slf4j.internal.verbosity", "WARN");
            }
        }
    }

    /** Whether this JVM logs through this binding. */
    public static boolean active() {
        return org.slf4j.LoggerFactory.getILoggerFactory() instanceof Factory;
    }

    /**
     * Sets the format and level: trace, debug, info, warn, error, or off (as logback's level names, any case).
     */
    public static void configure(boolean json, String level) {
        settings = new Settings(json, parse(level));
    }

    static int parse(String level) {
        return switch (level == null ? "" : level.toLowerCase(Locale.ROOT)) {
            case "all", "trace" -> Level.TRACE.toInt();
            case "debug" -> Level.DEBUG.toInt();
            case "info" -> Level.INFO.toInt();
            case "warn" -> Level.WARN.toInt();
            case "error" -> Level.ERROR.toInt();
            case "off" -> Integer.MAX_VALUE;
            default ->
                throw new IllegalArgumentException(
                        "unknown log level '" + level + "'; use trace, debug, info, warn or error");
        };
    }

    /**
     * The level in force for a logger: the root level, except that Netty's bootstrap logs errors only (gRPC asks
     * every channel for SO_KEEPALIVE, which Unix domain sockets do not have; Netty warns per connection) and,
     * below INFO, Netty and gRPC stay at INFO (their debug output drowns the driver's).
     */
    static int threshold(String logger, int root) {
        if (logger.startsWith("io.netty.bootstrap")) {
            return Math.max(root, Level.ERROR.toInt());
        }
        if (root < Level.INFO.toInt() && (logger.startsWith("io.netty") || logger.startsWith("io.grpc"))) {
            return Level.INFO.toInt();
        }
        return root;
    }

    static void write(String logger, Level level, String message, List<LogLines.Pair> pairs, Throwable t) {
        Settings s = settings;
        long now = System.currentTimeMillis();
        String thread = Thread.currentThread().getName();
        byte[] line = s.json()
                ? LogLines.json(now, level.name(), thread, logger, message, pairs, t)
                : LogLines.text(now, level.name(), thread, logger, message, pairs, t);
        PrintStream err = System.err;
        synchronized (err) {
            err.write(line, 0, line.length);
            err.flush();
        }
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return factory;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {}

    static final class Factory implements ILoggerFactory {
        private final Map<String, Logger> loggers = new ConcurrentHashMap<>();

        @Override
        public Logger getLogger(String name) {
            return loggers.computeIfAbsent(name, LineLogger::new);
        }
    }
}
