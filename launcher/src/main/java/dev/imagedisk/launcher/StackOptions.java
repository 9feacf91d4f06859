package dev.imagedisk.launcher;

import dev.imagedisk.csi.plugin.DurationConverter;
import dev.imagedisk.csi.plugin.PluginCommand;
import dev.imagedisk.csi.server.Endpoint;
import dev.imagedisk.stack.LocalStack;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Flags shared by the commands that run a {@link LocalStack}. */
public final class StackOptions {
    @Option(
            names = "--endpoint",
            paramLabel = "unix:///PATH",
            converter = PluginCommand.EndpointConverter.class,
            description = "CSI socket (default: csi.sock in the data dir).")
    Endpoint endpoint;

    @Option(
            names = "--project",
            defaultValue = "imagedisk-local",
            description = "Emulated project (default: ${DEFAULT-VALUE}).")
    String project;

    @Option(
            names = "--zone",
            defaultValue = "us-central1-a",
            description = "Emulated zone (default: ${DEFAULT-VALUE}).")
    String zone;

    @Option(
            names = "--instance",
            defaultValue = "node-1",
            description = "Emulated VM the node plugin runs as (default: ${DEFAULT-VALUE}).")
    String instance;

    @Option(
            names = "--machine-type",
            defaultValue = "e2-standard-4",
            description = "Machine type of the emulated VM; the node reports its attach limit"
                    + " (default: ${DEFAULT-VALUE}; e2-medium and the other shared-core types: 15 volumes).")
    String machineType;

    @Option(
            names = "--operation-duration",
            paramLabel = "DURATION",
            defaultValue = "200ms",
            converter = DurationConverter.class,
            description = "How long each emulated Compute Engine operation takes (default: ${DEFAULT-VALUE}).")
    Duration operationDuration;

    @Option(
            names = "--metrics-address",
            paramLabel = "HOST:PORT",
            description = "Serve the plugin's Prometheus metrics here.")
    String metricsAddress;

    LocalStack.Options toOptions(Path dataDir, boolean keepData, boolean sampleIsDefaultImage) {
        Path socket = endpoint != null
                ? endpoint.socketPath()
                : dataDir.toAbsolutePath().resolve("csi.sock");
        return new LocalStack.Options(
                dataDir.toAbsolutePath(),
                socket,
                project,
                zone,
                instance,
                machineType,
                operationDuration,
                metricsAddress,
                keepData,
                sampleIsDefaultImage,
                1,
                1);
    }
}
