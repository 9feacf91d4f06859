package dev.imagedisk.csi.controller;

import dev.imagedisk.csi.cloud.CloudException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The gRPC status a Compute Engine failure is answered with. */
public final class CloudErrors {
    private CloudErrors() {}

    public static Status.Code code(CloudException.Kind kind) {
        return switch (kind) {
            case NOT_FOUND -> Status.Code.NOT_FOUND;
            case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
            case IN_USE -> Status.Code.FAILED_PRECONDITION;
            case NOT_READY -> Status.Code.ABORTED;
            case RATE_LIMITED, LIMIT_EXCEEDED -> Status.Code.RESOURCE_EXHAUSTED;
            case UNAVAILABLE -> Status.Code.UNAVAILABLE;
            case DEADLINE -> Status.Code.DEADLINE_EXCEEDED;
            case INVALID -> Status.Code.INVALID_ARGUMENT;
            case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
            case UNAUTHENTICATED -> Status.Code.UNAUTHENTICATED;
            case CANCELLED -> Status.Code.CANCELLED;
            case OTHER -> Status.Code.INTERNAL;
        };
    }

    public static StatusRuntimeException toStatus(CloudException e) {
        return Status.fromCode(code(e.kind())).withDescription(e.getMessage()).withCause(e).asRuntimeException();
    }
}
