package dev.imagedisk.csi.cloud;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * How often and how long to back off after a rate-limit answer: at most {@code maxRetries} retries,
 * each after a delay drawn uniformly from [d/2, d] where d doubles from {@code initial} up to
 * {@code max} ("equal jitter": spread out, yet never close to zero).
 */
public record Backoff(int maxRetries, Duration initial, Duration max, DoubleSupplier random) {
    public Backoff {
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must not be negative");
        }
        if (initial.isNegative() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("need 0 <= initial <= max");
        }
    }

    public Backoff(int maxRetries, Duration initial, Duration max) {
        this(
                maxRetries,
                initial,
                max,
                () -> java.util.concurrent.ThreadLocalRandom.current().nextDouble());
    }

    /** The delay before retry number {@code retry} (1-based). */
    public Duration delay(int retry) {
        long cap = max.toNanos();
        long d = initial.toNanos();
        for (int i = 1; i < retry && d < cap; i++) {
            d = Math.min(cap, d * 2);
        }
        d = Math.min(cap, d);
        long half = d / 2;
        return Duration.ofNanos(half + (long) (random.getAsDouble() * (d - half)));
    }
}
