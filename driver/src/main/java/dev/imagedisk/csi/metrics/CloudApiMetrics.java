package dev.imagedisk.csi.metrics;

import dev.imagedisk.csi.cloud.CloudCallObserver;
import java.time.Duration;

/** Records the controller's Compute Engine API traffic in the driver's metrics. */
public final class CloudApiMetrics implements CloudCallObserver {
    private final DriverMetrics metrics;

    public CloudApiMetrics(DriverMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void request(String method, String outcome) {
        metrics.apiCall(method, outcome);
    }

    @Override
    public void retry(String method) {
        metrics.apiRetry(method);
    }

    @Override
    public void rateLimitWait(Duration waited) {
        metrics.rateLimitWait(waited);
    }

    @Override
    public void operationDone(String operationType, Duration took) {
        metrics.operationWait(operationType, took);
    }
}
