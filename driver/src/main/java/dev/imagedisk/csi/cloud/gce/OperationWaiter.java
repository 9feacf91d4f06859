package dev.imagedisk.csi.cloud.gce;

import com.google.api.gax.httpjson.HttpJsonCallContext;
import com.google.cloud.compute.v1.Operation;
import com.google.cloud.compute.v1.WaitGlobalOperationRequest;
import com.google.cloud.compute.v1.WaitZoneOperationRequest;
import dev.imagedisk.csi.cloud.CloudCallObserver;
import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.CloudException.Kind;
import java.time.Duration;

/**
 * Waits for a zonal operation with {@code zoneOperations.wait} (a global one, such as an image's, with
 * {@code globalOperations.wait}): each call is a long poll that returns
 * when the operation is DONE (or after about two minutes), so the driver learns of completion as soon
 * as Compute Engine knows it, instead of the client library's sleep-and-poll (0.5 s growing to 20 s).
 */
final class OperationWaiter {
    /** Sends one request through the driver's limiter and retry policy. */
    interface Requests {
        <T> T call(String method, java.util.function.Supplier<T> call);
    }

    private final ComputeClients clients;
    private final Requests requests;
    private final Duration timeout;
    private final Duration pollLimit;
    private CloudCallObserver observer = CloudCallObserver.NONE;

    /**
     * @param timeout how long an operation may take in all
     * @param pollLimit the longest one {@code wait} call may block on our side
     */
    OperationWaiter(ComputeClients clients, Requests requests, Duration timeout, Duration pollLimit) {
        this.clients = clients;
        this.requests = requests;
        this.timeout = timeout;
        this.pollLimit = pollLimit;
    }

    /**
     * Returns the operation once DONE and successful; throws the mapped {@link CloudException} when it failed
     * and {@link Kind#DEADLINE} when it is not DONE within the operation timeout.
     */
    void observedBy(CloudCallObserver observer) {
        this.observer = observer;
    }

    /** @param zone the operation's zone, or null for a global operation */
    Operation await(String what, String project, String zone, Operation started) {
        long begun = System.nanoTime();
        long deadline = System.nanoTime() + timeout.toNanos();
        Operation op = started;
        while (op.getStatus() != Operation.Status.DONE) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new CloudException(Kind.DEADLINE, 0, null, what + ": operation " + op.getName()
                        + " not DONE after " + timeout.toSeconds() + " s (status " + op.getStatus() + ")", null);
            }
            // bounded by what is left of the operation timeout, so a slow operation ends on time
            HttpJsonCallContext context = HttpJsonCallContext.createDefault()
                    .withTimeoutDuration(Duration.ofNanos(Math.min(left, pollLimit.toNanos())));
            String name = op.getName();
            try {
                if (zone == null) {
                    WaitGlobalOperationRequest request = WaitGlobalOperationRequest.newBuilder()
                            .setProject(project).setOperation(name).build();
                    op = requests.call("globalOperations.wait",
                            () -> clients.globalOperations().waitCallable().call(request, context));
                } else {
                    WaitZoneOperationRequest request = WaitZoneOperationRequest.newBuilder()
                            .setProject(project).setZone(zone).setOperation(name).build();
                    op = requests.call("zoneOperations.wait",
                            () -> clients.zoneOperations().waitCallable().call(request, context));
                }
            } catch (CloudException e) {
                if (!e.is(Kind.DEADLINE)) {
                    throw e;
                }
                // the long poll itself timed out on our side; the operation goes on: poll again
            }
        }
        observer.operationDone(op.getOperationType(), Duration.ofNanos(System.nanoTime() - begun));
        CloudException failure = GceErrors.fromOperation(what, op);
        if (failure != null) {
            throw failure;
        }
        return op;
    }
}
