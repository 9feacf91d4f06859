package dev.imagedisk.csi.cloud;

import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.common.Futures;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a Compute Engine step again after a rate-limit failure ({@link CloudException.Kind#RATE_LIMITED})
 * with jittered backoff, a bounded number of times; then the last failure stands. Nothing else is
 * retried here: the client library's own retries are off, so this is the one policy in force.
 */
public final class Retrier {
    private static final Logger LOG = LoggerFactory.getLogger(Retrier.class);

    /** Sleeps between attempts; replaceable in tests. */
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private final Backoff backoff;
    private final Sleeper sleeper;
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong exhausted = new AtomicLong();

    private final CloudCallObserver observer;

    /** @param observer told of each retry (by the method, the first word of {@code what}) */
    public Retrier(Backoff backoff, Sleeper sleeper, CloudCallObserver observer) {
        this.backoff = backoff;
        this.sleeper = sleeper;
        this.observer = observer;
    }

    public Retrier(Backoff backoff, CloudCallObserver observer) {
        this(backoff, d -> Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000)), observer);
    }

    /** Runs {@code step}, retrying rate-limit failures; {@code what} names it in logs. */
    public <T> T call(String what, Supplier<T> step) {
        for (int retry = 1; ; retry++) {
            try {
                return step.get();
            } catch (CloudException e) {
                backOff(what, e, retry);
            }
        }
    }

    /**
     * {@link #call} for a step that answers with a future: an attempt that fails with a rate-limit answer is
     * sent again after the backoff, within the calling thread's {@link CallDeadline}; any other failure ends it.
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
                    return CallDeadline.within(
                            call,
                            () -> Futures.compose(() -> {
                                Throwable f = Futures.unwrap(failure);
                                if (!(f instanceof CloudException e)) {
                                    throw Futures.rethrow(f);
                                }
                                backOff(what, e, retry);
                                return callAsync(what, attempt, call, retry + 1);
                            }));
                })
                .thenCompose(f -> f);
    }

    /**
     * For a caller with its own loop: rethrows {@code failure} unless it is a rate-limit failure with
     * retries left, in which case it sleeps the backoff before retry number {@code retry} (1-based).
     */
    public void backOff(String what, CloudException failure, int retry) {
        if (!failure.is(CloudException.Kind.RATE_LIMITED) || failure.retriesExhausted()) {
            throw failure;
        }
        if (retry > backoff.maxRetries()) {
            exhausted.incrementAndGet();
            throw failure.afterRetries(backoff.maxRetries());
        }
        Duration delay = backoff.delay(retry);
        if (CallDeadline.current().remaining(delay).compareTo(delay) < 0) {
            throw failure; // the call that wants this step ends before the retry could be sent
        }
        retries.incrementAndGet();
        int space = what.indexOf(' ');
        observer.retry(space < 0 ? what : what.substring(0, space));
        LOG.debug(
                "{}: {} ({}); retry {}/{} in {} ms",
                what,
                failure.reason(),
                failure.getMessage(),
                retry,
                backoff.maxRetries(),
                delay.toMillis());
        try {
            sleeper.sleep(delay);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw CloudException.stopped(what + " (backing off after a rate-limit answer)", ie);
        }
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
