package dev.imagedisk.csi.common;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Builds the gRPC errors that the CSI spec names. Every message should say which field or resource
 * failed and why; callers pass a format string and arguments.
 */
public final class CsiErrors {
    private CsiErrors() {}

    public static StatusRuntimeException error(Status.Code code, String format, Object... args) {
        String message = args.length == 0 ? format : String.format(format, args);
        return Status.fromCode(code).withDescription(message).asRuntimeException();
    }

    public static StatusRuntimeException invalidArgument(String format, Object... args) {
        return error(Status.Code.INVALID_ARGUMENT, format, args);
    }

    public static StatusRuntimeException notFound(String format, Object... args) {
        return error(Status.Code.NOT_FOUND, format, args);
    }

    public static StatusRuntimeException alreadyExists(String format, Object... args) {
        return error(Status.Code.ALREADY_EXISTS, format, args);
    }

    public static StatusRuntimeException failedPrecondition(String format, Object... args) {
        return error(Status.Code.FAILED_PRECONDITION, format, args);
    }

    public static StatusRuntimeException aborted(String format, Object... args) {
        return error(Status.Code.ABORTED, format, args);
    }

    public static StatusRuntimeException outOfRange(String format, Object... args) {
        return error(Status.Code.OUT_OF_RANGE, format, args);
    }

    public static StatusRuntimeException resourceExhausted(String format, Object... args) {
        return error(Status.Code.RESOURCE_EXHAUSTED, format, args);
    }

    public static StatusRuntimeException unavailable(String format, Object... args) {
        return error(Status.Code.UNAVAILABLE, format, args);
    }

    public static StatusRuntimeException deadlineExceeded(String format, Object... args) {
        return error(Status.Code.DEADLINE_EXCEEDED, format, args);
    }

    public static StatusRuntimeException internal(String format, Object... args) {
        return error(Status.Code.INTERNAL, format, args);
    }

    /** Requires a non-blank string field, naming it in the error. */
    public static String require(String value, String field) {
        if (value == null || value.isBlank()) {
            throw invalidArgument("%s is required", field);
        }
        return value;
    }
}
