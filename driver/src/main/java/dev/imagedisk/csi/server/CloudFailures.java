package dev.imagedisk.csi.server;

import dev.imagedisk.csi.cloud.CloudException;

/** The CSI code a Compute Engine failure is answered with, and the failure that carries it. */
public final class CloudFailures {
    private CloudFailures() {}

    public static CsiFailure.Code code(CloudException.Kind kind) {
        return switch (kind) {
            case NOT_FOUND -> CsiFailure.Code.NOT_FOUND;
            case ALREADY_EXISTS -> CsiFailure.Code.ALREADY_EXISTS;
            case IN_USE -> CsiFailure.Code.FAILED_PRECONDITION;
            case NOT_READY -> CsiFailure.Code.ABORTED;
            case RATE_LIMITED, LIMIT_EXCEEDED -> CsiFailure.Code.RESOURCE_EXHAUSTED;
            case UNAVAILABLE -> CsiFailure.Code.UNAVAILABLE;
            case DEADLINE -> CsiFailure.Code.DEADLINE_EXCEEDED;
            case INVALID -> CsiFailure.Code.INVALID_ARGUMENT;
            case PERMISSION_DENIED -> CsiFailure.Code.PERMISSION_DENIED;
            case UNAUTHENTICATED -> CsiFailure.Code.UNAUTHENTICATED;
            case CANCELLED -> CsiFailure.Code.CANCELLED;
            case OTHER -> CsiFailure.Code.INTERNAL;
        };
    }

    /** {@code e} as the driver failure the RPC layer answers with. */
    public static CsiFailure of(CloudException e) {
        return new CsiFailure(code(e.kind()), e.getMessage(), e);
    }
}
