package dev.imagedisk.csi.server;

import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.common.Futures;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Runs the body of a unary RPC and answers the caller with its result or its status: the one place where the
 * driver's failures ({@link CsiFailure}, {@link CloudException}) become gRPC status, and where the gRPC deadline
 * and cancellation of a call become a {@link CallDeadline}.
 */
public final class Rpc {
    private Rpc() {}

    /**
     * Runs {@code body} and answers with its result or failure. The body sees the call's gRPC deadline as
     * {@link CallDeadline#current()} (for time budgets such as a command's timeout); the caller's cancellation
     * does not interrupt it (see {@link #bounded} for that).
     */
    public static <T> void unary(StreamObserver<T> observer, Supplier<T> body) {
        answer(observer, () -> CallDeadline.within(fromContext(Context.current()), body));
    }

    private static <T> void answer(StreamObserver<T> observer, Supplier<T> body) {
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
        CallDeadline call = fromContext(context);
        Context.CancellationListener listener = c -> call.cancel(stopOf(c, deadline));
        context.addListener(listener, Runnable::run);
        try {
            answer(observer, () -> CallDeadline.within(call, body));
        } finally {
            context.removeListener(listener);
        }
    }

    /**
     * {@link #bounded} for a body that answers later: {@code body} runs on this thread (bounded by the call's
     * deadline and cancellation as there) and returns a future; the call is answered when the future completes,
     * with its result or with the status of its failure ({@link #toStatus}, the same mapping), and this thread is
     * free meanwhile. The call's cancellation and deadline stay watched until then, so waits the future stands
     * for end when the caller gives up.
     */
    public static <T> void unaryAsync(StreamObserver<T> observer, Supplier<CompletableFuture<T>> body) {
        Context context = Context.current();
        Deadline deadline = context.getDeadline();
        CallDeadline call = fromContext(context);
        Context.CancellationListener listener = c -> call.cancel(stopOf(c, deadline));
        context.addListener(listener, Runnable::run);
        CompletableFuture<T> future;
        try {
            future = CallDeadline.within(call, body);
        } catch (RuntimeException | Error e) {
            context.removeListener(listener);
            observer.onError(toStatus(e).asRuntimeException());
            return;
        }
        future.whenComplete((result, failure) -> {
            context.removeListener(listener);
            if (failure != null) {
                observer.onError(toStatus(Futures.unwrap(failure)).asRuntimeException());
            } else {
                observer.onNext(result);
                observer.onCompleted();
            }
        });
    }

    /** A token with the deadline of the gRPC {@code context} (none when it has none). */
    private static CallDeadline fromContext(Context context) {
        Deadline deadline = context.getDeadline();
        return CallDeadline.after(
                deadline == null ? null : Duration.ofNanos(deadline.timeRemaining(TimeUnit.NANOSECONDS)));
    }

    /** The status a failure is answered with. */
    public static Status toStatus(Throwable e) {
        if (e instanceof CsiFailure f) {
            return Status.fromCode(Status.Code.valueOf(f.code().name()))
                    .withDescription(f.getMessage())
                    .withCause(f.getCause());
        }
        if (e instanceof CloudException c) {
            return Status.fromCode(
                            Status.Code.valueOf(CloudFailures.code(c.kind()).name()))
                    .withDescription(CloudFailures.message(c))
                    .withCause(c);
        }
        if (e instanceof StatusRuntimeException s) {
            return s.getStatus();
        }
        return Status.INTERNAL.withDescription("internal error: " + e).withCause(e);
    }

    /**
     * Why a call's context ended: its deadline (the context's cause is the deadline's TimeoutException, or the
     * deadline has passed) or the caller's cancellation. The cause decides first, so a deadline timer that fires
     * a hair before the clock agrees still reads as DEADLINE.
     */
    private static CallDeadline.Stop stopOf(Context context, Deadline deadline) {
        Throwable cause = context.cancellationCause();
        boolean timedOut = cause instanceof TimeoutException || (deadline != null && deadline.isExpired());
        return timedOut ? CallDeadline.Stop.DEADLINE : CallDeadline.Stop.CANCELLED;
    }
}
