package dev.imagedisk.csi.common;

import dev.imagedisk.csi.cloud.CloudException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/**
 * Runs the body of a unary RPC and answers the caller with its result or its status: the one place where the
 * driver's failures ({@link CsiFailure}, {@link CloudException}) become gRPC status.
 */
public final class Rpc {
    private Rpc() {}

    public static <T> void unary(StreamObserver<T> observer, Supplier<T> body) {
        T result;
        try {
            result = body.get();
        } catch (RuntimeException | Error e) {
            observer.onError(toStatus(e).asRuntimeException());
            return;
        }
        observer.onNext(result);
        observer.onCompleted();
    }

    /** The status a failure is answered with. */
    public static Status toStatus(Throwable e) {
        if (e instanceof CsiFailure f) {
            return Status.fromCode(Status.Code.valueOf(f.code().name())).withDescription(f.getMessage())
                    .withCause(f.getCause());
        }
        if (e instanceof CloudException c) {
            return Status.fromCode(Status.Code.valueOf(CloudFailures.code(c.kind()).name()))
                    .withDescription(c.getMessage()).withCause(c);
        }
        if (e instanceof StatusRuntimeException s) {
            return s.getStatus();
        }
        return Status.INTERNAL.withDescription("internal error: " + e).withCause(e);
    }
}
