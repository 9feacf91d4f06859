package dev.imagedisk.csi.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The call token: its deadline on an injected clock, and cancellation interrupting the thread it bounds. */
class CallDeadlineTest {
    private final AtomicLong now = new AtomicLong(5_000_000_000L);

    @Test
    void deadlineOnTheClock() {
        CallDeadline call = new CallDeadline(now.get() + Duration.ofSeconds(2).toNanos(), now::get);
        assertEquals(CallDeadline.Stop.NONE, call.stopped());
        assertEquals(Duration.ofSeconds(2), call.remaining(Duration.ofMinutes(1)));
        assertEquals(Duration.ofSeconds(1), call.remaining(Duration.ofSeconds(1)), "capped");
        now.addAndGet(Duration.ofMillis(1500).toNanos());
        assertEquals(Duration.ofMillis(500), call.remaining(Duration.ofMinutes(1)));
        now.addAndGet(Duration.ofMillis(500).toNanos());
        assertEquals(CallDeadline.Stop.DEADLINE, call.stopped());
        assertEquals(Duration.ZERO, call.remaining(Duration.ofMinutes(1)));
    }

    @Test
    void noDeadlineOutsideACall() {
        assertSame(CallDeadline.NONE, CallDeadline.current());
        assertEquals(Duration.ofSeconds(7), CallDeadline.current().remaining(Duration.ofSeconds(7)));
        assertFalse(CallDeadline.NONE.hasDeadline());
    }

    @Test
    void withinMakesTheTokenCurrentAndRestoresTheOuterOne() {
        CallDeadline outer = CallDeadline.after(Duration.ofSeconds(10));
        CallDeadline inner = CallDeadline.after(Duration.ofSeconds(1));
        CallDeadline.within(outer, () -> {
            assertSame(outer, CallDeadline.current());
            CallDeadline.within(inner, () -> {
                assertSame(inner, CallDeadline.current());
                return null;
            });
            assertSame(outer, CallDeadline.current());
            return null;
        });
        assertSame(CallDeadline.NONE, CallDeadline.current());
    }

    @Test
    void cancellingInterruptsTheBodyAndLeavesTheThreadClean() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            CallDeadline call = CallDeadline.after(null);
            CountDownLatch sleeping = new CountDownLatch(1);
            Future<CallDeadline.Stop> body = pool.submit(() -> CallDeadline.within(call, () -> {
                sleeping.countDown();
                try {
                    Thread.sleep(TimeUnit.MINUTES.toMillis(10));
                    return CallDeadline.Stop.NONE;
                } catch (InterruptedException e) {
                    return CallDeadline.current().stopped();
                }
            }));
            assertTrue(sleeping.await(10, TimeUnit.SECONDS));
            call.cancel(CallDeadline.Stop.CANCELLED);
            assertEquals(CallDeadline.Stop.CANCELLED, body.get(10, TimeUnit.SECONDS));
            assertFalse(
                    pool.submit(() -> Thread.currentThread().isInterrupted()).get(10, TimeUnit.SECONDS),
                    "the pool thread's interrupt was cleared");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aBodyStartedAfterTheCancellationSeesItAtOnce() {
        CallDeadline call = CallDeadline.after(null);
        call.cancel(CallDeadline.Stop.DEADLINE);
        assertTrue(CallDeadline.within(call, () -> Thread.currentThread().isInterrupted()));
        assertEquals(CallDeadline.Stop.DEADLINE, call.stopped());
        assertFalse(Thread.currentThread().isInterrupted(), "cleared on the way out");
    }
}
