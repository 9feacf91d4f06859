package dev.imagedisk.csi.cloud;

import java.time.Duration;

/** What a caller waits on before sending one Compute Engine request. */
public interface ApiLimiter {
    /** Takes a slot, sleeping until it comes; returns how long it waited. */
    Duration acquire() throws InterruptedException;

    /** No limit. */
    ApiLimiter NONE = () -> Duration.ZERO;
}
