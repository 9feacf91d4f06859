package dev.imagedisk.csi.cloud;

import java.time.Duration;

/** What a caller waits on before sending one Compute Engine request, and tells when it was answered. */
public interface ApiLimiter {
    /** Takes a slot, sleeping until it comes; returns how long it waited. */
    Duration acquire() throws InterruptedException;

    /**
     * The request sent after {@link #acquire} was answered; {@code counted} is false when Compute Engine refused
     * it for its rate (a refused request does not count against the quota, so it must not spend the budget).
     */
    default void answered(boolean counted) {}

    /** No limit. */
    ApiLimiter NONE = () -> Duration.ZERO;
}
