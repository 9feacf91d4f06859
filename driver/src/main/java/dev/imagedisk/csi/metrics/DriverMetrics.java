package dev.imagedisk.csi.metrics;

import java.time.Duration;
import java.util.List;

/**
 * The driver's Prometheus metrics, one set per plugin: CSI calls, Compute Engine API calls and operation waits on
 * the controller, and mount/format/resize runs on the node. Written in the Prometheus text format by
 * {@link MetricFamily} (no client library: see docs/performance.md, B4).
 */
public final class DriverMetrics {
    private static final double[] RPC_BUCKETS = {
        0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300
    };

    private final MetricFamily csiCalls;
    private final MetricFamily csiDuration;
    private final MetricFamily csiInFlight;
    private final MetricFamily apiCalls;
    private final MetricFamily apiRetries;
    private final MetricFamily rateLimitWaitSeconds;
    private final MetricFamily operationWait;
    private final MetricFamily nodeOps;
    private final MetricFamily nodeOpDuration;
    private final List<MetricFamily> all;

    public DriverMetrics() {
        csiCalls = MetricFamily.counter(
                "imagedisk_csi_calls_total", "CSI calls answered, by method and gRPC status code", "method", "code");
        csiDuration = MetricFamily.histogram(
                "imagedisk_csi_call_duration_seconds", "CSI call latency by method", RPC_BUCKETS, "method");
        csiInFlight =
                MetricFamily.gauge("imagedisk_csi_calls_in_flight", "CSI calls being served now, by method", "method");
        apiCalls = MetricFamily.counter(
                "imagedisk_compute_api_calls_total",
                "Compute Engine API requests sent, by method (e.g. disks.insert) and outcome"
                        + " (ok, or the error reason)",
                "method",
                "outcome");
        apiRetries = MetricFamily.counter(
                "imagedisk_compute_api_retries_total",
                "Compute Engine API requests retried after a rate-limit or quota answer, by method",
                "method");
        rateLimitWaitSeconds = MetricFamily.counter(
                "imagedisk_compute_rate_limit_wait_seconds_total",
                "Time callers spent waiting for the client-side API rate limit");
        operationWait = MetricFamily.histogram(
                "imagedisk_compute_operation_wait_seconds",
                "Time the driver waited for a Compute Engine operation to be DONE, by operation type",
                RPC_BUCKETS,
                "operation");
        nodeOps = MetricFamily.counter(
                "imagedisk_node_operations_total",
                "Node-side filesystem and mount operations (mount, bind, unmount, format, fsck, resize),"
                        + " by operation and outcome",
                "operation",
                "outcome");
        nodeOpDuration = MetricFamily.histogram(
                "imagedisk_node_operation_duration_seconds", "Node-side operation latency", RPC_BUCKETS, "operation");
        // in the order the Prometheus client wrote them: by name, a counter's without its _total
        all = List.of(
                apiCalls,
                apiRetries,
                operationWait,
                rateLimitWaitSeconds,
                csiDuration,
                csiCalls,
                csiInFlight,
                nodeOpDuration,
                nodeOps);
    }

    public void csiCallStarted(String method) {
        csiInFlight.labels(method).inc(1);
    }

    /** A CSI call ended with {@code code} (a gRPC status code name such as {@code OK}). */
    public void csiCallFinished(String method, String code, long nanos) {
        csiInFlight.labels(method).inc(-1);
        csiCalls.labels(method, code).inc(1);
        csiDuration.labels(method).observe(nanos / 1e9);
    }

    /** One Compute Engine API request and how it ended ({@code ok} or an error reason). */
    public void apiCall(String method, String outcome) {
        apiCalls.labels(method, outcome).inc(1);
    }

    public void apiRetry(String method) {
        apiRetries.labels(method).inc(1);
    }

    public void rateLimitWait(Duration waited) {
        rateLimitWaitSeconds.labels().inc(waited.toNanos() / 1e9);
    }

    public void operationWait(String operationType, Duration waited) {
        operationWait.labels(operationType).observe(waited.toNanos() / 1e9);
    }

    /** One node-side operation ({@code mount}, {@code format}, {@code resize}, ...) and whether it failed. */
    public void nodeOperation(String operation, boolean ok, Duration took) {
        nodeOps.labels(operation, ok ? "ok" : "error").inc(1);
        nodeOpDuration.labels(operation).observe(took.toNanos() / 1e9);
    }

    /** The metrics in Prometheus text format (0.0.4), as the endpoint serves them, sorted by name. */
    public String scrape() {
        StringBuilder out = new StringBuilder(4096);
        for (MetricFamily f : all) {
            f.write(out);
        }
        return out.toString();
    }

    /** Total Compute Engine API requests sent for a method, for benchmarks and tests. */
    public double apiCallCount(String method) {
        return apiCalls.sum("method", method);
    }
}
