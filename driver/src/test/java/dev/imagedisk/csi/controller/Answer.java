package dev.imagedisk.csi.controller;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What a unary RPC answered when called directly on the service (no socket): its value or its status. A call
 * that waits for Compute Engine operations answers from another thread once they are DONE ({@code Rpc.unaryAsync}):
 * {@link #status} waits up to {@link #ANSWER_WITHIN} for the answer; {@link #await} bounds the wait itself.
 */
final class Answer<T> implements StreamObserver<T> {
    static final Duration ANSWER_WITHIN = Duration.ofSeconds(30);

    private final CountDownLatch done = new CountDownLatch(1);
    private volatile T value;
    private volatile Status status;

    @Override
    public void onNext(T v) {
        value = v;
    }

    @Override
    public void onError(Throwable t) {
        status = Status.fromThrowable(t);
        done.countDown();
    }

    @Override
    public void onCompleted() {
        status = Status.OK;
        done.countDown();
    }

    /** Whether the call answered within {@code limit}. */
    boolean await(Duration limit) throws InterruptedException {
        return done.await(limit.toNanos(), TimeUnit.NANOSECONDS);
    }

    boolean answered() {
        return done.getCount() == 0;
    }

    Status status() {
        try {
            await(ANSWER_WITHIN);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!answered()) {
            throw new AssertionError("the call has not answered");
        }
        return status;
    }

    Status.Code code() {
        return status().getCode();
    }

    /** The status's description (empty when it has none). */
    String description() {
        String d = status().getDescription();
        return d == null ? "" : d;
    }

    /** The value; fails naming the status when the call failed. */
    T value() {
        if (!status().isOk()) {
            throw new AssertionError("the call failed: " + status);
        }
        return value;
    }
}
