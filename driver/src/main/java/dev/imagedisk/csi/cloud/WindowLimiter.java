package dev.imagedisk.csi.cloud;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * At most {@code n} requests in any window of {@code window}: the rule Compute Engine's rate quotas (and the
 * emulator's rate limit) enforce, so requests paced by it are not refused for their rate. Unlike a token
 * bucket, whose burst plus refill can put more than {@code n} requests into one window, it remembers when
 * each of the last {@code n} requests was sent: request {@code k} goes no earlier than one window after
 * request {@code k - n}. A full burst of {@code n} goes at once after a quiet window.
 *
 * <p>Callers reserve their slot under a fair lock and sleep outside it: they are served in arrival order and
 * the lock is held for a few arithmetic steps whatever the number of callers.
 */
public final class WindowLimiter implements ApiLimiter {
    private final long windowNanos;
    private final long[] sent;
    private final RateLimiter.Clock clock;
    private final ReentrantLock lock = new ReentrantLock(true);
    private int oldest;

    /**
     * @param n requests per window (>= 1)
     * @param window the window (> 0)
     */
    public WindowLimiter(int n, Duration window, RateLimiter.Clock clock) {
        if (n < 1) {
            throw new IllegalArgumentException("requests per window must be at least 1: " + n);
        }
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window must be positive: " + window);
        }
        this.windowNanos = window.toNanos();
        this.sent = new long[n];
        this.clock = clock;
        Arrays.fill(sent, clock.nanoTime() - windowNanos);
    }

    /**
     * {@code perSecond} requests per second as "at most N in any window of N / perSecond seconds" (N the rate
     * rounded up, at least 1), the window widened by {@code margin} so that requests whose transit times
     * differ by up to that much still arrive at most N to a window.
     */
    public static WindowLimiter perSecond(double perSecond, Duration margin) {
        if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("rate must be a positive number: " + perSecond);
        }
        int n = (int) Math.max(1, Math.min(100_000, Math.ceil(perSecond)));
        long window = (long) (n * 1e9 / perSecond) + margin.toNanos();
        return new WindowLimiter(n, Duration.ofNanos(window), RateLimiter.Clock.SYSTEM);
    }

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
            long slot = Math.max(now, sent[oldest] + windowNanos);
            sent[oldest] = slot;
            oldest = (oldest + 1) % sent.length;
            return slot - now;
        } finally {
            lock.unlock();
        }
    }
}
