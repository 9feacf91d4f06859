package dev.imagedisk.csi.server;

import dev.imagedisk.csi.common.CallDeadline;

/**
 * Builds the failures that the CSI spec names, as {@link CsiFailure}s (the RPC layer turns them into gRPC
 * status). Every message should say which field or resource failed and why; callers pass a format string and
 * arguments.
 */
public final class CsiErrors {
    private CsiErrors() {}

    public static CsiFailure error(CsiFailure.Code code, String format, Object... args) {
        String message = args.length == 0 ? format : String.format(format, args);
        return new CsiFailure(code, message);
    }

    /**
     * The failure of a call that stopped as {@code stop} says, while what {@code format} tells was under way:
     * DEADLINE_EXCEEDED when its deadline passed, else CANCELLED.
     */
    public static CsiFailure stopped(CallDeadline.Stop stop, String format, Object... args) {
        return error(
                stop == CallDeadline.Stop.DEADLINE ? CsiFailure.Code.DEADLINE_EXCEEDED : CsiFailure.Code.CANCELLED,
                "%s while %s",
                stop.reason(),
                args.length == 0 ? format : String.format(format, args));
    }

    public static CsiFailure invalidArgument(String format, Object... args) {
        return error(CsiFailure.Code.INVALID_ARGUMENT, format, args);
    }

    public static CsiFailure notFound(String format, Object... args) {
        return error(CsiFailure.Code.NOT_FOUND, format, args);
    }

    public static CsiFailure alreadyExists(String format, Object... args) {
        return error(CsiFailure.Code.ALREADY_EXISTS, format, args);
    }

    public static CsiFailure failedPrecondition(String format, Object... args) {
        return error(CsiFailure.Code.FAILED_PRECONDITION, format, args);
    }

    public static CsiFailure aborted(String format, Object... args) {
        return error(CsiFailure.Code.ABORTED, format, args);
    }

    public static CsiFailure outOfRange(String format, Object... args) {
        return error(CsiFailure.Code.OUT_OF_RANGE, format, args);
    }

    public static CsiFailure resourceExhausted(String format, Object... args) {
        return error(CsiFailure.Code.RESOURCE_EXHAUSTED, format, args);
    }

    public static CsiFailure unavailable(String format, Object... args) {
        return error(CsiFailure.Code.UNAVAILABLE, format, args);
    }

    public static CsiFailure deadlineExceeded(String format, Object... args) {
        return error(CsiFailure.Code.DEADLINE_EXCEEDED, format, args);
    }

    public static CsiFailure internal(String format, Object... args) {
        return error(CsiFailure.Code.INTERNAL, format, args);
    }

    /** Requires a non-blank string field, naming it in the error. */
    public static String require(String value, String field) {
        if (value == null || value.isBlank()) {
            throw invalidArgument("%s is required", field);
        }
        return value;
    }
}
