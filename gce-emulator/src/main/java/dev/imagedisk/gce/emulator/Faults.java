package dev.imagedisk.gce.emulator;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Fault switches and timing, thread-safe and usable while the emulator serves.
 *
 * <p>Method names are Compute Engine's: {@code disks.insert}, {@code disks.get},
 * {@code disks.list}, {@code disks.delete}, {@code disks.resize}, {@code images.get},
 * {@code images.getFromFamily}, {@code images.list}, {@code instances.get}, {@code instances.list},
 * {@code instances.attachDisk}, {@code instances.detachDisk}, {@code zoneOperations.get},
 * {@code zoneOperations.wait}, {@code zoneOperations.delete}, {@code zoneOperations.list},
 * {@code globalOperations.get}, {@code globalOperations.wait}, ..., and {@code metadata} for
 * the metadata server. Operation types are {@code insert}, {@code delete}, {@code resize},
 * {@code attachDisk}, {@code detachDisk} (as Compute Engine names them: {@code insert} covers
 * disks.insert and images.insert), a method name to pick one ({@code images.insert},
 * {@code images.delete}, {@code disks.insert}, ...), or {@code *} for any.
 */
public final class Faults {
    private static final class InjectedError {
        final String method;
        final int status;
        final String reason;
        final String message;
        int remaining;

        InjectedError(String method, int status, String reason, String message, int remaining) {
            this.method = method;
            this.status = status;
            this.reason = reason;
            this.message = message;
            this.remaining = remaining;
        }
    }

    private static final class OperationFault {
        final String operationType;
        final String code;
        final String message;
        final int httpStatus;
        int remaining;

        OperationFault(String type, String code, String message, int httpStatus, int remaining) {
            this.operationType = type;
            this.code = code;
            this.message = message;
            this.httpStatus = httpStatus;
            this.remaining = remaining;
        }
    }

    /** Where an injected {@link ComputeFailure} shows: in the operation the call starts, or as the call's error. */
    public enum Delivery {
        OPERATION,
        CALL
    }

    private static final class ShapedFault {
        final String method;
        final ComputeFailure failure;
        final Delivery delivery;
        int remaining;

        ShapedFault(String method, ComputeFailure failure, Delivery delivery, int remaining) {
            this.method = method;
            this.failure = failure;
            this.delivery = delivery;
            this.remaining = remaining;
        }
    }

    /** What goes wrong with the {@code google-<deviceName>} link of an attach (storage on). */
    public enum LinkFault {
        /** No link is made (udev missed the device). */
        MISSING,
        /** The link is made {@link #setLateLinkDelay} after the attach operation is DONE. */
        LATE,
        /**
         * The link points at the loop device bound just before this one (a stale link left on a reused device
         * node); the attach fails when this emulator has no other loop device bound.
         */
        WRONG
    }

    private final ArrayDeque<LinkFault> linkFaults = new ArrayDeque<>();
    private final java.util.Set<String> revoked = new java.util.HashSet<>();
    private volatile Duration lateLinkDelay = Duration.ofMillis(500);
    private final List<InjectedError> errors = new ArrayList<>();
    private final List<ShapedFault> shapedFaults = new ArrayList<>();
    private final List<OperationFault> operationFaults = new ArrayList<>();
    private final ArrayDeque<Long> mutatingTimes = new ArrayDeque<>();
    private double mutatingPerSecond; // <= 0: unlimited
    private volatile Duration operationDuration;
    private volatile int inUseOperationHttpStatus = 200;

    Faults(Duration operationDuration) {
        this.operationDuration = operationDuration;
    }

    /**
     * The next {@code times} calls of {@code method} answer HTTP {@code httpStatus} with Google's
     * error body carrying {@code reason} and the message Compute Engine uses for that reason.
     */
    public Faults injectError(String method, int httpStatus, String reason, int times) {
        return injectError(method, httpStatus, reason, GceException.defaultMessage(httpStatus, reason), times);
    }

    /** Like {@link #injectError(String, int, String, int)} with an explicit message. */
    public synchronized Faults injectError(String method, int httpStatus, String reason, String message, int times) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(reason, "reason");
        if (httpStatus < 400 || httpStatus > 599) {
            throw new IllegalArgumentException("httpStatus must be 4xx or 5xx: " + httpStatus);
        }
        if (times > 0) {
            errors.add(new InjectedError(method, httpStatus, reason, message, times));
        }
        return this;
    }

    /**
     * The next {@code times} calls of {@code method} ({@code disks.insert}, {@code instances.attachDisk}, ...) fail
     * with {@code failure} in Compute Engine's shape for that failure: with {@link Delivery#OPERATION} the call is
     * accepted and its operation ends DONE with the error (no resource changes); with {@link Delivery#CALL} the call
     * answers the HTTP error. The failure names the call's project, zone and resource (for an attach: the disk).
     * For {@link Delivery#OPERATION} {@code method} may also be an operation type ({@code insert},
     * {@code attachDisk}) or {@code *}, as for {@link #failNextOperations}.
     */
    public synchronized Faults failNext(String method, ComputeFailure failure, Delivery delivery, int times) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(failure, "failure");
        Objects.requireNonNull(delivery, "delivery");
        if (times > 0) {
            shapedFaults.add(new ShapedFault(method, failure, delivery, times));
        }
        return this;
    }

    /**
     * Past {@code mutatingPerSecond} mutating requests (disks.insert/delete/resize/update,
     * images.insert/delete, instances.attachDisk/detachDisk) in any one-second window, further mutating requests answer 403
     * {@code rateLimitExceeded} "Rate Limit Exceeded". Reads are unlimited. Zero, a negative value or
     * infinity turns the limit off.
     */
    public synchronized Faults setRateLimit(double mutatingPerSecond) {
        this.mutatingPerSecond =
                Double.isInfinite(mutatingPerSecond) || Double.isNaN(mutatingPerSecond) ? 0 : mutatingPerSecond;
        mutatingTimes.clear();
        return this;
    }

    /** How long an operation takes from insertion to DONE (zero: DONE in the response). */
    public Faults setOperationDuration(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("negative duration");
        }
        this.operationDuration = duration;
        return this;
    }

    public Duration operationDuration() {
        return operationDuration;
    }

    /**
     * The next {@code times} operations of {@code operationType} end {@code DONE} with
     * {@code error.errors[0].code = errorCode} and no change to any resource. With
     * {@code withHttpStatus} the operation also carries {@code httpErrorStatusCode} /
     * {@code httpErrorMessage} as Compute Engine sets them for that code (e.g. 503 for
     * {@code ZONE_RESOURCE_POOL_EXHAUSTED}); without, they are absent (0), which the client library
     * treats as success: callers must check {@code error}.
     */
    public Faults failNextOperations(
            String operationType, String errorCode, String message, boolean withHttpStatus, int times) {
        return failNextOperations(
                operationType, errorCode, message, withHttpStatus ? httpStatusFor(errorCode) : 0, times);
    }

    /** Like above with an explicit {@code httpErrorStatusCode} (0 = absent; 200 is also possible). */
    public synchronized Faults failNextOperations(
            String operationType, String errorCode, String message, int httpStatus, int times) {
        Objects.requireNonNull(operationType, "operationType");
        Objects.requireNonNull(errorCode, "errorCode");
        if (times > 0) {
            operationFaults.add(new OperationFault(
                    operationType, errorCode, message == null ? errorCode : message, httpStatus, times));
        }
        return this;
    }

    /**
     * The {@code httpErrorStatusCode} of an attachDisk operation that fails with
     * {@code RESOURCE_IN_USE_BY_ANOTHER_RESOURCE} (the disk is read-write elsewhere, or already on
     * the instance). Compute Engine has been seen answering 200 (the default here: the client library
     * then reports success and only {@code error} tells) and 400.
     */
    public Faults setInUseOperationHttpStatus(int httpStatus) {
        if (httpStatus != 200 && httpStatus != 400) {
            throw new IllegalArgumentException("200 or 400: " + httpStatus);
        }
        this.inUseOperationHttpStatus = httpStatus;
        return this;
    }

    public int inUseOperationHttpStatus() {
        return inUseOperationHttpStatus;
    }

    /**
     * The caller no longer holds {@code permissions} (e.g. {@code compute.images.useReadOnly}): the
     * {@code testIamPermissions} methods leave them out of their answers. {@link #clear} grants them again.
     */
    public synchronized Faults revokePermissions(String... permissions) {
        revoked.addAll(List.of(permissions));
        return this;
    }

    synchronized boolean revoked(String permission) {
        return revoked.contains(permission);
    }

    /** The next {@code times} attaches (storage on) get {@code fault} on their device link. */
    public synchronized Faults failNextDeviceLinks(LinkFault fault, int times) {
        Objects.requireNonNull(fault, "fault");
        for (int i = 0; i < times; i++) {
            linkFaults.addLast(fault);
        }
        return this;
    }

    /** How long after the attach a {@link LinkFault#LATE} link appears (default 500 ms). */
    public Faults setLateLinkDelay(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("negative delay");
        }
        this.lateLinkDelay = delay;
        return this;
    }

    public Duration lateLinkDelay() {
        return lateLinkDelay;
    }

    synchronized LinkFault takeLinkFault() {
        return linkFaults.pollFirst();
    }

    /** Clears injected errors, operation and link failures and the rate limit (not the duration). */
    public synchronized Faults clear() {
        linkFaults.clear();
        revoked.clear();
        errors.clear();
        operationFaults.clear();
        shapedFaults.clear();
        mutatingPerSecond = 0;
        mutatingTimes.clear();
        return this;
    }

    synchronized GceException takeInjectedError(String method) {
        return takeInjectedError(method, null);
    }

    /** The error the next call of {@code method} answers, or null; {@code context} names what a shaped one names. */
    synchronized GceException takeInjectedError(
            String method, java.util.function.Supplier<ComputeFailure.Context> context) {
        for (Iterator<InjectedError> it = errors.iterator(); it.hasNext(); ) {
            InjectedError e = it.next();
            if (e.method.equals(method)) {
                if (--e.remaining <= 0) {
                    it.remove();
                }
                return new GceException(e.status, e.reason, GceException.domainFor(e.reason), e.message);
            }
        }
        if (context != null) {
            for (Iterator<ShapedFault> it = shapedFaults.iterator(); it.hasNext(); ) {
                ShapedFault f = it.next();
                if (f.delivery == Delivery.CALL && f.method.equals(method)) {
                    if (--f.remaining <= 0) {
                        it.remove();
                    }
                    return f.failure.asCall(context.get());
                }
            }
        }
        return null;
    }

    /** Records a mutating request; false when it is past the rate limit. */
    synchronized boolean admitMutating() {
        if (mutatingPerSecond <= 0) {
            return true;
        }
        long now = System.nanoTime();
        long windowStart = now - 1_000_000_000L;
        while (!mutatingTimes.isEmpty() && mutatingTimes.peekFirst() <= windowStart) {
            mutatingTimes.pollFirst();
        }
        if (mutatingTimes.size() >= Math.max(1, (int) Math.floor(mutatingPerSecond))) {
            return false;
        }
        mutatingTimes.addLast(now);
        return true;
    }

    synchronized OperationFailure takeOperationFailure(String operationType, String method) {
        return takeOperationFailure(operationType, method, null);
    }

    synchronized OperationFailure takeOperationFailure(
            String operationType, String method, ComputeFailure.Context context) {
        if (context != null) {
            for (Iterator<ShapedFault> it = shapedFaults.iterator(); it.hasNext(); ) {
                ShapedFault f = it.next();
                if (f.delivery == Delivery.OPERATION
                        && (f.method.equals(operationType) || f.method.equals("*") || f.method.equals(method))) {
                    if (--f.remaining <= 0) {
                        it.remove();
                    }
                    return f.failure.asOperation(context);
                }
            }
        }
        for (Iterator<OperationFault> it = operationFaults.iterator(); it.hasNext(); ) {
            OperationFault f = it.next();
            if (f.operationType.equals(operationType)
                    || f.operationType.equals("*")
                    || f.operationType.equals(method)) {
                if (--f.remaining <= 0) {
                    it.remove();
                }
                return new OperationFailure(f.code, f.message, f.httpStatus);
            }
        }
        return null;
    }

    static int httpStatusFor(String errorCode) {
        String c = errorCode.toUpperCase(Locale.ROOT);
        if (c.equals("QUOTA_EXCEEDED")) {
            return 403;
        }
        if (c.contains("NOT_FOUND")) {
            return 404;
        }
        if (c.equals("RESOURCE_OPERATION_RATE_EXCEEDED") || c.contains("RATE_LIMIT")) {
            return 429;
        }
        if (c.contains("EXHAUSTED") || c.contains("UNAVAILABLE")) {
            return 503;
        }
        if (c.contains("INTERNAL")) {
            return 500;
        }
        return 400;
    }

    static String httpStatusMessage(int status) {
        switch (status) {
            case 200:
                return "OK";
            case 400:
                return "BAD REQUEST";
            case 403:
                return "FORBIDDEN";
            case 404:
                return "NOT FOUND";
            case 409:
                return "CONFLICT";
            case 412:
                return "PRECONDITION FAILED";
            case 429:
                return "TOO MANY REQUESTS";
            case 500:
                return "INTERNAL SERVER ERROR";
            case 503:
                return "SERVICE UNAVAILABLE";
            default:
                return "ERROR " + status;
        }
    }
}
