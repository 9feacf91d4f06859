package dev.imagedisk.csi.plugin;

import java.time.Duration;
import picocli.CommandLine.Option;

/** Flags of the controller service. */
public final class ControllerOptions {
    @Option(
            names = "--compute-endpoint",
            paramLabel = "URL",
            defaultValue = "https://compute.googleapis.com",
            description = "Compute Engine API endpoint; an http:// URL means the emulator, used without credentials"
                    + " (default: ${DEFAULT-VALUE}).")
    public String computeEndpoint = "https://compute.googleapis.com";

    @Option(
            names = "--api-write-rate-limit",
            paramLabel = "QPS",
            defaultValue = "20",
            description = "Compute Engine mutations (disks.insert/delete/resize, instances.attachDisk/detachDisk) this"
                    + " controller sends at most in any second (default: ${DEFAULT-VALUE}, i.e. 1,200 a minute: Compute"
                    + " Engine's default quota for mutations is 1,500 a minute per project, the rest is left to other"
                    + " clients).")
    public double apiWriteRateLimit = 20;

    @Option(
            names = "--api-read-rate-limit",
            paramLabel = "QPS",
            defaultValue = "25",
            description = "Compute Engine reads (get, list) per second, and, budgeted apart, operation reads"
                    + " (zoneOperations.wait), as Compute Engine counts them in their own quota groups (default:"
                    + " ${DEFAULT-VALUE}, i.e. 1,500 a minute, Compute Engine's default quota of each group).")
    public double apiReadRateLimit = 25;

    @Option(
            names = "--api-rate-limit",
            paramLabel = "QPS",
            description = "Optional cap on all Compute Engine requests together, per second, on top of the write"
                    + " and read budgets (default: none).")
    public Double apiRateLimit;

    @Option(
            names = "--image-cache-ttl",
            paramLabel = "DURATION",
            defaultValue = "30s",
            converter = DurationConverter.class,
            description = "How long a resolved image (or image family) is reused for CreateVolume before it is read"
                    + " again; 0 reads it for every call (default: ${DEFAULT-VALUE}).")
    public Duration imageCacheTtl = Duration.ofSeconds(30);

    @Option(
            names = "--attach-pace-wait",
            paramLabel = "DURATION",
            defaultValue = "30s",
            converter = DurationConverter.class,
            description = "How long a reader set's ControllerPublishVolume waits for its disk's next attach slot"
                    + " (Hyperdisk ML: 100 attaches per disk per 30 s) before it answers UNAVAILABLE to be retried;"
                    + " never past the call's deadline (default: ${DEFAULT-VALUE}).")
    public Duration attachPaceWait = Duration.ofSeconds(30);

    @Option(
            names = "--operation-timeout",
            paramLabel = "DURATION",
            defaultValue = "5m",
            converter = DurationConverter.class,
            description = "How long to wait for one Compute Engine operation (default: ${DEFAULT-VALUE}).")
    public Duration operationTimeout = Duration.ofMinutes(5);

    @Option(
            names = "--api-call-timeout",
            paramLabel = "DURATION",
            defaultValue = "60s",
            converter = DurationConverter.class,
            description = "Timeout of one Compute Engine API request other than the operation long poll"
                    + " (default: ${DEFAULT-VALUE}).")
    public Duration apiCallTimeout = Duration.ofSeconds(60);

    @Option(
            names = "--api-retries",
            paramLabel = "N",
            defaultValue = "6",
            description = "Retries of a request or operation refused for rate or quota (rateLimitExceeded,"
                    + " quotaExceeded, RESOURCE_OPERATION_RATE_EXCEEDED, HTTP 429) before RESOURCE_EXHAUSTED"
                    + " (default: ${DEFAULT-VALUE}).")
    public int apiRetries = 6;

    @Option(
            names = "--api-retry-backoff",
            paramLabel = "DURATION",
            defaultValue = "500ms",
            converter = DurationConverter.class,
            description = "First backoff before such a retry; it doubles each time, with jitter"
                    + " (default: ${DEFAULT-VALUE}).")
    public Duration apiRetryBackoff = Duration.ofMillis(500);

    @Option(
            names = "--api-retry-max-backoff",
            paramLabel = "DURATION",
            defaultValue = "16s",
            converter = DurationConverter.class,
            description = "Longest backoff between such retries (default: ${DEFAULT-VALUE}).")
    public Duration apiRetryMaxBackoff = Duration.ofSeconds(16);

    @Option(
            names = "--default-image",
            paramLabel = "IMAGE",
            description = "Image for a volume whose StorageClass names none (projects/P/global/images/NAME,"
                    + " .../family/FAMILY or global/images/NAME). Default: none, the image parameter is required.")
    public String defaultImage;
}
