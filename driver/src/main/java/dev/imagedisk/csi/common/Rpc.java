package dev.imagedisk.csi.common;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/** Runs the body of a unary RPC and answers the caller with its result or its status. */
public final class Rpc {
    private Rpc() {}

    public static <T> void unary(StreamObserver<T> observer, Supplier<T> body) {
        T result;
        try {
            result = body.get();
        } catch (StatusRuntimeException e) {
            observer.onError(e);
            return;
        } catch (RuntimeException | Error e) {
            observer.onError(Status.INTERNAL
                    .withDescription("internal error: " + e)
                    .withCause(e)
                    .asRuntimeException());
            return;
        }
        observer.onNext(result);
        observer.onCompleted();
    }
}
