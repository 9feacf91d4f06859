package dev.imagedisk.csi.common;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Scheduler} on its own threads: one timer thread ({@code NAME-timer}, {@link NonBlocking}: it only hands
 * due steps over) and a few step threads ({@code NAME-step-N}, started when needed and ended when idle). Closing it
 * ends both; scheduling after that is refused ({@link RejectedExecutionException}).
 */
public final class SchedulerThreads implements Scheduler, AutoCloseable {
    private final ScheduledThreadPoolExecutor timer;
    private final ExecutorService steps;

    /** @param stepThreads step threads at most */
    public SchedulerThreads(String name, int stepThreads) {
        this.timer = new ScheduledThreadPoolExecutor(1, NonBlocking.threads(name + "-timer"));
        timer.setRemoveOnCancelPolicy(true);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(
                stepThreads,
                stepThreads,
                30,
                TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(),
                DaemonThreads.named(name + "-step"));
        pool.allowCoreThreadTimeOut(true);
        this.steps = pool;
    }

    @Override
    public void schedule(Duration delay, Runnable step) {
        if (delay.isZero() || delay.isNegative()) {
            steps.execute(step);
        } else {
            timer.schedule(
                    () -> {
                        try {
                            steps.execute(step);
                        } catch (RejectedExecutionException closed) {
                            // closed meanwhile: the process (or the test) is going away
                        }
                    },
                    delay.toNanos(),
                    TimeUnit.NANOSECONDS);
        }
    }

    /** Completed by the timer thread itself: a waiter needs no step thread to be woken. */
    @Override
    public CompletableFuture<Void> timer(Duration delay) {
        CompletableFuture<Void> due = new CompletableFuture<>();
        timer.schedule(() -> due.complete(null), Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
        return due;
    }

    /** The timer, for a periodic tick (it must not block). */
    public ScheduledThreadPoolExecutor timer() {
        return timer;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        steps.shutdownNow();
    }

    /** Whether both the timer and the step threads have ended (after {@link #close}), waiting up to {@code wait}. */
    public boolean awaitTermination(Duration wait) throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        return timer.awaitTermination(wait.toNanos(), TimeUnit.NANOSECONDS)
                && steps.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
}
