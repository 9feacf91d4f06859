package dev.imagedisk.csi.cloud.gce;

import com.google.api.core.ApiFuture;
import com.google.api.gax.httpjson.HttpJsonCallContext;
import com.google.cloud.compute.v1.Operation;
import com.google.cloud.compute.v1.WaitGlobalOperationRequest;
import com.google.cloud.compute.v1.WaitZoneOperationRequest;
import dev.imagedisk.csi.cloud.CloudCallObserver;
import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.CloudException.Kind;
import dev.imagedisk.csi.common.CallDeadline;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits for a zonal operation with {@code zoneOperations.wait} (a global one, such as an image's, with
 * {@code globalOperations.wait}): each call is a long poll that returns
 * when the operation is DONE (or after about two minutes), so the driver learns of completion as soon
 * as Compute Engine knows it, instead of the client library's sleep-and-poll (0.5 s growing to 20 s).
 *
 * <p>The wait is bounded by the call being served ({@link CallDeadline}): each long poll lasts at most the time left
 * before its deadline, and while a poll is out the caller's cancellation is checked every
 * {@value #CANCEL_CHECK_MILLIS} ms, so a cancelled call stops waiting within that (the operation goes on in Compute
 * Engine; a retry of the call finds its resource by name).
 */
final class OperationWaiter {
    /** Sends one request through the driver's limiter and retry policy. */
    interface Requests {
        <T> T call(String method, java.util.function.Supplier<T> call);
    }

    static final long CANCEL_CHECK_MILLIS = 200;

    private final ComputeClients clients;
    private final Requests requests;
    private final Duration timeout;
    private final Duration pollLimit;
    private final CloudCallObserver observer;

    /**
     * @param timeout how long an operation may take in all
     * @param pollLimit the longest one {@code wait} call may block on our side
     * @param observer told of each operation seen DONE
     */
    OperationWaiter(ComputeClients clients, Requests requests, Duration timeout, Duration pollLimit,
            CloudCallObserver observer) {
        this.clients = clients;
        this.requests = requests;
        this.timeout = timeout;
        this.pollLimit = pollLimit;
        this.observer = observer;
    }

    /**
     * Returns the operation once DONE and successful; throws the mapped {@link CloudException} when it failed,
     * {@link Kind#DEADLINE} when it is not DONE within the operation timeout or the call's deadline, and
     * {@link Kind#CANCELLED} when the call is cancelled.
     *
     * @param zone the operation's zone, or null for a global operation (an image's)
     */
    Operation await(String what, String project, String zone, Operation started) {
        CallDeadline call = CallDeadline.current();
        long begun = System.nanoTime();
        long deadline = System.nanoTime() + timeout.toNanos();
        Operation op = started;
        while (op.getStatus() != Operation.Status.DONE) {
            String waiting = what + ": waiting for operation " + op.getName() + " (status " + op.getStatus()
                    + "; it goes on in Compute Engine)";
            CloudException.checkCall(waiting);
            long left = Math.min(deadline - System.nanoTime(), call.remaining(timeout).toNanos());
            if (left <= 0) {
                CloudException.checkCall(waiting);
                throw new CloudException(Kind.DEADLINE, 0, null, what + ": operation " + op.getName()
                        + " not DONE after " + timeout.toSeconds() + " s (status " + op.getStatus() + ")", null);
            }
            // bounded by what is left of the operation timeout and of the call, so a slow operation ends on time
            HttpJsonCallContext context = HttpJsonCallContext.createDefault()
                    .withTimeoutDuration(Duration.ofNanos(Math.min(left, pollLimit.toNanos())));
            String name = op.getName();
            try {
                if (zone == null) {
                    WaitGlobalOperationRequest request = WaitGlobalOperationRequest.newBuilder()
                            .setProject(project).setOperation(name).build();
                    op = requests.call("globalOperations.wait", () -> awaitPoll(waiting,
                            clients.globalOperations().waitCallable().futureCall(request, context), call));
                } else {
                    WaitZoneOperationRequest request = WaitZoneOperationRequest.newBuilder()
                            .setProject(project).setZone(zone).setOperation(name).build();
                    op = requests.call("zoneOperations.wait", () -> awaitPoll(waiting,
                            clients.zoneOperations().waitCallable().futureCall(request, context), call));
                }
            } catch (CloudException e) {
                if (!e.is(Kind.DEADLINE)) {
                    throw e;
                }
                // the long poll itself timed out on our side; the operation goes on: poll again (or stop, above)
            }
        }
        observer.operationDone(op.getOperationType(), Duration.ofNanos(System.nanoTime() - begun));
        CloudException failure = GceErrors.fromOperation(what, op);
        if (failure != null) {
            throw failure;
        }
        return op;
    }

    /** The answer of one long poll; gives up on it (cancelling it) as soon as the call has ended. */
    private static Operation awaitPoll(String waiting, ApiFuture<Operation> poll, CallDeadline call) {
        while (true) {
            try {
                return poll.get(CANCEL_CHECK_MILLIS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                if (call.stopped() != CallDeadline.Stop.NONE) {
                    poll.cancel(true);
                    throw CloudException.stopped(waiting, null);
                }
            } catch (InterruptedException e) {
                poll.cancel(true);
                Thread.currentThread().interrupt();
                throw CloudException.stopped(waiting, e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException r) {
                    throw r;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException(cause);
            }
        }
    }
}
