package dev.imagedisk.csi.cloud.gce;

import com.google.api.core.ApiFuture;
import com.google.api.gax.httpjson.HttpJsonCallContext;
import com.google.cloud.compute.v1.ListGlobalOperationsRequest;
import com.google.cloud.compute.v1.ListZoneOperationsRequest;
import com.google.cloud.compute.v1.Operation;
import com.google.cloud.compute.v1.OperationList;
import com.google.cloud.compute.v1.WaitGlobalOperationRequest;
import com.google.cloud.compute.v1.WaitZoneOperationRequest;
import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.OperationTracker;
import dev.imagedisk.csi.cloud.OperationTracker.Scope;
import dev.imagedisk.csi.common.NonBlocking;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * How the {@link OperationTracker} reads Compute Engine operations: a long poll is {@code zoneOperations.wait}
 * ({@code globalOperations.wait} for an image's), which answers as soon as the operation is DONE; a batch read is
 * one {@code zoneOperations.list} (or {@code globalOperations.list}) filtered to the operations' names
 * ({@code name eq "(op-1|op-2)"}). Requests go through the adapter's budgets and retry policy.
 */
final class GceOperations implements OperationTracker.Source<Operation> {
    /** Interface of the adapter's request path (budget, retries, metrics). */
    interface Requests {
        <T> T call(String method, Supplier<T> call);
    }

    /** How often a long poll checks whether it is still wanted. */
    static final long ABANDON_CHECK_MILLIS = 200;

    private final ComputeClients clients;
    private final Requests requests;

    GceOperations(ComputeClients clients, Requests requests) {
        this.clients = clients;
        this.requests = requests;
    }

    @Override
    public Operation await(Scope scope, String name, Duration timeout, BooleanSupplier abandon) {
        HttpJsonCallContext context = HttpJsonCallContext.createDefault().withTimeoutDuration(timeout);
        if (scope.zone() == null) {
            WaitGlobalOperationRequest request = WaitGlobalOperationRequest.newBuilder()
                    .setProject(scope.project())
                    .setOperation(name)
                    .build();
            return requests.call(
                    "globalOperations.wait",
                    () -> poll(name, clients.globalOperations().waitCallable().futureCall(request, context), abandon));
        }
        WaitZoneOperationRequest request = WaitZoneOperationRequest.newBuilder()
                .setProject(scope.project())
                .setZone(scope.zone())
                .setOperation(name)
                .build();
        return requests.call(
                "zoneOperations.wait",
                () -> poll(name, clients.zoneOperations().waitCallable().futureCall(request, context), abandon));
    }

    @Override
    public Map<String, Operation> read(Scope scope, List<String> names) {
        String filter = filter(names);
        OperationList page;
        if (scope.zone() == null) {
            ListGlobalOperationsRequest request = ListGlobalOperationsRequest.newBuilder()
                    .setProject(scope.project())
                    .setFilter(filter)
                    .setMaxResults(500)
                    .build();
            page = requests.call(
                    "globalOperations.list",
                    () -> clients.globalOperations().listCallable().call(request));
        } else {
            ListZoneOperationsRequest request = ListZoneOperationsRequest.newBuilder()
                    .setProject(scope.project())
                    .setZone(scope.zone())
                    .setFilter(filter)
                    .setMaxResults(500)
                    .build();
            page = requests.call(
                    "zoneOperations.list",
                    () -> clients.zoneOperations().listCallable().call(request));
        }
        Map<String, Operation> out = new HashMap<>();
        for (Operation op : page.getItemsList()) {
            out.put(op.getName(), op);
        }
        return out;
    }

    @Override
    public boolean done(Operation operation) {
        return operation.getStatus() == Operation.Status.DONE;
    }

    /** {@code name eq "(a|b|c)"}: Compute Engine reads the literal as an RE2 expression matching the whole name. */
    static String filter(List<String> names) {
        StringBuilder b = new StringBuilder("name eq \"(");
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                b.append('|');
            }
            for (char c : names.get(i).toCharArray()) {
                if (!Character.isLetterOrDigit(c) && c != '-' && c != '_') {
                    b.append('\\');
                }
                b.append(c);
            }
        }
        return b.append(")\"").toString();
    }

    /**
     * The answer of one long poll; gives it up (cancelling it) once {@code abandon} says so. Runs on the tracker's
     * long-poll threads, which are there to wait; refused on a {@link NonBlocking} thread.
     */
    private static Operation poll(String name, ApiFuture<Operation> poll, BooleanSupplier abandon) {
        NonBlocking.check("waiting for operation " + name);
        while (true) {
            try {
                return poll.get(ABANDON_CHECK_MILLIS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                if (abandon.getAsBoolean()) {
                    poll.cancel(true);
                    throw new CloudException(
                            CloudException.Kind.CANCELLED, "waiting for operation " + name + ": no longer wanted");
                }
            } catch (InterruptedException e) {
                poll.cancel(true);
                Thread.currentThread().interrupt();
                throw new CloudException(
                        CloudException.Kind.CANCELLED, "waiting for operation " + name + ": interrupted");
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
