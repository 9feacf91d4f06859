package dev.imagedisk.csi.cloud;

import dev.imagedisk.csi.common.CallDeadline;

/**
 * A failed Compute Engine call or operation, sorted into the category that decides what the caller
 * does with it. Carries the HTTP status and Compute Engine's reason (or operation error code) as read.
 */
public final class CloudException extends RuntimeException {
    /** What went wrong, as far as a caller needs to know. */
    public enum Kind {
        /** notFound, HTTP 404, RESOURCE_NOT_FOUND. */
        NOT_FOUND,
        /** alreadyExists, HTTP 409, RESOURCE_ALREADY_EXISTS. */
        ALREADY_EXISTS,
        /** resourceInUseByAnotherResource: e.g. a disk attached elsewhere. */
        IN_USE,
        /** resourceNotReady: the resource is busy with another operation. */
        NOT_READY,
        /** rateLimitExceeded, quotaExceeded, RESOURCE_OPERATION_RATE_EXCEEDED, HTTP 429: retried, then given up. */
        RATE_LIMITED,
        /** HTTP 5xx, connection failures: the same request may work later. */
        UNAVAILABLE,
        /**
         * The zone cannot take the resource now: a stockout ({@code ZONE_RESOURCE_POOL_EXHAUSTED[_WITH_DETAILS]})
         * or a zonal quota used up ({@code QUOTA_EXCEEDED} of a metric with a zone dimension). Another zone may
         * work; {@link #location()} is the zone.
         */
        ZONE_EXHAUSTED,
        /**
         * A region- or project-wide quota is used up ({@code QUOTA_EXCEEDED} of a regional or global metric): no
         * zone of that region helps until the quota is raised or usage freed; {@link #location()} is the region,
         * or empty when the quota is global or its scope unknown.
         */
        QUOTA_EXCEEDED,
        /** A request or an operation ran out of time. */
        DEADLINE,
        /** A per-resource limit, e.g. the most disks an instance can have (limitExceeded): not retried. */
        LIMIT_EXCEEDED,
        /** The request is wrong: invalid, required, badRequest. */
        INVALID,
        /** HTTP 403 other than rate limits. */
        PERMISSION_DENIED,
        /** HTTP 401. */
        UNAUTHENTICATED,
        /** The calling thread was interrupted. */
        CANCELLED,
        /** Anything else. */
        OTHER
    }

    private final Kind kind;
    private final int httpStatus;
    private final String reason;
    private final boolean retriesExhausted;
    private final String location;

    /**
     * The failure of a step that stopped because the call it serves ended: {@link Kind#DEADLINE} when the call's
     * deadline passed, else {@link Kind#CANCELLED}.
     */
    public static CloudException stopped(String what, Throwable cause) {
        return stopped(what, CallDeadline.current().stopped(), cause);
    }

    /** {@link #stopped(String, Throwable)} for a call that stopped as {@code stop} says. */
    public static CloudException stopped(String what, CallDeadline.Stop stop, Throwable cause) {
        return new CloudException(
                stop == CallDeadline.Stop.DEADLINE ? Kind.DEADLINE : Kind.CANCELLED,
                0,
                null,
                what + ": " + stop.reason(),
                cause);
    }

    /** Throws {@link #stopped} when the call being served has ended (cancelled, or past its deadline). */
    public static void checkCall(String what) {
        if (CallDeadline.current().stopped() != CallDeadline.Stop.NONE) {
            throw stopped(what, null);
        }
    }

    public CloudException(Kind kind, int httpStatus, String reason, String message, Throwable cause) {
        this(kind, httpStatus, reason, message, cause, false, "");
    }

    /** A failure about one place ({@link Kind#ZONE_EXHAUSTED}: the zone; {@link Kind#QUOTA_EXCEEDED}: the region). */
    public CloudException(Kind kind, int httpStatus, String reason, String message, Throwable cause, String location) {
        this(kind, httpStatus, reason, message, cause, false, location);
    }

    private CloudException(
            Kind kind,
            int httpStatus,
            String reason,
            String message,
            Throwable cause,
            boolean retriesExhausted,
            String location) {
        super(message, cause);
        this.kind = kind;
        this.httpStatus = httpStatus;
        this.reason = reason == null ? "" : reason;
        this.retriesExhausted = retriesExhausted;
        this.location = location == null ? "" : location;
    }

    /** The zone or region the failure is about (see {@link Kind#ZONE_EXHAUSTED}, {@link Kind#QUOTA_EXCEEDED}); may be empty. */
    public String location() {
        return location;
    }

    /** The same failure after the retry policy gave up on it: not to be retried again by an outer loop. */
    public CloudException afterRetries(int retries) {
        return new CloudException(
                kind,
                httpStatus,
                reason,
                getMessage() + " (still failing after " + retries + " retries)",
                this,
                true,
                location);
    }

    /** Whether a retry policy already spent its retries on this failure. */
    public boolean retriesExhausted() {
        return retriesExhausted;
    }

    public CloudException(Kind kind, String message) {
        this(kind, 0, null, message, null);
    }

    public Kind kind() {
        return kind;
    }

    /** HTTP status of the failed call, or of the failed operation; 0 when none was given. */
    public int httpStatus() {
        return httpStatus;
    }

    /** Compute Engine's reason ({@code notFound}) or operation error code ({@code RESOURCE_NOT_FOUND}); may be empty. */
    public String reason() {
        return reason;
    }

    public boolean is(Kind k) {
        return kind == k;
    }

    @Override
    public String toString() {
        return "CloudException[" + kind + (httpStatus > 0 ? " HTTP " + httpStatus : "")
                + (reason.isEmpty() ? "" : " " + reason) + "]: " + getMessage();
    }
}
