package dev.imagedisk.csi.server;

import java.util.Objects;

/**
 * A failure of the driver's own logic, with the CSI error code it is answered with and a message that says
 * which field or resource failed and why. Thrown anywhere below the RPC layer; {@link Rpc} alone turns it into
 * a gRPC status. No code below the service layer uses gRPC's status types.
 */
public final class CsiFailure extends RuntimeException {
    /** The codes the CSI spec names for driver failures (the same names as gRPC's). */
    public enum Code {
        INVALID_ARGUMENT,
        NOT_FOUND,
        ALREADY_EXISTS,
        FAILED_PRECONDITION,
        OUT_OF_RANGE,
        RESOURCE_EXHAUSTED,
        ABORTED,
        UNAVAILABLE,
        DEADLINE_EXCEEDED,
        CANCELLED,
        PERMISSION_DENIED,
        UNAUTHENTICATED,
        UNIMPLEMENTED,
        INTERNAL
    }

    private final Code code;

    public CsiFailure(Code code, String message) {
        this(code, message, null);
    }

    public CsiFailure(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    public Code code() {
        return code;
    }

    @Override
    public String toString() {
        return code + ": " + getMessage();
    }
}
