package dev.imagedisk.csi.common;

import dev.imagedisk.csi.cloud.CloudException;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Runs the body of a unary RPC and answers the caller with its result or its status: the one place where the
 * driver's failures ({@link CsiFailure}, {@link CloudException}) become gRPC status, and where the gRPC deadline
 * and cancellation of a call become a {@link CallDeadline}.
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

    /**
     * {@link #unary}, with the body bounded by the call's gRPC deadline and cancellation: it runs
     * {@link CallDeadline#within} a token made from {@link Context#current()}, which is cancelled (and the body's
     * thread interrupted) when the caller cancels or the deadline passes.
     */
    public static <T> void bounded(StreamObserver<T> observer, Supplier<T> body) {
        Context context = Context.current();
        Deadline deadline = context.getDeadline();
        CallDeadline call = CallDeadline.after(deadline == null ? null
                : Duration.ofNanos(deadline.timeRemaining(TimeUnit.NANOSECONDS)));
        Context.CancellationListener listener = c -> call.cancel(deadline != null && deadline.isExpired()
                ? CallDeadline.Stop.DEADLINE : CallDeadline.Stop.CANCELLED);
        context.addListener(listener, Runnable::run);
        try {
            unary(observer, () -> CallDeadline.within(call, body));
        } finally {
            context.removeListener(listener);
        }
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
