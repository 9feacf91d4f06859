package dev.imagedisk.csi.cloud;

import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.common.Futures;
import dev.imagedisk.csi.common.Scheduler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
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
        return callAsync(what, attempt, CallDeadline.current(), 1);
    }

    private <T> CompletableFuture<T> callAsync(
            String what, Supplier<CompletableFuture<T>> attempt, CallDeadline call, int retry) {
        return Futures.compose(attempt)
                .handle((value, failure) -> {
                    if (failure == null) {
                        return CompletableFuture.completedFuture(value);
                    }
                    return Futures.compose(() -> {
                        Duration delay = delay(what, Futures.unwrap(failure), retry, call);
                        return CallDeadline.within(
                                call, () -> scheduler.after(delay, () -> callAsync(what, attempt, call, retry + 1)));
                    });
                })
                .thenCompose(f -> f);
    }

    /**
     * {@link #callAsync} for a step that answers on this thread: the attempts and the backoffs between them run here.
     * For requests sent on a thread that may wait (the call's own, or a step thread), never on a completion thread.
     * The backoff holds this thread, not one of the scheduler's: were the retry sent from a step thread while this one
     * waits for it, callers on every step thread would wait for retries that no thread is left to send.
     */
    public <T> T call(String what, Supplier<T> step) {
        CallDeadline call = CallDeadline.current();
        for (int retry = 1; ; retry++) {
            try {
                return step.get();
            } catch (RuntimeException failure) {
                Duration delay = delay(what, failure, retry, call);
                CompletableFuture<Void> due = scheduler.timer(delay);
                call.onStop(() -> due.complete(null)); // the next attempt then finds the call stopped
                Futures.join(
                        due, () -> CloudException.stopped(what + " (backing off after a rate-limit answer)", null));
            }
        }
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
