package dev.imagedisk.csi.controller;

import dev.imagedisk.csi.cloud.DiskRef;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The attach pace of paced disks (Hyperdisk ML: at most 100 attaches of one disk in any 30 s), kept by the
 * controller so Compute Engine never has to refuse one: each attach takes the disk's next slot, now or later, and a
 * caller whose slot is later waits on a {@link Timer} (no thread is held; nothing sleeps), or, when the slot is
 * further away than it may wait, takes none and is told how long (the caller answers a retryable code). Slots are
 * kept in memory; a restarted controller starts afresh, and Compute Engine's own answer (rate limited) backs it up.
 * The clock and the timer are given, so tests move time instead of sleeping.
 */
public final class AttachPace {
    /** Completes a future after a delay without holding a thread while it waits. */
    @FunctionalInterface
    public interface Timer {
        CompletableFuture<Void> after(long nanos);

        /** The JDK's delayed executor (one shared timer thread), running the continuation on {@code executor}. */
        static Timer on(Executor executor) {
            return nanos -> CompletableFuture.runAsync(
                    () -> {}, CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS, executor));
        }

        /** The controller's scheduler: its timer, the continuation on one of its step threads. */
        static Timer on(dev.imagedisk.csi.common.Scheduler scheduler) {
            return nanos -> {
                CompletableFuture<Void> due = new CompletableFuture<>();
                scheduler.schedule(Duration.ofNanos(nanos), () -> due.complete(null));
                return due;
            };
        }
    }

    /** Compute Engine's Hyperdisk ML pace. */
    public static final int HYPERDISK_ML_ATTACHES = 100;

    public static final Duration HYPERDISK_ML_WINDOW = Duration.ofSeconds(30);

    private final int perWindow;
    private final long windowNanos;
    private final LongSupplier clock;
    private final Timer timer;
    /** Per disk, the times (clock nanos) of its slots still inside a window, in order. */
    private final Map<DiskRef, ArrayDeque<Long>> slots = new HashMap<>();

    public AttachPace(int perWindow, Duration window, LongSupplier clock, Timer timer) {
        if (perWindow < 1 || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("a pace is at least 1 attach per a positive window");
        }
        this.perWindow = perWindow;
        this.windowNanos = window.toNanos();
        this.clock = clock;
        this.timer = timer;
    }

    /** Hyperdisk ML's pace on the system clock and the JDK's timer. */
    public static AttachPace hyperdiskMl(Executor executor) {
        return new AttachPace(HYPERDISK_ML_ATTACHES, HYPERDISK_ML_WINDOW, System::nanoTime, Timer.on(executor));
    }

    /** Hyperdisk ML's pace on the system clock and the controller's scheduler. */
    public static AttachPace hyperdiskMl(dev.imagedisk.csi.common.Scheduler scheduler) {
        return new AttachPace(HYPERDISK_ML_ATTACHES, HYPERDISK_ML_WINDOW, System::nanoTime, Timer.on(scheduler));
    }

    public int perWindow() {
        return perWindow;
    }

    public Duration window() {
        return Duration.ofNanos(windowNanos);
    }

    /** How long an attach of {@code disk} asked for now would wait for its slot (zero: none). */
    public synchronized Duration delay(DiskRef disk) {
        return Duration.ofNanos(Math.max(0, nextSlot(disk, clock.getAsLong()) - clock.getAsLong()));
    }

    /**
     * Takes the disk's next slot when it comes within {@code maxWait}: the future completes when the attach may be
     * sent. When the slot is further away, takes nothing and answers null; {@link #delay} says how long.
     */
    public synchronized CompletableFuture<Void> reserve(DiskRef disk, Duration maxWait) {
        long now = clock.getAsLong();
        long slot = nextSlot(disk, now);
        long wait = slot - now;
        if (wait > maxWait.toNanos()) {
            return null;
        }
        slots.computeIfAbsent(disk, d -> new ArrayDeque<>()).addLast(slot);
        return wait <= 0 ? CompletableFuture.completedFuture(null) : timer.after(wait);
    }

    /** Forgets a deleted disk. */
    public synchronized void forget(DiskRef disk) {
        slots.remove(disk);
    }

    /** The earliest time an attach can take: no window of the pace then holds more than {@code perWindow}. */
    private long nextSlot(DiskRef disk, long now) {
        ArrayDeque<Long> taken = slots.get(disk);
        if (taken == null) {
            return now;
        }
        while (!taken.isEmpty() && taken.peekFirst() <= now - windowNanos) {
            taken.pollFirst();
        }
        if (taken.isEmpty()) {
            slots.remove(disk);
            return now;
        }
        long last = taken.peekLast();
        if (taken.size() < perWindow) {
            return Math.max(now, last);
        }
        // the slot perWindow places back must have left the window
        Long[] times = taken.toArray(new Long[0]);
        long bound = times[times.length - perWindow] + windowNanos;
        return Math.max(Math.max(now, last), bound);
    }
}
