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
     * Random transit delays, on a fake clock: the server-side arrival times never put more than n requests into
     * one window, and the budget is used (the run takes about requests / n windows of fake time). Each request
     * is sent as soon as {@code busy()} shows a free permit, and then its acquire must not wait.
     */
    @Test
    @org.junit.jupiter.api.Timeout(30) // against a hang only: the time asserted on is the fake clock's
    void neverMoreThanNArrivalsInAnyWindowUnderLoad() throws Exception {
        int n = 5;
        long window = 100_000_000L;
        long maxTransit = 19_000_000L;
        RateLimiterTest.FakeClock clock = new RateLimiterTest.FakeClock();
        WindowLimiter limiter = new WindowLimiter(n, Duration.ofNanos(window), clock);
        java.util.Random random = new java.util.Random(1);
        int requests = 60;
        long t0 = clock.nanoTime();
        List<Long> arrivals = new ArrayList<>();
        // pending events: {time, kind}, kind 0 = arrival at the server, 1 = answer back at the caller
        java.util.PriorityQueue<long[]> events = new java.util.PriorityQueue<>(
                java.util.Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
        int sent = 0;
        while (sent < requests || !events.isEmpty()) {
            while (sent < requests && limiter.busy() < n) {
                assertEquals(Duration.ZERO, limiter.acquire(), "a free permit is given at once");
                long now = clock.nanoTime();
                long before = random.nextInt(20) * 1_000_000L;
                long after = random.nextInt(20) * 1_000_000L;
                events.add(new long[] {now + before, 0});
                events.add(new long[] {now + before + after, 1});
                sent++;
            }
            long[] next = events.poll();
            if (next == null) {
                // permits still held by answered requests: move to when the first comes free
                clock.sleepNanos(1_000_000L);
                continue;
            }
            clock.sleepNanos(Math.max(0, next[0] - clock.nanoTime()));
            if (next[1] == 0) {
                arrivals.add(next[0]);
            } else {
                limiter.answered(true);
            }
        }
        assertEquals(requests, arrivals.size());
        List<Long> sorted = new ArrayList<>(arrivals);
        java.util.Collections.sort(sorted);
        for (int i = 0; i + n < sorted.size(); i++) {
            assertTrue(sorted.get(i + n) - sorted.get(i) > window, (n + 1) + " arrivals within one window at " + i);
        }
        // the budget is used: 12 rounds of 5, each at most a round trip plus a window (+ the 1 ms steps)
        long span = clock.nanoTime() - t0;
        long bound = (requests / n) * (2 * maxTransit + window + 1_000_000L);
        assertTrue(span <= bound, span / 1_000_000 + " ms of fake time, bound " + bound / 1_000_000);
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
