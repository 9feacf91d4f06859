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
        RateLimiterTest.FakeClock clock = new RateLimiterTest.FakeClock();
        WindowLimiter limiter = new WindowLimiter(3, Duration.ofMillis(300), clock);
        for (int i = 0; i < 3; i++) {
            assertEquals(Duration.ZERO, limiter.acquire(), "a full burst goes at once");
        }
        assertEquals(3, limiter.busy());
        for (int i = 0; i < 3; i++) {
            limiter.answered(true);
        }
        clock.sleepNanos(Duration.ofMillis(299).toNanos());
        assertEquals(3, limiter.busy(), "the permits stay taken until a window after the answers");
        clock.sleepNanos(Duration.ofMillis(1).toNanos());
        assertEquals(0, limiter.busy());
        assertEquals(Duration.ZERO, limiter.acquire());
    }

    @Test
    void aRefusedRequestGivesItsPermitBackAtOnce() throws Exception {
        RateLimiterTest.FakeClock clock = new RateLimiterTest.FakeClock();
        WindowLimiter limiter = new WindowLimiter(1, Duration.ofSeconds(10), clock);
        limiter.acquire();
        limiter.answered(false); // refused for its rate: not counted by the server
        assertEquals(0, limiter.busy());
        assertEquals(Duration.ZERO, limiter.acquire(), "no window wait after a refusal");
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
        for (int i = 0; i < 20; i++) {
            limiter.acquire();
        }
        assertEquals(20, limiter.busy(), "the first 20 went, none of them answered yet");
        assertThrows(IllegalArgumentException.class, () -> WindowLimiter.perSecond(0));
        assertThrows(
                IllegalArgumentException.class,
                () -> new WindowLimiter(0, Duration.ofSeconds(1), RateLimiter.Clock.SYSTEM));
    }

    @Test
    void budgetsSendEachMethodToItsGroup() {
        ApiLimiter w = () -> Duration.ZERO;
        ApiLimiter r = () -> Duration.ZERO;
        ApiLimiter o = () -> Duration.ZERO;
        ApiBudgets b = new ApiBudgets(w, r, o, ApiLimiter.NONE);
        for (String m : List.of(
                "disks.insert", "disks.delete", "disks.resize", "instances.attachDisk", "instances.detachDisk")) {
            assertSame(w, b.forMethod(m), m);
        }
        for (String m : List.of(
                "disks.get",
                "instances.get",
                "images.get",
                "images.getFromFamily",
                "disks.list",
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
        WindowLimiter writes = (WindowLimiter) b.writes();
        assertEquals(0, writes.busy(), "reads took no write permit");
        for (int i = 0; i < 5; i++) {
            b.acquire("disks.insert");
        }
        assertEquals(5, writes.busy(), "five writes within the write burst went");
    }
}
