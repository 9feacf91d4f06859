package dev.imagedisk.csi.cloud;

import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.common.Futures;
import dev.imagedisk.csi.common.NonBlocking;
import dev.imagedisk.csi.common.Scheduler;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a Compute Engine step again after a rate-limit failure ({@link CloudException.Kind#RATE_LIMITED}) with
 * jittered backoff, a bounded number of times; then the last failure stands. Nothing else is retried here: the
 * client library's own retries are off, so this is the one policy in force, and {@link #callAsync} is its one loop.
 * A backoff holds no thread: the next attempt is scheduled ({@link Scheduler}) and sent from a step thread, within
 * the deadline of the call that started the first one.
 */
public final class Retrier {
    private static final Logger LOG = LoggerFactory.getLogger(Retrier.class);

    private final Backoff backoff;
    private final Scheduler scheduler;
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong exhausted = new AtomicLong();
    private final CloudCallObserver observer;

    /**
     * @param scheduler waits out the backoffs and runs the attempts after them
     * @param observer told of each retry (by the method, the first word of {@code what})
     */
    public Retrier(Backoff backoff, Scheduler scheduler, CloudCallObserver observer) {
        this.backoff = backoff;
        this.scheduler = scheduler;
        this.observer = observer;
    }

    /**
     * Sends {@code attempt} (the first one on this thread) and answers with its future; an attempt that fails with a
     * rate-limit answer is sent again after the backoff, within this thread's {@link CallDeadline}; any other failure
     * ends it.
     */
    public <T> CompletableFuture<T> callAsync(String what, Supplier<CompletableFuture<T>> attempt) {
        return callAsync(what, attempt, CallDeadline.current(), 1, Runnable::run);
    }

    /**
     * @param attempts where an attempt after a backoff is sent: at once on the step thread the scheduler ran it on,
     *     or handed to the thread of a synchronous {@link #call}
     */
    private <T> CompletableFuture<T> callAsync(
            String what, Supplier<CompletableFuture<T>> attempt, CallDeadline call, int retry, Executor attempts) {
        return Futures.compose(attempt)
                .handle((value, failure) -> {
                    if (failure == null) {
                        return CompletableFuture.completedFuture(value);
                    }
                    return Futures.compose(() -> {
                        Duration delay = delay(what, Futures.unwrap(failure), retry, call);
                        return CallDeadline.within(
                                call,
                                () -> scheduler.after(delay, () -> {
                                    CompletableFuture<CompletableFuture<T>> next = new CompletableFuture<>();
                                    attempts.execute(() -> next.complete(CallDeadline.within(
                                            call, () -> callAsync(what, attempt, call, retry + 1, attempts))));
                                    return next.thenCompose(f -> f);
                                }));
                    });
                })
                .thenCompose(f -> f);
    }

    /**
     * {@link #callAsync} for a step that answers on this thread: every attempt is sent from this thread, which waits
     * out the backoffs (the timer hands it each next attempt). For requests sent on a thread that may wait (the
     * call's own, or a long-poll thread), never on a {@link NonBlocking} one.
     */
    public <T> T call(String what, Supplier<T> step) {
        BlockingQueue<Runnable> here = new LinkedBlockingQueue<>();
        CompletableFuture<T> result = callAsync(what, () -> Futures.of(step), CallDeadline.current(), 1, here::add);
        if (!result.isDone()) {
            NonBlocking.check(what + " (backing off after a rate-limit answer)");
            result.whenComplete((v, f) -> here.add(() -> {}));
            try {
                while (!result.isDone()) {
                    here.take().run();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw CloudException.stopped(what + " (backing off after a rate-limit answer)", e);
            }
        }
        return Futures.join(result, () -> CloudException.stopped(what, null));
    }

    /**
     * The backoff before retry number {@code retry} (1-based) after {@code failure}; rethrows {@code failure}
     * unless it is a rate-limit failure with retries left that the call can still wait for.
     */
    private Duration delay(String what, Throwable failure, int retry, CallDeadline call) {
        if (!(failure instanceof CloudException e) || !e.is(CloudException.Kind.RATE_LIMITED) || e.retriesExhausted()) {
            throw Futures.rethrow(failure);
        }
        if (retry > backoff.maxRetries()) {
            exhausted.incrementAndGet();
            throw e.afterRetries(backoff.maxRetries());
        }
        Duration delay = backoff.delay(retry);
        if (call.remaining(delay).compareTo(delay) < 0) {
            throw e; // the call that wants this step ends before the retry could be sent
        }
        retries.incrementAndGet();
        int space = what.indexOf(' ');
        observer.retry(space < 0 ? what : what.substring(0, space));
        LOG.debug(
                "{}: {} ({}); retry {}/{} in {} ms",
                what,
                e.reason(),
                e.getMessage(),
                retry,
                backoff.maxRetries(),
                delay.toMillis());
        return delay;
    }

    /** Retries made since start. */
    public long retries() {
        return retries.get();
    }

    /** Steps that were still rate-limited after the last retry. */
    public long exhausted() {
        return exhausted.get();
    }
}
