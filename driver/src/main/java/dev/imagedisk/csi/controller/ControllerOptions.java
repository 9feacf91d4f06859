package dev.imagedisk.csi.controller;

import dev.imagedisk.csi.DurationConverter;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Flags of the controller service. */
public final class ControllerOptions {
    @Option(names = "--compute-endpoint", paramLabel = "URL", defaultValue = "https://compute.googleapis.com",
            description = "Compute Engine API endpoint; an http:// URL means the emulator, used without credentials"
                    + " (default: ${DEFAULT-VALUE}).")
    public String computeEndpoint = "https://compute.googleapis.com";

    @Option(names = "--api-rate-limit", paramLabel = "QPS", defaultValue = "20",
            description = "Compute Engine API requests per second this controller sends at most (default: ${DEFAULT-VALUE}).")
    public double apiRateLimit = 20;

    @Option(names = "--operation-timeout", paramLabel = "DURATION", defaultValue = "5m",
            converter = DurationConverter.class,
            description = "How long to wait for one Compute Engine operation (default: ${DEFAULT-VALUE}).")
    public Duration operationTimeout = Duration.ofMinutes(5);
}
