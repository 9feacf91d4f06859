package dev.imagedisk.csi.cloud.gce;

import dev.imagedisk.csi.cloud.ApiBudgets;
import dev.imagedisk.csi.cloud.Backoff;
import dev.imagedisk.csi.cloud.CloudCallObserver;
import dev.imagedisk.csi.cloud.RateLimiter;
import java.time.Duration;

/**
 * The real adapter as tests build it against the emulator: a generous rate limit and short rate-limit backoffs. The
 * caller closes it (its threads) before its clients.
 */
public final class EmulatorClouds {
    /** Rate-limit retries of the adapter built here. */
    public static final int RETRIES = 2;

    private EmulatorClouds() {}

    public static GoogleComputeCloud google(
            ComputeClients clients, String project, String zone, Duration operationTimeout) {
        return google(clients, project, zone, operationTimeout, System::nanoTime);
    }

    /** As above, the operation timeout measured on {@code nanos} (a fake clock). */
    static GoogleComputeCloud google(
            ComputeClients clients,
            String project,
            String zone,
            Duration operationTimeout,
            java.util.function.LongSupplier nanos) {
        return new GoogleComputeCloud(
                clients,
                project,
                zone,
                ApiBudgets.single(RateLimiter.perSecond(1000)),
                new Backoff(RETRIES, Duration.ofMillis(5), Duration.ofMillis(20)),
                operationTimeout,
                ComputeClients.WAIT_CALL_TIMEOUT,
                CloudCallObserver.NONE,
                nanos,
                null);
    }
}
