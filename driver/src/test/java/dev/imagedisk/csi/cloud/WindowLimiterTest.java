package dev.imagedisk.csi.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WindowLimiterTest {
    @Test
    void fullBurstThenNothingUntilAWindowAfterTheAnswers() throws Exception {
        WindowLimiter limiter = new WindowLimiter(3, Duration.ofMillis(300), RateLimiter.Clock.SYSTEM);
        long t0 = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            limiter.acquire();
        }
        assertTrue(System.nanoTime() - t0 < 100_000_000L, "a full burst goes at once");
        for (int i = 0; i < 3; i++) {
            limiter.answered(true);
        }
        long answered = System.nanoTime();
        limiter.acquire();
        long waited = System.nanoTime() - answered;
        assertTrue(waited >= 290_000_000L && waited < 600_000_000L, "the fourth waits a window after the answers: "
                + waited / 1_000_000 + " ms");
    }

    @Test
    void aRefusedRequestGivesItsPermitBackAtOnce() throws Exception {
        WindowLimiter limiter = new WindowLimiter(1, Duration.ofSeconds(10), RateLimiter.Clock.SYSTEM);
        limiter.acquire();
        limiter.answered(false); // refused for its rate: not counted by the server
        long t0 = System.nanoTime();
        limiter.acquire();
        assertTrue(System.nanoTime() - t0 < 100_000_000L, "no window wait after a refusal");
        limiter.answered(true);
        assertEquals(1, limiter.busy());
    }

    /**
     * Many threads, random transit delays: the server-side arrival times never put more than n requests into
     * one window, and the budget is used (the run takes about requests / n windows).
     */
    @Test
    void neverMoreThanNArrivalsInAnyWindowUnderLoad() throws Exception {
        int n = 5;
        long window = 100_000_000L;
        WindowLimiter limiter = new WindowLimiter(n, Duration.ofNanos(window), RateLimiter.Clock.SYSTEM);
        List<Long> arrivals = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(20);
        java.util.Random random = new java.util.Random(1);
        int requests = 60;
        long t0 = System.nanoTime();
        List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            long before = random.nextInt(20) * 1_000_000L;
            long after = random.nextInt(20) * 1_000_000L;
            fs.add(pool.submit(() -> {
                limiter.acquire();
                java.util.concurrent.TimeUnit.NANOSECONDS.sleep(before); // on its way
                arrivals.add(System.nanoTime());
                java.util.concurrent.TimeUnit.NANOSECONDS.sleep(after); // the answer on its way back
                limiter.answered(true);
                return null;
            }));
        }
        for (java.util.concurrent.Future<?> f : fs) {
            f.get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        pool.shutdown();
        long span = System.nanoTime() - t0;
        List<Long> sorted = new ArrayList<>(arrivals);
        java.util.Collections.sort(sorted);
        for (int i = 0; i + n < sorted.size(); i++) {
            assertTrue(sorted.get(i + n) - sorted.get(i) > window, (n + 1) + " arrivals within one window at " + i);
        }
        // 60 requests at 5 per 100 ms window (+ up to 40 ms round trip): well under 2 s
        assertTrue(span < 2_000_000_000L, span / 1_000_000 + " ms");
    }

    @Test
    void perSecondMeansAtMostNInAnySecond() throws Exception {
        WindowLimiter limiter = WindowLimiter.perSecond(20);
        long t0 = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            limiter.acquire();
        }
        assertTrue(System.nanoTime() - t0 < 100_000_000L, "the first 20 go at once");
        assertEquals(20, limiter.busy());
        assertThrows(IllegalArgumentException.class, () -> WindowLimiter.perSecond(0));
        assertThrows(IllegalArgumentException.class, () -> new WindowLimiter(0, Duration.ofSeconds(1),
                RateLimiter.Clock.SYSTEM));
    }

    @Test
    void budgetsSendEachMethodToItsGroup() {
        ApiLimiter w = () -> Duration.ZERO;
        ApiLimiter r = () -> Duration.ZERO;
        ApiLimiter o = () -> Duration.ZERO;
        ApiBudgets b = new ApiBudgets(w, r, o, ApiLimiter.NONE);
        for (String m : List.of("disks.insert", "disks.delete", "disks.resize", "instances.attachDisk",
                "instances.detachDisk")) {
            assertSame(w, b.forMethod(m), m);
        }
        for (String m : List.of("disks.get", "instances.get", "images.get", "images.getFromFamily", "disks.list",
                "disks.aggregatedList")) {
            assertSame(r, b.forMethod(m), m);
        }
        assertSame(o, b.forMethod("zoneOperations.wait"));
        assertSame(o, b.forMethod("zoneOperations.get"));
    }

    /** Reads and operation waits do not eat into the write budget (the old single limiter made them). */
    @Test
    void readsDoNotDelayWrites() throws Exception {
        ApiBudgets b = ApiBudgets.of(5, 1000, null);
        for (int i = 0; i < 200; i++) {
            b.acquire("disks.get");
            b.acquire("zoneOperations.wait");
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            b.acquire("disks.insert");
        }
        assertTrue(System.nanoTime() - t0 < 200_000_000L, "five writes within the write burst go at once");
    }
}
