package dev.imagedisk.csi.common;

import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The deadline and cancellation of the call being served, without gRPC types: the RPC boundary ({@code server.Rpc})
 * makes one from the gRPC context of each controller call and runs the call's body {@link #within} it; the
 * volume logic and the cloud adapter read it with {@link #current()} to bound their requests, retries,
 * rate-limit waits and operation waits. When the caller cancels or its deadline passes, {@link #cancel} marks
 * the token and interrupts the thread running the body, so a sleep or lock wait ends at once; loops also
 * check {@link #stopped()} between steps.
 */
public final class CallDeadline {
    /** Why a call stopped. */
    public enum Stop {
        /** Still running. */
        NONE,
        /** Its deadline passed. */
        DEADLINE,
        /** The caller cancelled it (or went away). */
        CANCELLED;

        /** Why a call that stopped so stopped, in words: its deadline passed, or else it was cancelled. */
        public String reason() {
            return this == DEADLINE ? "the call's deadline passed" : "the call was cancelled";
        }
    }

    /** No deadline and never cancelled: what code outside a served call sees. */
    public static final CallDeadline NONE = new CallDeadline(Long.MAX_VALUE, System::nanoTime);

    private static final ThreadLocal<CallDeadline> CURRENT = new ThreadLocal<>();

    private final long deadlineNanos;
    private final LongSupplier clock;
    private final Object lock = new Object();
    /** The threads running a step of this call now (a call's steps may run on several threads over its life). */
    private final java.util.Set<Thread> running = new java.util.HashSet<>();
    /** Told once when the call stops. */
    private final List<Runnable> onStop = new java.util.ArrayList<>();

    private volatile Stop stop = Stop.NONE;

    /**
     * @param deadlineNanos the deadline on {@code clock}'s scale, or {@code Long.MAX_VALUE} for none
     * @param clock a {@link System#nanoTime}-like time source
     */
    public CallDeadline(long deadlineNanos, LongSupplier clock) {
        this.deadlineNanos = deadlineNanos;
        this.clock = clock;
    }

    /** A token whose deadline is {@code timeout} from now (null: none), on the system clock. */
    public static CallDeadline after(Duration timeout) {
        return timeout == null
                ? new CallDeadline(Long.MAX_VALUE, System::nanoTime)
                : new CallDeadline(System.nanoTime() + timeout.toNanos(), System::nanoTime);
    }

    /** The token of the call this thread serves, or {@link #NONE}. */
    public static CallDeadline current() {
        CallDeadline d = CURRENT.get();
        return d == null ? NONE : d;
    }

    /**
     * Runs {@code body} on this thread as the call {@code deadline} bounds. An interrupt that {@link #cancel}
     * sent is cleared before returning, so the thread goes back to its pool clean.
     */
    public static <T> T within(CallDeadline deadline, Supplier<T> body) {
        CallDeadline outer = CURRENT.get();
        CURRENT.set(deadline);
        Thread self = Thread.currentThread();
        boolean added;
        synchronized (deadline.lock) {
            added = deadline.running.add(self);
        }
        try {
            if (deadline.stop != Stop.NONE) {
                Thread.currentThread().interrupt();
            }
            return body.get();
        } finally {
            synchronized (deadline.lock) {
                if (added) {
                    deadline.running.remove(self);
                    if (deadline.stop != Stop.NONE) {
                        Thread.interrupted();
                    }
                }
            }
            if (outer == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(outer);
            }
        }
    }

    /**
     * {@code step} as a continuation of the call this token bounds: run on whatever thread completes the stage it
     * follows, it runs {@link #within} this token (a Compute Engine request it sends stops when the call ends).
     */
    public <T, R> java.util.function.BiFunction<T, Throwable, R> bind(
            java.util.function.BiFunction<T, Throwable, R> step) {
        return (value, failure) -> within(this, () -> step.apply(value, failure));
    }

    /** Stops the call: marks it, interrupts the threads running it and tells the {@link #onStop} listeners (once). */
    public void cancel(Stop why) {
        if (why == Stop.NONE) {
            return;
        }
        List<Runnable> tell;
        synchronized (lock) {
            if (stop != Stop.NONE) {
                return;
            }
            stop = why;
            running.forEach(Thread::interrupt);
            tell = List.copyOf(onStop);
            onStop.clear();
        }
        tell.forEach(Runnable::run);
    }

    /**
     * Runs {@code listener} when this call is stopped by {@link #cancel} (at once when it has been already), so a
     * wait that holds no thread (a scheduled step, a shared future) can end with the call. A call that never stops
     * never runs it; {@link #NONE} keeps no listeners.
     */
    public void onStop(Runnable listener) {
        if (this == NONE) {
            return;
        }
        synchronized (lock) {
            if (stop == Stop.NONE) {
                onStop.add(listener);
                return;
            }
        }
        listener.run();
    }

    /** Why the call stopped ({@link Stop#DEADLINE} once the deadline has passed), or {@link Stop#NONE}. */
    public Stop stopped() {
        Stop s = stop;
        if (s == Stop.NONE && deadlineNanos != Long.MAX_VALUE && clock.getAsLong() - deadlineNanos >= 0) {
            return Stop.DEADLINE;
        }
        return s;
    }

    public boolean hasDeadline() {
        return deadlineNanos != Long.MAX_VALUE;
    }

    /** Time left before the deadline (zero once passed or stopped); {@code cap} when there is no deadline. */
    public Duration remaining(Duration cap) {
        if (stop != Stop.NONE) {
            return Duration.ZERO;
        }
        if (!hasDeadline()) {
            return cap;
        }
        long left = Math.max(0, deadlineNanos - clock.getAsLong());
        return left < cap.toNanos() ? Duration.ofNanos(left) : cap;
    }
}
