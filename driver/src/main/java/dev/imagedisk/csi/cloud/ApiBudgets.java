package dev.imagedisk.csi.cloud;

import dev.imagedisk.csi.common.NonBlocking;
import java.time.Duration;
import java.util.Set;

/**
 * The client-side rate budgets of the Compute Engine API, one per quota group, as Compute Engine counts
 * them apart: mutations (insert, delete, resize, attachDisk, detachDisk), reads (get, list), and operation
 * reads ({@code zoneOperations.wait}/{@code get}). Each request waits for its group's limiter, and then for
 * {@code overall} when one is set (the old single limit on every call).
 */
public record ApiBudgets(ApiLimiter writes, ApiLimiter reads, ApiLimiter operations, ApiLimiter overall) {
    /** Methods that count against the write budget. */
    public static final Set<String> WRITE_METHODS = Set.of(
            "disks.insert",
            "disks.delete",
            "disks.resize",
            "disks.update",
            "instances.attachDisk",
            "instances.detachDisk");
    /** Every request of every group through one limiter (as before the budgets were split). */
    public static ApiBudgets single(ApiLimiter limiter) {
        return new ApiBudgets(ApiLimiter.NONE, ApiLimiter.NONE, ApiLimiter.NONE, limiter);
    }

    /**
     * Writes paced as "at most {@code writesPerSecond} in any second" ({@link WindowLimiter}); reads and
     * operation reads by token buckets of {@code readsPerSecond} each; {@code overallPerSecond} (null for
     * none) caps all requests together.
     */
    public static ApiBudgets of(double writesPerSecond, double readsPerSecond, Double overallPerSecond) {
        return new ApiBudgets(
                WindowLimiter.perSecond(writesPerSecond),
                RateLimiter.perSecond(readsPerSecond),
                RateLimiter.perSecond(readsPerSecond),
                overallPerSecond == null ? ApiLimiter.NONE : RateLimiter.perSecond(overallPerSecond));
    }

    /** The group's limiter for an API method such as {@code disks.insert}. */
    public ApiLimiter forMethod(String method) {
        if (WRITE_METHODS.contains(method)) {
            return writes;
        }
        if (method.startsWith("zoneOperations.") || method.startsWith("globalOperations.")) {
            return operations;
        }
        return reads;
    }

    /**
     * Waits for the method's group, then for the overall limit; returns the total wait. Refused on a
     * {@link NonBlocking} thread.
     */
    public Duration acquire(String method) throws InterruptedException {
        NonBlocking.check(method + " (waiting for the rate budget)");
        ApiLimiter group = forMethod(method);
        Duration waited = group.acquire();
        try {
            return waited.plus(overall.acquire());
        } catch (InterruptedException e) {
            group.answered(false);
            throw e;
        }
    }

    /** The request of {@code method} was answered; {@code counted} false when it was refused for its rate. */
    public void answered(String method, boolean counted) {
        forMethod(method).answered(counted);
        overall.answered(counted);
    }
}
