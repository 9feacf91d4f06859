package dev.imagedisk.csi.common;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Runs steps later without holding a thread meanwhile: a timer waits, and the step then runs on a step thread (one
 * that may send a request, never a timer or completion thread). Backoffs and polls are scheduled here instead of
 * sleeping.
 */
@FunctionalInterface
public interface Scheduler extends Executor {
    /** Runs {@code step} on a step thread once {@code delay} has passed. */
    void schedule(Duration delay, Runnable step);

    /**
     * A future completed once {@code delay} has passed, for a thread that waits for it itself (a synchronous backoff):
     * nothing but the completion runs, so it needs no step thread. Attach no continuation that does work.
     */
    default CompletableFuture<Void> timer(Duration delay) {
        CompletableFuture<Void> due = new CompletableFuture<>();
        schedule(delay, () -> due.complete(null));
        return due;
    }

    /** Runs {@code step} on a step thread now. */
    @Override
    default void execute(Runnable step) {
        schedule(Duration.ZERO, step);
    }

    /**
     * {@code step}'s future, the step run after {@code delay} on a step thread within the calling thread's
     * {@link CallDeadline}; when that call stops first, the step runs at once (and finds the call stopped).
     */
    default <T> CompletableFuture<T> after(Duration delay, Supplier<CompletableFuture<T>> step) {
        CallDeadline call = CallDeadline.current();
        CompletableFuture<T> out = new CompletableFuture<>();
        AtomicBoolean started = new AtomicBoolean();
        Runnable run = () -> {
            if (started.compareAndSet(false, true)) {
                try {
                    execute(() -> CallDeadline.within(call, () -> Futures.compose(step))
                            .whenComplete((value, failure) -> {
                                if (failure != null) {
                                    out.completeExceptionally(Futures.unwrap(failure));
                                } else {
                                    out.complete(value);
                                }
                            }));
                } catch (RuntimeException refused) { // the scheduler is closed
                    out.completeExceptionally(refused);
                }
            }
        };
        try {
            schedule(delay, run);
        } catch (RuntimeException refused) {
            out.completeExceptionally(refused);
            return out;
        }
        call.onStop(run);
        return out;
    }

    /** {@code step}'s result, computed now on a step thread within the calling thread's {@link CallDeadline}. */
    default <T> CompletableFuture<T> supply(Supplier<T> step) {
        return after(Duration.ZERO, () -> Futures.of(step));
    }
}
