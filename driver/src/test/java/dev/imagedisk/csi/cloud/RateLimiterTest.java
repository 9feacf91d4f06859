package dev.imagedisk.csi.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /** A clock that stands still while many threads reserve; their sleeps are recorded, not slept. */
    static final class FrozenClock implements RateLimiter.Clock {
        final long now = 5_000_000_000L;
        final List<Long> sleeps = Collections.synchronizedList(new ArrayList<>());

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void sleepNanos(long nanos) {
            sleeps.add(nanos);
        }
    }

    @Test
    void sustainedRateHoldsUnderManyThreadsAndServesThemInTurn() throws Exception {
        FrozenClock clock = new FrozenClock();
        RateLimiter limiter = new RateLimiter(200, 200, clock); // 5 ms apart, burst 200
        int threads = 100;
        int perThread = 4;
        CountDownLatch start = new CountDownLatch(1);
        List<Long> maxWaits = Collections.synchronizedList(new ArrayList<>());
        List<Long> allWaits = Collections.synchronizedList(new ArrayList<>());
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                long worst = 0;
                try {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        long w = limiter.acquire().toNanos();
                        allWaits.add(w);
                        worst = Math.max(worst, w);
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
            th.join(30_000);
            assertFalse(th.isAlive(), "a caller hung");
        }
        assertEquals(threads, maxWaits.size());
        // 400 requests at 200/s with a burst of 200, all asked at one instant: the burst goes at once and the
        // other 200 get distinct slots 5 ms apart, the last one 1 s out: the rate held, whatever the interleaving
        List<Long> waits = new ArrayList<>(allWaits);
        Collections.sort(waits);
        List<Long> expected = new ArrayList<>();
        for (int k = 0; k < threads * perThread; k++) {
            expected.add(Math.max(0, k - 199) * 5_000_000L);
        }
        assertEquals(expected, waits);
        // every wait was slept on the clock, not on the wall
        List<Long> slept = new ArrayList<>(clock.sleeps);
        Collections.sort(slept);
        assertEquals(expected.subList(200, 400), slept);
        // no caller waits longer than the whole backlog takes
        assertEquals(1_000_000_000L, (long) Collections.max(maxWaits));
    }

    @Test
    void rejectsNonsense() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> RateLimiter.perSecond(0));
        assertThrows(IllegalArgumentException.class, () -> RateLimiter.perSecond(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new RateLimiter(1, 0, RateLimiter.Clock.SYSTEM));
        assertEquals(Duration.ZERO, RateLimiter.perSecond(1).acquire());
    }
}
