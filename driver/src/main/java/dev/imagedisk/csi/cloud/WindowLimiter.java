package dev.imagedisk.csi.cloud;

import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * At most {@code n} requests reach Compute Engine in any window of {@code window}: the rule its rate quotas
 * (and the emulator's rate limit) enforce, so requests paced by it are not refused for their rate. A request
 * holds one of {@code n} permits from the moment it may be sent until one window after it was answered; as
 * it reached the server somewhere in between, no window at the server can hold more than {@code n} of them,
 * whatever the transit or scheduling delays, with no safety margin. A request refused for its rate was not
 * counted by the server and gives its permit back at once, so refusals do not spend the budget. A full
 * burst of {@code n} goes at once after a quiet window; callers are served in arrival order.
 */
public final class WindowLimiter implements ApiLimiter {
    private final int n;
    private final long windowNanos;
    private final RateLimiter.Clock clock;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final Condition changed = lock.newCondition();
    /** When the permits of answered requests come free. */
    private final PriorityQueue<Long> freeAt = new PriorityQueue<>();

    private int inFlight;
    private long nextTicket;
    private long serving;

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
        this.n = n;
        this.windowNanos = window.toNanos();
        this.clock = clock;
    }

    /**
     * {@code perSecond} requests per second as "at most N in any window of N / perSecond seconds", N the rate
     * rounded up (at least 1): 20 means at most 20 in any second.
     */
    public static WindowLimiter perSecond(double perSecond) {
        if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("rate must be a positive number: " + perSecond);
        }
        int n = (int) Math.max(1, Math.min(100_000, Math.ceil(perSecond)));
        return new WindowLimiter(n, Duration.ofNanos((long) (n * 1e9 / perSecond)), RateLimiter.Clock.SYSTEM);
    }

    @Override
    public Duration acquire() throws InterruptedException {
        long start = clock.nanoTime();
        lock.lock();
        try {
            long ticket = nextTicket++;
            try {
                while (true) {
                    long now = clock.nanoTime();
                    while (!freeAt.isEmpty() && freeAt.peek() <= now) {
                        freeAt.poll();
                    }
                    if (ticket == serving && inFlight + freeAt.size() < n) {
                        serving++;
                        inFlight++;
                        changed.signalAll();
                        return Duration.ofNanos(clock.nanoTime() - start);
                    }
                    if (ticket == serving && !freeAt.isEmpty()) {
                        // the head waits for the earliest permit to come free (or for an answer, or a refund)
                        changed.awaitNanos(Math.max(1, freeAt.peek() - now));
                    } else {
                        changed.await(1, TimeUnit.SECONDS);
                    }
                }
            } catch (InterruptedException e) {
                // give the turn on, so the callers behind this one are not stuck
                if (ticket == serving) {
                    serving++;
                } else {
                    skipped.add(ticket);
                }
                changed.signalAll();
                throw e;
            } finally {
                while (skipped.remove(serving)) {
                    serving++;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private final java.util.Set<Long> skipped = new java.util.HashSet<>();

    @Override
    public void answered(boolean counted) {
        lock.lock();
        try {
            if (inFlight > 0) {
                inFlight--;
            }
            if (counted) {
                freeAt.add(clock.nanoTime() + windowNanos);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Permits taken or not yet free again, for tests. */
    int busy() {
        lock.lock();
        try {
            long now = clock.nanoTime();
            return inFlight + (int) freeAt.stream().filter(t -> t > now).count();
        } finally {
            lock.unlock();
        }
    }
}
