package dev.imagedisk.csi.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.cloud.CloudException.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetrierTest {
    private final List<Duration> slept = new ArrayList<>();

    private Retrier retrier(int retries) {
        return new Retrier(
                new Backoff(retries, Duration.ofMillis(100), Duration.ofMillis(400), () -> 1.0),
                (delay, step) -> { // the timer, at once: the delays are recorded, not waited for
                    if (!delay.isZero()) { // a step handed to a step thread is not a backoff
                        slept.add(delay);
                    }
                    step.run();
                },
                CloudCallObserver.NONE);
    }

    private static CloudException failure(Kind kind) {
        return new CloudException(kind, 429, "rateLimitExceeded", "slow down", null);
    }

    @Test
    void retriesRateLimitsWithGrowingBackoffThenSucceeds() {
        Retrier r = retrier(5);
        AtomicInteger calls = new AtomicInteger();
        String result = r.call("test", () -> {
            if (calls.incrementAndGet() <= 3) {
                throw failure(Kind.RATE_LIMITED);
            }
            return "ok";
        });
        assertEquals("ok", result);
        assertEquals(4, calls.get());
        assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400)), slept);
        assertEquals(3, r.retries());
    }

    @Test
    void givesUpAfterTheBudgetAndAnOuterLoopDoesNotRetryAgain() {
        Retrier r = retrier(2);
        AtomicInteger calls = new AtomicInteger();
        CloudException e = assertThrows(
                CloudException.class,
                () -> r.call(
                        "outer",
                        () -> r.call("inner", () -> {
                            calls.incrementAndGet();
                            throw failure(Kind.RATE_LIMITED);
                        })));
        assertEquals(3, calls.get(), "one call and two retries, not nested 3 x 3");
        assertTrue(e.retriesExhausted());
        assertEquals(Kind.RATE_LIMITED, e.kind());
        assertEquals(1, r.exhausted());
    }

    @Test
    void otherFailuresAreNotRetried() {
        Retrier r = retrier(5);
        AtomicInteger calls = new AtomicInteger();
        for (Kind k : List.of(Kind.UNAVAILABLE, Kind.NOT_FOUND, Kind.INVALID, Kind.DEADLINE)) {
            assertThrows(
                    CloudException.class,
                    () -> r.call("x", () -> {
                        calls.incrementAndGet();
                        throw failure(k);
                    }));
        }
        assertEquals(4, calls.get());
        assertEquals(0, r.retries());
    }

    @Test
    void backoffJitterStaysWithinHalfToFull() {
        Backoff low = new Backoff(10, Duration.ofMillis(100), Duration.ofSeconds(1), () -> 0.0);
        Backoff high = new Backoff(10, Duration.ofMillis(100), Duration.ofSeconds(1), () -> 0.999999);
        assertEquals(Duration.ofMillis(50), low.delay(1));
        assertEquals(Duration.ofMillis(400), low.delay(4));
        assertEquals(Duration.ofMillis(500), low.delay(9));
        assertTrue(high.delay(9).compareTo(Duration.ofSeconds(1)) <= 0);
        assertTrue(high.delay(2).toMillis() >= 199);
    }
}
