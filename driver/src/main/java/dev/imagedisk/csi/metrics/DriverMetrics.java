package dev.imagedisk.csi.metrics;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.time.Duration;

/**
 * The driver's Prometheus metrics, in one registry per plugin: CSI calls, Compute Engine API calls and
 * operation waits on the controller, and mount/format/resize runs on the node.
 */
public final class DriverMetrics {
    private static final double[] RPC_BUCKETS = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
        30, 60, 120, 300};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter csiCalls;
    private final Histogram csiDuration;
    private final Gauge csiInFlight;
    private final Counter apiCalls;
    private final Counter apiRetries;
    private final Counter rateLimitWaitSeconds;
    private final Histogram operationWait;
    private final Counter nodeOps;
    private final Histogram nodeOpDuration;

    public DriverMetrics() {
        csiCalls = Counter.builder().name("imagedisk_csi_calls_total")
                .help("CSI calls answered, by method and gRPC status code")
                .labelNames("method", "code").register(registry);
        csiDuration = Histogram.builder().name("imagedisk_csi_call_duration_seconds").unit(Unit.SECONDS)
                .help("CSI call latency by method").classicUpperBounds(RPC_BUCKETS)
                .labelNames("method").register(registry);
        csiInFlight = Gauge.builder().name("imagedisk_csi_calls_in_flight")
                .help("CSI calls being served now, by method").labelNames("method").register(registry);
        apiCalls = Counter.builder().name("imagedisk_compute_api_calls_total")
                .help("Compute Engine API requests sent, by method (e.g. disks.insert) and outcome"
                        + " (ok, or the error reason)")
                .labelNames("method", "outcome").register(registry);
        apiRetries = Counter.builder().name("imagedisk_compute_api_retries_total")
                .help("Compute Engine API requests retried after a rate-limit or quota answer, by method")
                .labelNames("method").register(registry);
        rateLimitWaitSeconds = Counter.builder().name("imagedisk_compute_rate_limit_wait_seconds_total")
                .help("Time callers spent waiting for the client-side API rate limit").register(registry);
        operationWait = Histogram.builder().name("imagedisk_compute_operation_wait_seconds").unit(Unit.SECONDS)
                .help("Time the driver waited for a Compute Engine operation to be DONE, by operation type")
                .classicUpperBounds(RPC_BUCKETS).labelNames("operation").register(registry);
        nodeOps = Counter.builder().name("imagedisk_node_operations_total")
                .help("Node-side filesystem and mount operations (mount, bind, unmount, format, fsck, resize),"
                        + " by operation and outcome")
                .labelNames("operation", "outcome").register(registry);
        nodeOpDuration = Histogram.builder().name("imagedisk_node_operation_duration_seconds").unit(Unit.SECONDS)
                .help("Node-side operation latency").classicUpperBounds(RPC_BUCKETS)
                .labelNames("operation").register(registry);
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    public void csiCallStarted(String method) {
        csiInFlight.labelValues(method).inc();
    }

    /** A CSI call ended with {@code code} (a gRPC status code name such as {@code OK}). */
    public void csiCallFinished(String method, String code, long nanos) {
        csiInFlight.labelValues(method).dec();
        csiCalls.labelValues(method, code).inc();
        csiDuration.labelValues(method).observe(nanos / 1e9);
    }

    /** One Compute Engine API request and how it ended ({@code ok} or an error reason). */
    public void apiCall(String method, String outcome) {
        apiCalls.labelValues(method, outcome).inc();
    }

    public void apiRetry(String method) {
        apiRetries.labelValues(method).inc();
    }

    public void rateLimitWait(Duration waited) {
        rateLimitWaitSeconds.inc(waited.toNanos() / 1e9);
    }

    public void operationWait(String operationType, Duration waited) {
        operationWait.labelValues(operationType).observe(waited.toNanos() / 1e9);
    }

    /** One node-side operation ({@code mount}, {@code format}, {@code resize}, ...) and whether it failed. */
    public void nodeOperation(String operation, boolean ok, Duration took) {
        nodeOps.labelValues(operation, ok ? "ok" : "error").inc();
        nodeOpDuration.labelValues(operation).observe(took.toNanos() / 1e9);
    }

    /** The metrics in Prometheus text format, as the endpoint serves them. */
    public String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Total Compute Engine API requests sent for a method, for benchmarks and tests. */
    public double apiCallCount(String method) {
        return apiCalls.collect().getDataPoints().stream()
                .filter(p -> p.getLabels().get("method").equals(method))
                .mapToDouble(p -> p.getValue()).sum();
    }
}
