package dev.imagedisk.gce.emulator;

import static dev.imagedisk.gce.emulator.Checks.*;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operations: zonal and global, their life (PENDING, RUNNING half-way, DONE with the effect
 * applied or an error), requestId replays, and zoneOperations/globalOperations get, wait (long-poll
 * up to the wait cap), delete and list.
 */
final class OperationService extends ComputeApi {
    private static final Logger log = LoggerFactory.getLogger(OperationService.class);

    private volatile Duration waitTimeout;

    private final Map<String, Model.Operation> operations = new HashMap<>();

    private final Map<String, Model.Operation> requestIds = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Model.Operation> e) {
            return size() > 100_000;
        }
    };

    OperationService(ComputeState state, Duration waitTimeout) {
        super(state, null);
        this.waitTimeout = waitTimeout;
    }

    void setWaitTimeout(Duration waitTimeout) {
        this.waitTimeout = waitTimeout;
    }

    /** Moves every operation's times back by {@code by}, as if that much time had passed since they were made. */
    void age(Duration by) {
        synchronized (lock) {
            for (Model.Operation op : operations.values()) {
                op.insertTime = back(op.insertTime, by);
                op.startTime = back(op.startTime, by);
                op.endTime = back(op.endTime, by);
            }
        }
        changed();
    }

    private static String back(String time, Duration by) {
        return time == null
                ? null
                : Json.timestamp(
                        java.time.OffsetDateTime.parse(time).toInstant().minus(by));
    }

    Model.Operation earlier(String requestId) {
        if (requestId == null || requestId.isEmpty()) {
            return null;
        }
        return requestIds.get(requestId);
    }

    Model.Operation newOperation(
            String project, String zone, String type, String targetLink, long targetId, String requestId) {
        Model.Operation op = new Model.Operation();
        op.project = project;
        op.zone = zone;
        op.name = newOperationName();
        op.id = newId();
        op.operationType = type;
        op.targetLink = targetLink;
        op.targetId = targetId;
        op.insertTime = Json.now();
        op.user = "imagedisk-emulator@" + project + ".iam.gserviceaccount.com";
        operations.put(op.key(), op);
        if (requestId != null && !requestId.isEmpty()) {
            requestIds.put(requestId, op);
        }
        return op;
    }

    ObjectNode launch(Model.Operation op, Effect effect) {
        ComputeFailure.Context context = new ComputeFailure.Context(
                op.project, op.zone, op.subject != null ? op.subject : Links.relative(op.targetLink));
        return launch(op, faults.takeOperationFailure(op.operationType, op.method, context), effect);
    }

    ObjectNode launch(Model.Operation op, OperationFailure failure, Effect effect) {
        Duration d = faults.operationDuration();
        if (d.isZero() || state.closed) {
            complete(op, failure, effect);
        } else {
            long nanos = d.toNanos();
            state.scheduler.schedule(() -> markRunning(op), nanos / 2, TimeUnit.NANOSECONDS);
            state.scheduler.schedule(() -> complete(op, failure, effect), nanos, TimeUnit.NANOSECONDS);
        }
        synchronized (lock) {
            return render(op);
        }
    }

    private void markRunning(Model.Operation op) {
        synchronized (lock) {
            if (op.status.equals("PENDING")) {
                op.status = "RUNNING";
                op.startTime = Json.now();
            }
        }
    }

    private void complete(Model.Operation op, OperationFailure failure, Effect effect) {
        markRunning(op);
        OperationFailure error = failure;
        if (error == null && effect != null) {
            try {
                effect.run();
            } catch (OperationFailure f) {
                error = f;
            } catch (Exception e) {
                log.warn("operation {} {} failed", op.operationType, op.targetLink, e);
                error = new OperationFailure("INTERNAL_ERROR", "Internal error: " + e.getMessage(), 500);
            }
        }
        synchronized (lock) {
            if (error != null) {
                if (effect != null) {
                    effect.abort();
                }
                op.errorCode = error.code;
                op.errorMessage = error.getMessage();
                op.errorDetails = error.details;
                op.httpErrorStatusCode = error.httpStatus;
                op.httpErrorMessage = error.httpStatus > 0 ? Faults.httpStatusMessage(error.httpStatus) : null;
            }
            op.status = "DONE";
            op.progress = 100;
            op.endTime = Json.now();
        }
        op.done.complete(null);
        changed();
    }

    private Model.Operation operation(String project, String zone, String name) {
        String key = zone == null ? project + "/global/" + name : project + "/" + zone + "/" + name;
        Model.Operation op = operations.get(key);
        if (op == null) {
            throw GceException.notFound(
                    zone == null
                            ? "projects/" + project + "/global/operations/" + name
                            : Links.zonePath(project, zone) + "/operations/" + name);
        }
        return op;
    }

    ObjectNode getOperation(String project, String zone, String name) {
        return locked(() -> render(operation(project, zone, name)));
    }

    ObjectNode waitOperation(String project, String zone, String name) {
        Model.Operation op;
        synchronized (lock) {
            op = operation(project, zone, name);
        }
        try {
            op.done.get(waitTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // like Compute Engine: return the operation as it is when the wait runs out
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
        synchronized (lock) {
            return render(op);
        }
    }

    void deleteOperation(String project, String zone, String name) {
        synchronized (lock) {
            Model.Operation op = operation(project, zone, name);
            operations.remove(op.key());
        }
    }

    ObjectNode listOperations(String project, String zone, Map<String, String> query) {
        synchronized (lock) {
            List<Model.Operation> ops = new ArrayList<>();
            for (Model.Operation op : operations.values()) {
                if (op.project.equals(project) && java.util.Objects.equals(op.zone, zone)) {
                    ops.add(op);
                }
            }
            ops.sort(Comparator.comparing((Model.Operation o) -> o.insertTime).thenComparing(o -> o.name));
            List<ObjectNode> items = new ArrayList<>();
            for (Model.Operation op : ops) {
                items.add(render(op));
            }
            String path = zone == null
                    ? "projects/" + project + "/global/operations"
                    : Links.zonePath(project, zone) + "/operations";
            return Lists.page("compute#operationList", path, links().api() + path, items, query);
        }
    }

    ObjectNode render(Model.Operation op) {
        ObjectNode n = Json.object();
        n.put("kind", "compute#operation");
        Json.putInt64(n, "id", op.id);
        n.put("name", op.name);
        if (op.zone != null) {
            n.put("zone", links().zone(op.project, op.zone));
        }
        n.put("operationType", op.operationType);
        n.put("targetLink", op.targetLink);
        Json.putInt64(n, "targetId", op.targetId);
        n.put("status", op.status);
        n.put("user", op.user);
        n.put("progress", op.progress);
        n.put("insertTime", op.insertTime);
        if (op.startTime != null) {
            n.put("startTime", op.startTime);
        }
        if (op.endTime != null) {
            n.put("endTime", op.endTime);
        }
        if (op.errorCode != null) {
            ObjectNode err = n.putObject("error");
            ObjectNode e0 = err.putArray("errors").addObject();
            e0.put("code", op.errorCode);
            e0.put("message", op.errorMessage);
            if (op.errorDetails != null) {
                e0.set("errorDetails", op.errorDetails);
            }
        }
        if (op.httpErrorStatusCode > 0) {
            n.put("httpErrorStatusCode", op.httpErrorStatusCode);
            n.put("httpErrorMessage", op.httpErrorMessage);
        }
        n.put(
                "selfLink",
                op.zone == null
                        ? links().globalOperation(op.project, op.name)
                        : links().zoneOperation(op.project, op.zone, op.name));
        return n;
    }

    /** Marks the service closed and releases every waiter. */
    void close() {
        state.closed = true;
        List<Model.Operation> ops;
        synchronized (lock) {
            ops = new ArrayList<>(operations.values());
        }
        for (Model.Operation op : ops) {
            op.done.complete(null);
        }
    }
}
