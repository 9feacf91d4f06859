package dev.imagedisk.csi.plugin;

import dev.imagedisk.csi.common.Version;
import dev.imagedisk.csi.log.LineLoggerProvider;
import dev.imagedisk.csi.log.LoggingSetup;
import dev.imagedisk.csi.server.CsiServer;
import dev.imagedisk.csi.server.Endpoint;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code imagedisk plugin}: runs the CSI plugin exactly as its container does. */
@Command(
        name = "plugin",
        mixinStandardHelpOptions = true,
        versionProvider = PluginCommand.VersionProvider.class,
        description = "Serve the CSI plugin (Identity, and Controller and/or Node by --mode) on a Unix socket.")
public final class PluginCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(PluginCommand.class);

    /** Exit code when the plugin could not start (socket in use, bad configuration found at start). */
    public static final int EXIT_START_FAILED = 1;

    @Option(
            names = "--mode",
            paramLabel = "controller|node|all",
            defaultValue = "all",
            description = "Which services to serve (default: ${DEFAULT-VALUE}).")
    Mode mode;

    @Option(
            names = "--endpoint",
            paramLabel = "unix:///PATH",
            defaultValue = "unix:///csi/csi.sock",
            converter = EndpointConverter.class,
            description = "CSI socket, unix:///abs/path or unix:/abs/path (default: ${DEFAULT-VALUE}).")
    Endpoint endpoint;

    @Option(
            names = "--driver-name",
            paramLabel = "NAME",
            defaultValue = DriverConfig.DEFAULT_DRIVER_NAME,
            description = "CSI driver name (default: ${DEFAULT-VALUE}).")
    String driverName;

    @Option(
            names = "--shutdown-grace",
            paramLabel = "DURATION",
            defaultValue = "30s",
            converter = DurationConverter.class,
            description = "On SIGTERM/SIGINT, how long calls in flight may take to finish (default: ${DEFAULT-VALUE}).")
    Duration shutdownGrace;

    @Option(
            names = "--log-format",
            paramLabel = "text|json",
            defaultValue = "text",
            description = "Log line format (default: ${DEFAULT-VALUE}).")
    LoggingSetup.Format logFormat;

    @Option(
            names = "--log-level",
            paramLabel = "LEVEL",
            defaultValue = "info",
            description = "trace, debug, info, warn or error (default: ${DEFAULT-VALUE}).")
    String logLevel;

    @Option(
            names = "--metrics-address",
            paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics over HTTP at this address (default: off).")
    String metricsAddress;

    @Option(
            names = "--self-test",
            hidden = true,
            description = "Start, answer Identity and capability calls once over the socket, then exit 0: the"
                    + " training run that records the classes for the image's class-data-sharing archive.")
    boolean selfTest;

    @Mixin
    CloudOptions cloud = new CloudOptions();

    @Mixin
    ControllerOptions controller = new ControllerOptions();

    @Mixin
    NodeOptions node = new NodeOptions();

    @Override
    public Integer call() throws Exception {
        LoggingSetup.configure(logFormat, logLevel);
        DriverConfig config = config();
        StopSignal stop = StopSignal.install();
        PluginRuntime runtime;
        try {
            runtime = PluginRuntime.start(config);
        } catch (CsiServer.SocketInUseException e) {
            System.err.println("imagedisk plugin: " + e.getMessage());
            return EXIT_START_FAILED;
        }
        LOG.info("imagedisk-csi {} started: mode={} driver={} endpoint={}", Version.get(), mode, driverName, endpoint);
        if (selfTest) {
            try (runtime) {
                SelfTest.run(config);
            }
            return 0;
        }
        stop.await();
        LOG.info("signal received; draining calls for up to {}", shutdownGrace);
        runtime.close();
        return 0;
    }

    public DriverConfig config() {
        return new DriverConfig(mode, endpoint, driverName, shutdownGrace, cloud, controller, node, metricsAddress);
    }

    /** Converts --endpoint, so a bad value is a usage error (exit 2) with the reason. */
    public static final class EndpointConverter implements CommandLine.ITypeConverter<Endpoint> {
        @Override
        public Endpoint convert(String value) {
            try {
                return Endpoint.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** Prints the project version. */
    public static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"imagedisk-csi " + Version.get()};
        }
    }

    /**
     * Runs just this command, as the container image does. A leading {@code plugin} is skipped, so {@code java -jar
     * JAR plugin ARGS} starts the plugin from the launcher's jar and from the plugin's own alike; {@code plugin
     * doctor ARGS} runs {@link dev.imagedisk.csi.plugin.DoctorCommand} (the image's install check).
     */
    public static void main(String[] args) {
        String[] pluginArgs =
                args.length > 0 && args[0].equals("plugin") ? Arrays.copyOfRange(args, 1, args.length) : args;
        if (pluginArgs.length > 0 && pluginArgs[0].equals("doctor")) {
            // the image's entrypoint is `plugin`: `plugin doctor ARGS` runs the install checks instead
            System.exit(
                    dev.imagedisk.csi.plugin.DoctorCommand.run(Arrays.copyOfRange(pluginArgs, 1, pluginArgs.length)));
        }
        if (nodeMode(pluginArgs)) {
            // the node plugin on every node logs through a small binding of its own, not logback (B4)
            LineLoggerProvider.select();
        }
        System.exit(new CommandLine(new PluginCommand())
                .setCommandName("imagedisk plugin")
                .setCaseInsensitiveEnumValuesAllowed(true)
                .execute(pluginArgs));
    }

    /** Whether these plugin arguments ask for {@code --mode node} (read before picocli, which logs). */
    static boolean nodeMode(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equalsIgnoreCase("--mode=node")
                    || args[i].equals("--mode") && i + 1 < args.length && args[i + 1].equalsIgnoreCase("node")) {
                return true;
            }
        }
        return false;
    }
}
