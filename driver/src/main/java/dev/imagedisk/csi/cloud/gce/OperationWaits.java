package dev.imagedisk.csi.cloud.gce;

import com.google.cloud.compute.v1.Operation;
import dev.imagedisk.csi.cloud.CloudCallObserver;
import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.OperationTracker;
import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.common.DaemonThreads;
import dev.imagedisk.csi.common.NonBlocking;
import dev.imagedisk.csi.common.SchedulerThreads;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How the adapter waits for its operations: one {@link OperationTracker} on threads of its own (a few long polls
 * {@code compute-op-wait-N}, the batch reads {@code compute-op-list}, and the completions {@code compute-op-done-N},
 * which never block: each hands its future's callers over to a step thread). {@link #close} stops the tracker's tick
 * and ends these threads.
 */
final class OperationWaits implements AutoCloseable {
    /** Long polls out at once; the other pending operations are read in batches. */
    static final int LONG_POLLS = 4;
    /** How often the pending operations that have no long poll are read (one list request per zone and batch). */
    static final Duration LIST_INTERVAL = Duration.ofMillis(500);

    private final ExecutorService pollers =
            Executors.newFixedThreadPool(LONG_POLLS, DaemonThreads.named("compute-op-wait"));
    private final ExecutorService listers = Executors.newSingleThreadExecutor(DaemonThreads.named("compute-op-list"));
    private final ExecutorService completions = Executors.newFixedThreadPool(2, NonBlocking.threads("compute-op-done"));
    private final SchedulerThreads steps;
    private final CloudCallObserver observer;
    private final OperationTracker<Operation> tracker;

    /**
     * @param requests the adapter's request path (the long polls and batch reads go through its budgets)
     * @param pollLimit the longest one {@code zoneOperations.wait} long poll may block
     * @param timeout how long an operation may take in all, on {@code nanos}
     * @param steps ticks the tracker (its timer) and runs the callers' next steps
     */
    OperationWaits(
            ComputeClients clients,
            GceOperations.Requests requests,
            Duration pollLimit,
            Duration timeout,
            LongSupplier nanos,
            SchedulerThreads steps,
            CloudCallObserver observer) {
        this.steps = steps;
        this.observer = observer;
        this.tracker = new OperationTracker<>(
                        new GceOperations(clients, requests),
                        LONG_POLLS,
                        pollLimit,
                        LIST_INTERVAL,
                        timeout,
                        nanos,
                        pollers,
                        listers,
                        completions)
                .start(steps.timer());
    }

    /**
     * The operation once DONE without error; failed with the mapped {@link CloudException} when it failed,
     * DEADLINE when it is not DONE within the operation timeout or the call's deadline, CANCELLED when the call
     * is cancelled (the operation goes on; a retry finds its resource by name). Completed on a step thread.
     *
     * @param zone the operation's zone, or null for a global operation (an image's)
     */
    CompletableFuture<Operation> await(String what, String project, String zone, Operation started) {
        long begun = System.nanoTime();
        return tracker.await(
                        what,
                        new OperationTracker.Scope(project, zone),
                        started,
                        started.getName(),
                        CallDeadline.current())
                .thenApplyAsync(
                        op -> {
                            observer.operationDone(op.getOperationType(), Duration.ofNanos(System.nanoTime() - begun));
                            CloudException failure = GceErrors.fromOperation(what, op);
                            if (failure != null) {
                                throw failure;
                            }
                            return op;
                        },
                        steps);
    }

    /** Operations being waited for. */
    int pending() {
        return tracker.pending();
    }

    boolean closed() {
        return tracker.closed();
    }

    /** Stops the tracker (waits in progress end UNAVAILABLE) and ends the long-poll, list and completion threads. */
    @Override
    public void close() {
        tracker.close();
        pollers.shutdownNow();
        listers.shutdownNow();
        completions.shutdownNow();
    }

    /** Whether those threads have ended (after {@link #close}), waiting up to {@code wait}. */
    boolean awaitTermination(Duration wait) throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        for (ExecutorService pool : List.of(pollers, listers, completions)) {
            if (!pool.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return false;
            }
        }
        return true;
    }
}
