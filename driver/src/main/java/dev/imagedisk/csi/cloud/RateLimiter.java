package dev.imagedisk.csi.cloud;

import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A token bucket that callers wait on before each Compute Engine request, so a burst of volumes does
 * not spend the project's API quota. Each caller reserves the next free slot under a fair lock and
 * then sleeps until it, outside the lock: callers are served in arrival order, none starves, and the
 * lock is held only for a few arithmetic steps whatever the number of callers.
 */
public final class RateLimiter implements ApiLimiter {
    /** Time source and sleep, replaceable in tests. */
    public interface Clock {
        long nanoTime();

        void sleepNanos(long nanos) throws InterruptedException;

        Clock SYSTEM = new Clock() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void sleepNanos(long nanos) throws InterruptedException {
                java.util.concurrent.TimeUnit.NANOSECONDS.sleep(nanos);
            }
        };
    }

    private final long intervalNanos;
    private final long burstNanos;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock(true);
    /** The earliest time the next request may go; lags behind "now" by at most the burst. */
    private long nextFree;

    /**
     * @param perSecond sustained requests per second (> 0)
     * @param burst requests that may go at once after a quiet period (>= 1)
     */
    public RateLimiter(double perSecond, int burst, Clock clock) {
        if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("rate must be a positive number: " + perSecond);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst must be at least 1: " + burst);
        }
        this.intervalNanos = Math.max(1, (long) (1e9 / perSecond));
        this.burstNanos = intervalNanos * (burst - 1);
        this.clock = clock;
        this.nextFree = clock.nanoTime() - burstNanos;
    }

    /** A limiter with a burst of one second's worth of requests. */
    public static RateLimiter perSecond(double perSecond) {
        return new RateLimiter(
                perSecond, (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.ceil(perSecond))), Clock.SYSTEM);
    }

    /** Takes a slot, sleeping until it comes; returns how long it waited. */
    @Override
    public Duration acquire() throws InterruptedException {
        long wait = reserve();
        if (wait > 0) {
            clock.sleepNanos(wait);
        }
        return Duration.ofNanos(Math.max(0, wait));
    }

    /** Reserves the next slot and returns the nanoseconds until it. */
    long reserve() {
        lock.lock();
        try {
            long now = clock.nanoTime();
            long slot = Math.max(nextFree, now - burstNanos);
            nextFree = slot + intervalNanos;
            return slot - now;
        } finally {
            lock.unlock();
        }
    }
}
