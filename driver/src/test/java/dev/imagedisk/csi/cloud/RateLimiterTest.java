package dev.imagedisk.csi.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    /** A clock that only moves when a caller sleeps. */
    static final class FakeClock implements RateLimiter.Clock {
        final AtomicLong now = new AtomicLong(1_000_000_000L);

        @Override
        public long nanoTime() {
            return now.get();
        }

        @Override
        public void sleepNanos(long nanos) {
            now.addAndGet(nanos);
        }
    }

    @Test
    void burstGoesAtOnceThenOnePerInterval() {
        FakeClock clock = new FakeClock();
        RateLimiter limiter = new RateLimiter(10, 3, clock);
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            waits.add(limiter.reserve());
        }
        // three slots free at once, then 100 ms apart
        assertEquals(
                List.of(0L, 0L, 0L),
                waits.subList(0, 3).stream().map(w -> Math.max(0, w)).toList());
        assertEquals(100_000_000L, waits.get(3));
        assertEquals(200_000_000L, waits.get(4));
        assertEquals(300_000_000L, waits.get(5));
    }

    @Test
    void quietPeriodRefillsOnlyUpToTheBurst() {
        FakeClock clock = new FakeClock();
        RateLimiter limiter = new RateLimiter(10, 2, clock);
        clock.now.addAndGet(TimeUnit.SECONDS.toNanos(60));
        assertTrue(limiter.reserve() <= 0);
        assertTrue(limiter.reserve() <= 0);
        assertEquals(100_000_000L, limiter.reserve());
    }

    @Test
    void sustainedRateHoldsUnderManyThreadsAndServesThemInTurn() throws Exception {
        RateLimiter limiter = RateLimiter.perSecond(200); // burst 200
        int threads = 100;
        int perThread = 4;
        CountDownLatch start = new CountDownLatch(1);
        List<Long> maxWaits = Collections.synchronizedList(new ArrayList<>());
        List<Thread> all = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                long worst = 0;
                try {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        worst = Math.max(worst, limiter.acquire().toMillis());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                maxWaits.add(worst);
            });
            th.start();
            all.add(th);
        }
        start.countDown();
        for (Thread th : all) {
            th.join(10_000);
        }
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        // 400 requests at 200/s with a burst of 200: about 1 s, never much less
        assertTrue(elapsedMs >= 900, "rate held: " + elapsedMs + " ms");
        assertEquals(threads, maxWaits.size());
        // fair: no thread waits much longer than the whole backlog takes
        long worst = Collections.max(maxWaits);
        assertTrue(worst <= 1_200, "no caller starves: worst single wait " + worst + " ms");
    }

    @Test
    void rejectsNonsense() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> RateLimiter.perSecond(0));
        assertThrows(IllegalArgumentException.class, () -> RateLimiter.perSecond(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new RateLimiter(1, 0, RateLimiter.Clock.SYSTEM));
        assertEquals(Duration.ZERO, RateLimiter.perSecond(1).acquire());
    }
}
