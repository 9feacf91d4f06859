package dev.imagedisk.gce.emulator;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What the resource services share: the records and their lock (from {@link ComputeState}),
 * lookups that answer 404, and the operation calls (delegated to {@link OperationService}).
 */
abstract class ComputeApi {
    final ComputeState state;
    final Object lock;
    final Storage storage;
    final Faults faults;
    final Sharing sharing;
    final Map<String, Model.Image> images;
    final Map<String, Model.Disk> disks;
    final Map<String, Model.Instance> instances;
    private final OperationService ops;

    ComputeApi(ComputeState state, OperationService ops) {
        this.state = state;
        this.lock = state.lock;
        this.storage = state.storage;
        this.faults = state.faults;
        this.sharing = state.sharing;
        this.images = state.images;
        this.disks = state.disks;
        this.instances = state.instances;
        this.ops = ops;
    }

    Links links() {
        return state.links;
    }

    void changed() {
        state.onChange.run();
    }

    /** What an operation does when it completes; {@link #abort} runs under the lock. */
    interface Effect {
        void run() throws Exception;

        void abort();

        /**
         * Starts the work; the operation is DONE when the returned stage completes (failed: with the failure).
         * By default {@link #run} is all the work.
         */
        default java.util.concurrent.CompletionStage<Void> start() throws Exception {
            run();
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }

        /** An effect of {@code run}, undone by {@code abort}. */
        static Effect of(Action run, Runnable abort) {
            return new Effect() {
                @Override
                public void run() throws Exception {
                    run.run();
                }

                @Override
                public void abort() {
                    abort.run();
                }
            };
        }

        /** An effect that does nothing (the operation only completes). */
        Effect NONE = of(() -> {}, () -> {});
    }

    /** The work of an {@link Effect}. */
    interface Action {
        void run() throws Exception;
    }

    /** What {@code get} answers, read under the lock. */
    <T> T locked(Supplier<T> get) {
        synchronized (lock) {
            return get.get();
        }
    }

    Model.Operation earlier(String requestId) {
        return ops.earlier(requestId);
    }

    Model.Operation newOperation(
            String project, String zone, String type, String targetLink, long targetId, String requestId) {
        return ops.newOperation(project, zone, type, targetLink, targetId, requestId);
    }

    /**
     * A new operation of the API method {@code method} (e.g. {@code disks.insert}); its
     * operationType is the method's name after the dot.
     */
    Model.Operation newOperationOf(
            String method, String project, String zone, String targetLink, long targetId, String requestId) {
        Model.Operation op =
                newOperation(project, zone, method.substring(method.indexOf('.') + 1), targetLink, targetId, requestId);
        op.method = method;
        return op;
    }

    /** A page of {@code kind} of the records that {@code keep} keeps, each rendered. */
    <T> ObjectNode listPage(
            String kind,
            String path,
            String link,
            Collection<T> records,
            Predicate<T> keep,
            Function<T, ObjectNode> render,
            Map<String, String> query) {
        synchronized (lock) {
            List<ObjectNode> items = new ArrayList<>();
            for (T r : records) {
                if (keep.test(r)) {
                    items.add(render.apply(r));
                }
            }
            return Lists.page(kind, path, link, items, query);
        }
    }

    /** A page of zonal collection {@code collection} (disks, instances) in {@code project}/{@code zone}. */
    <T> ObjectNode zonalPage(
            String kind,
            String collection,
            String project,
            String zone,
            Collection<T> records,
            Predicate<T> keep,
            Function<T, ObjectNode> render,
            Map<String, String> query) {
        return listPage(
                kind,
                Links.zonePath(project, zone) + "/" + collection,
                links().zone(project, zone) + "/" + collection,
                records,
                keep,
                render,
                query);
    }

    ObjectNode launch(Model.Operation op, Effect effect) {
        return ops.launch(op, effect);
    }

    ObjectNode launch(Model.Operation op, OperationFailure failure, Effect effect) {
        return ops.launch(op, failure, effect);
    }

    ObjectNode render(Model.Operation op) {
        return ops.render(op);
    }

    Model.Image image(String project, String name) {
        Model.Image img = images.get(project + "/" + name);
        if (img == null) {
            throw GceException.notFound(Links.imagePath(project, name));
        }
        return img;
    }

    Model.Instance instance(String project, String zone, String name) {
        Model.Instance i = instances.get(project + "/" + zone + "/" + name);
        if (i == null) {
            throw GceException.notFound(Links.instancePath(project, zone, name));
        }
        return i;
    }

    Model.Disk disk(String project, String zone, String name) {
        Model.Disk d = disks.get(project + "/" + zone + "/" + name);
        if (d == null) {
            throw GceException.notFound(Links.diskPath(project, zone, name));
        }
        return d;
    }

    String attachmentMode(String instanceKey, String diskKey) {
        Model.Instance inst = instances.get(instanceKey);
        if (inst != null) {
            for (Model.Attachment a : inst.disks) {
                if (a.diskKey.equals(diskKey)) {
                    return a.mode;
                }
            }
        }
        return "READ_WRITE";
    }
}
