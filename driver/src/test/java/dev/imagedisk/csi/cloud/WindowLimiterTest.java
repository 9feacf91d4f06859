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
    private static final long SECOND = 1_000_000_000L;

    @Test
    void fullBurstThenNothingUntilTheWindowHasPassed() {
        RateLimiterTest.FakeClock clock = new RateLimiterTest.FakeClock();
        WindowLimiter limiter = new WindowLimiter(3, Duration.ofSeconds(1), clock);
        assertEquals(0, limiter.reserve());
        assertEquals(0, limiter.reserve());
        assertEquals(0, limiter.reserve());
        // the fourth goes one window after the first, the fifth one window after the second
        assertEquals(SECOND, limiter.reserve());
        assertEquals(SECOND, limiter.reserve());
    }

    /** Whatever the arrival pattern, no window of its length ever holds more than n reservations. */
    @Test
    void neverMoreThanNInAnyWindowUnderSustainedLoad() throws Exception {
        RateLimiterTest.FakeClock clock = new RateLimiterTest.FakeClock();
        WindowLimiter limiter = new WindowLimiter(20, Duration.ofSeconds(1), clock);
        List<Long> slots = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            if (i % 7 == 0) {
                clock.now.addAndGet(13_000_000L); // callers arrive unevenly
            }
            slots.add(clock.nanoTime() + limiter.reserve());
        }
        for (int i = 0; i + 20 < slots.size(); i++) {
            assertTrue(slots.get(i + 20) - slots.get(i) >= SECOND, "21 requests within one second at " + i);
        }
        // and the budget is used: 500 requests take about 500 / 20 = 25 windows, not more
        long span = slots.get(slots.size() - 1) - slots.get(0);
        assertTrue(span <= 25 * SECOND, span + " ns for 500 requests at 20 per second");
    }

    @Test
    void perSecondWidensTheWindowByTheMargin() {
        WindowLimiter limiter = WindowLimiter.perSecond(20, Duration.ofMillis(50));
        for (int i = 0; i < 20; i++) {
            assertTrue(limiter.reserve() <= 0, "the first 20 go at once");
        }
        long wait = limiter.reserve();
        assertTrue(wait > 1_000_000_000L && wait <= 1_050_000_000L, wait + " ns");
        assertThrows(IllegalArgumentException.class, () -> WindowLimiter.perSecond(0, Duration.ZERO));
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
