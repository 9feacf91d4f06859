package dev.imagedisk.csi.cloud;

import dev.imagedisk.csi.common.ReadinessCheck;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Probe's view of Compute Engine: ready when a cheap API call succeeded recently. The answer is cached
 * (a success for {@code okFor}, a failure for {@code failedFor}); a stale answer is still returned at once
 * while one background check refreshes it, so Probe never waits on the network after the first call.
 */
public final class CloudReadiness implements ReadinessCheck {
    private record State(String reason, long checkedAt) {}

    private final ComputeCloud cloud;
    private final long okForNanos;
    private final long failedForNanos;
    private final Executor executor;
    private final LongSupplier clock;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private volatile State state;

    public CloudReadiness(
            ComputeCloud cloud, Duration okFor, Duration failedFor, Executor executor, LongSupplier nanoClock) {
        this.cloud = cloud;
        this.okForNanos = okFor.toNanos();
        this.failedForNanos = failedFor.toNanos();
        this.executor = executor;
        this.clock = nanoClock;
    }

    public CloudReadiness(ComputeCloud cloud) {
        this(
                cloud,
                Duration.ofSeconds(60),
                Duration.ofSeconds(5),
                r -> {
                    Thread t = new Thread(r, "cloud-readiness");
                    t.setDaemon(true);
                    t.start();
                },
                System::nanoTime);
    }

    @Override
    public String name() {
        return "compute-engine";
    }

    @Override
    public String notReadyReason() {
        State s = state;
        if (s == null) {
            return check();
        }
        long age = clock.getAsLong() - s.checkedAt();
        if (age > (s.reason() == null ? okForNanos : failedForNanos) && refreshing.compareAndSet(false, true)) {
            try {
                executor.execute(() -> {
                    try {
                        check();
                    } finally {
                        refreshing.set(false);
                    }
                });
            } catch (RuntimeException e) {
                refreshing.set(false);
            }
        }
        return s.reason();
    }

    private String check() {
        String reason;
        try {
            cloud.checkAccess();
            reason = null;
        } catch (CloudException e) {
            reason = "Compute Engine API not usable: " + e.getMessage();
        } catch (RuntimeException e) {
            reason = "Compute Engine API not usable: " + e;
        }
        state = new State(reason, clock.getAsLong());
        return reason;
    }
}
