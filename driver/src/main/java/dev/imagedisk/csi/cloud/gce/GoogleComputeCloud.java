package dev.imagedisk.csi.cloud.gce;

import com.google.cloud.compute.v1.AggregatedListDisksRequest;
import com.google.cloud.compute.v1.AttachDiskInstanceRequest;
import com.google.cloud.compute.v1.AttachedDisk;
import com.google.cloud.compute.v1.CustomerEncryptionKey;
import com.google.cloud.compute.v1.DeleteDiskRequest;
import com.google.cloud.compute.v1.DetachDiskInstanceRequest;
import com.google.cloud.compute.v1.DiskAggregatedList;
import com.google.cloud.compute.v1.DisksResizeRequest;
import com.google.cloud.compute.v1.DisksScopedList;
import com.google.cloud.compute.v1.GetDiskRequest;
import com.google.cloud.compute.v1.GetFromFamilyImageRequest;
import com.google.cloud.compute.v1.GetImageRequest;
import com.google.cloud.compute.v1.GetInstanceRequest;
import com.google.cloud.compute.v1.InsertDiskRequest;
import com.google.cloud.compute.v1.ListDisksRequest;
import com.google.cloud.compute.v1.Operation;
import com.google.cloud.compute.v1.ResizeDiskRequest;
import com.google.cloud.compute.v1.UpdateDiskRequest;
import dev.imagedisk.csi.cloud.ApiBudgets;
import dev.imagedisk.csi.cloud.Backoff;
import dev.imagedisk.csi.cloud.CloudCallObserver;
import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.CloudException.Kind;
import dev.imagedisk.csi.cloud.ComputeCloud;
import dev.imagedisk.csi.cloud.Disk;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.cloud.DiskSpec;
import dev.imagedisk.csi.cloud.Image;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.cloud.ImageSpec;
import dev.imagedisk.csi.cloud.Instance;
import dev.imagedisk.csi.cloud.InstanceRef;
import dev.imagedisk.csi.cloud.Retrier;
import dev.imagedisk.csi.common.NonBlocking;
import dev.imagedisk.csi.common.SchedulerThreads;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@link ComputeCloud} on google-cloud-compute. Every request waits for its quota group's budget
 * ({@link ApiBudgets}: writes, reads, operation reads) and goes
 * through the {@link Retrier}; mutations are sent as plain unary calls on the calling thread and their operations
 * awaited by {@link OperationWaits} (one {@code OperationTracker}: a few long polls, the rest read in batches by
 * {@link GceOperations}), so a caller of an {@code ...Async} form holds no thread while an operation runs; a disk
 * insert is made safe to repeat by {@link IdempotentInsert}.
 */
public final class GoogleComputeCloud implements ComputeCloud, AutoCloseable {
    private static final int LIST_PAGE_SIZE = 500;

    private final ComputeClients clients;
    private final String project;
    private final String zone;
    private final ApiBudgets budgets;
    private final Retrier retrier;
    private final CloudCallObserver observer;
    /** The timer and step threads (ticks, backoffs, the callers' next steps); ended by close() when its own. */
    private final SchedulerThreads steps;

    private final boolean ownSteps;
    private final OperationWaits operations;
    private final IdempotentInsert inserts;
    private final GceImages images;

    /** Step threads of an adapter that has its own, at most. */
    static final int STEP_THREADS = 4;

    /**
     * @param project the project listed by {@link #listDisks} and probed by {@link #checkAccess}
     * @param zone the zone probed by {@link #checkAccess}
     * @param budgets the rate budgets requests wait for, by quota group
     * @param backoff the retry policy for rate-limit answers
     * @param operationTimeout how long an operation may take in all
     * @param pollLimit the longest one {@code zoneOperations.wait} long poll may block
     * @param observer told of every request, rate-limit wait and operation (metrics)
     * @param steps the timer and step threads, shared with the volume logic (the caller ends them after
     *     {@link #close})
     */
    public GoogleComputeCloud(
            ComputeClients clients,
            String project,
            String zone,
            ApiBudgets budgets,
            Backoff backoff,
            Duration operationTimeout,
            Duration pollLimit,
            CloudCallObserver observer,
            SchedulerThreads steps) {
        this(clients, project, zone, budgets, backoff, operationTimeout, pollLimit, observer, System::nanoTime, steps);
    }

    /**
     * As above, with the clock the operation timeout is measured on ({@link System#nanoTime}-like; tests); null
     * {@code steps}: timer and step threads of its own ({@code compute-timer}, {@code compute-step-N}).
     */
    GoogleComputeCloud(
            ComputeClients clients,
            String project,
            String zone,
            ApiBudgets budgets,
            Backoff backoff,
            Duration operationTimeout,
            Duration pollLimit,
            CloudCallObserver observer,
            java.util.function.LongSupplier nanos,
            SchedulerThreads steps) {
        this.clients = clients;
        this.project = project;
        this.zone = zone;
        this.budgets = budgets;
        this.observer = observer;
        this.ownSteps = steps == null;
        this.steps = ownSteps ? new SchedulerThreads("compute", STEP_THREADS) : steps;
        this.retrier = new Retrier(backoff, this.steps, observer);
        this.operations =
                new OperationWaits(clients, this::request, pollLimit, operationTimeout, nanos, this.steps, observer);
        this.inserts = new IdempotentInsert(Clock.systemUTC(), retrier);
        this.images = new GceImages(clients, this::request, this::send, operations::await, inserts, retrier);
    }

    /**
     * Stops waiting for operations (waits in progress end UNAVAILABLE; later requests are refused) and ends this
     * adapter's threads. The clients stay open: they are their creator's to close.
     */
    @Override
    public void close() {
        operations.close();
        if (ownSteps) {
            steps.close();
        }
    }

    /** Whether every thread of this adapter has ended (after {@link #close}), waiting up to {@code wait}. */
    boolean awaitTermination(Duration wait) throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        return operations.awaitTermination(wait)
                && (!ownSteps || steps.awaitTermination(Duration.ofNanos(Math.max(0, end - System.nanoTime()))));
    }

    /** Operations being waited for (for tests and metrics). */
    public int pendingOperations() {
        return operations.pending();
    }

    // ------------------------------------------------------------------------------------------- reads

    @Override
    public Optional<Disk> getDisk(DiskRef disk) {
        GetDiskRequest request = GetDiskRequest.newBuilder()
                .setProject(disk.project())
                .setZone(disk.zone())
                .setDisk(disk.name())
                .build();
        return read("disks.get", () -> clients.disks().getCallable().call(request), d -> GceModel.disk(disk, d));
    }

    @Override
    public Optional<Image> getImage(ImageRef image) {
        GetImageRequest request = GetImageRequest.newBuilder()
                .setProject(image.project())
                .setImage(image.name())
                .build();
        return read("images.get", () -> clients.images().getCallable().call(request), i -> GceModel.image(image, i));
    }

    @Override
    public Optional<Image> getImageFromFamily(ImageRef family) {
        GetFromFamilyImageRequest request = GetFromFamilyImageRequest.newBuilder()
                .setProject(family.project())
                .setFamily(family.name())
                .build();
        return read(
                "images.getFromFamily",
                () -> clients.images().getFromFamilyCallable().call(request),
                i -> GceModel.image(family, i));
    }

    @Override
    public CompletableFuture<Void> createImageAsync(ImageSpec spec, String idempotencyKey) {
        return images.create(spec, idempotencyKey);
    }

    @Override
    public CompletableFuture<Void> deleteImageAsync(ImageRef image) {
        return images.delete(image);
    }

    @Override
    public List<Image> listImages(String project, Map<String, String> labels) {
        return images.list(project, labels);
    }

    @Override
    public Optional<Instance> getInstance(InstanceRef instance) {
        GetInstanceRequest request = GetInstanceRequest.newBuilder()
                .setProject(instance.project())
                .setZone(instance.zone())
                .setInstance(instance.name())
                .build();
        return read(
                "instances.get",
                () -> clients.instances().getCallable().call(request),
                i -> GceModel.instance(instance, i));
    }

    @Override
    public List<Disk> listDisks(Map<String, String> labels) {
        String filter = filter(labels);
        List<Disk> out = new ArrayList<>();
        String token = "";
        do {
            AggregatedListDisksRequest.Builder b = AggregatedListDisksRequest.newBuilder()
                    .setProject(project)
                    .setMaxResults(LIST_PAGE_SIZE)
                    .setPageToken(token);
            if (!filter.isEmpty()) {
                b.setFilter(filter);
            }
            AggregatedListDisksRequest request = b.build();
            DiskAggregatedList page = request(
                    "disks.aggregatedList",
                    () -> clients.disks().aggregatedListCallable().call(request));
            for (DisksScopedList scoped : page.getItemsMap().values()) {
                addMatching(scoped.getDisksList(), labels, out);
            }
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        return out;
    }

    private static void addMatching(
            List<com.google.cloud.compute.v1.Disk> disks, Map<String, String> labels, List<Disk> out) {
        for (com.google.cloud.compute.v1.Disk d : disks) {
            Disk disk = GceModel.disk(null, d);
            // the filter is applied by the server; checked again in case it was not understood
            if (disk.labels().entrySet().containsAll(labels.entrySet())) {
                out.add(disk);
            }
        }
    }

    /** {@code (labels.k1 = "v1") AND (labels.k2 = "v2")}. */
    static String filter(Map<String, String> labels) {
        List<String> terms = new ArrayList<>();
        new TreeMap<>(labels).forEach((k, v) -> terms.add("(labels." + k + " = \"" + v + "\")"));
        return String.join(" AND ", terms);
    }

    @Override
    public void checkAccess() {
        ListDisksRequest request = ListDisksRequest.newBuilder()
                .setProject(project)
                .setZone(zone)
                .setMaxResults(1)
                .build();
        request("disks.list", () -> clients.disks().listCallable().call(request));
    }

    // --------------------------------------------------------------------------------------- mutations

    @Override
    public CompletableFuture<Boolean> createDiskAsync(DiskSpec spec, String idempotencyKey) {
        DiskRef ref = spec.ref();
        com.google.cloud.compute.v1.Disk.Builder disk = com.google.cloud.compute.v1.Disk.newBuilder()
                .setName(ref.name())
                .setSizeGb(spec.sizeGb())
                .setType("projects/" + ref.project() + "/zones/" + ref.zone() + "/diskTypes/" + spec.type())
                .putAllLabels(spec.labels());
        if (spec.sourceDisk() != null) {
            disk.setSourceDisk(spec.sourceDisk().path());
        } else {
            disk.setSourceImage(spec.sourceImage());
        }
        if (spec.description() != null && !spec.description().isEmpty()) {
            disk.setDescription(spec.description());
        }
        if (spec.kmsKey() != null) {
            disk.setDiskEncryptionKey(CustomerEncryptionKey.newBuilder().setKmsKeyName(spec.kmsKey()));
        }
        if (spec.provisionedIops() != null) {
            disk.setProvisionedIops(spec.provisionedIops());
        }
        if (spec.provisionedThroughput() != null) {
            disk.setProvisionedThroughput(spec.provisionedThroughput());
        }
        if (spec.accessMode() != null) {
            disk.setAccessMode(spec.accessMode());
        }
        com.google.cloud.compute.v1.Disk resource = disk.build();
        return inserts.runAsync(
                "disks.insert " + ref,
                idempotencyKey,
                requestId -> {
                    InsertDiskRequest request = InsertDiskRequest.newBuilder()
                            .setProject(ref.project())
                            .setZone(ref.zone())
                            .setRequestId(requestId)
                            .setDiskResource(resource)
                            .build();
                    return send(
                            "disks.insert",
                            () -> clients.disks().insertCallable().call(request));
                },
                op -> operations.await("disks.insert " + ref, ref.project(), ref.zone(), op),
                () -> getDisk(ref).isEmpty());
    }

    @Override
    public CompletableFuture<Void> deleteDiskAsync(DiskRef disk) {
        return mutate("disks.delete " + disk, disk.project(), disk.zone(), () -> {
            DeleteDiskRequest request = DeleteDiskRequest.newBuilder()
                    .setProject(disk.project())
                    .setZone(disk.zone())
                    .setDisk(disk.name())
                    .build();
            return send("disks.delete", () -> clients.disks().deleteCallable().call(request));
        });
    }

    @Override
    public CompletableFuture<Void> resizeDiskAsync(DiskRef disk, long sizeGb) {
        return mutate("disks.resize " + disk, disk.project(), disk.zone(), () -> {
            ResizeDiskRequest request = ResizeDiskRequest.newBuilder()
                    .setProject(disk.project())
                    .setZone(disk.zone())
                    .setDisk(disk.name())
                    .setDisksResizeRequestResource(
                            DisksResizeRequest.newBuilder().setSizeGb(sizeGb))
                    .build();
            return send("disks.resize", () -> clients.disks().resizeCallable().call(request));
        });
    }

    /**
     * {@code disks.update} with {@code updateMask} naming the fields sent (the client's {@code paths} holds one
     * value only; Compute Engine reads both).
     */
    @Override
    public CompletableFuture<Void> updateDiskPerformanceAsync(DiskRef disk, Long iops, Long throughput) {
        com.google.cloud.compute.v1.Disk.Builder values = com.google.cloud.compute.v1.Disk.newBuilder();
        List<String> mask = new ArrayList<>();
        if (iops != null) {
            values.setProvisionedIops(iops);
            mask.add("provisionedIops");
        }
        if (throughput != null) {
            values.setProvisionedThroughput(throughput);
            mask.add("provisionedThroughput");
        }
        if (mask.isEmpty()) {
            throw new IllegalArgumentException("nothing to update");
        }
        return mutate("disks.update " + disk, disk.project(), disk.zone(), () -> {
            UpdateDiskRequest request = UpdateDiskRequest.newBuilder()
                    .setProject(disk.project())
                    .setZone(disk.zone())
                    .setDisk(disk.name())
                    .setUpdateMask(String.join(",", mask))
                    .setDiskResource(values)
                    .build();
            return send("disks.update", () -> clients.disks().updateCallable().call(request));
        });
    }

    @Override
    public CompletableFuture<Void> attachDiskAsync(
            InstanceRef instance, DiskRef disk, String deviceName, boolean readOnly) {
        AttachedDisk attached = AttachedDisk.newBuilder()
                .setSource(disk.path())
                .setDeviceName(deviceName)
                .setMode(readOnly ? "READ_ONLY" : "READ_WRITE")
                .setType("PERSISTENT")
                .setAutoDelete(false)
                .setBoot(false)
                .build();
        return mutate("instances.attachDisk " + disk + " to " + instance, instance.project(), instance.zone(), () -> {
            AttachDiskInstanceRequest request = AttachDiskInstanceRequest.newBuilder()
                    .setProject(instance.project())
                    .setZone(instance.zone())
                    .setInstance(instance.name())
                    .setAttachedDiskResource(attached)
                    .build();
            return send(
                    "instances.attachDisk",
                    () -> clients.instances().attachDiskCallable().call(request));
        });
    }

    @Override
    public CompletableFuture<Void> detachDiskAsync(InstanceRef instance, String deviceName) {
        return mutate(
                "instances.detachDisk " + deviceName + " from " + instance, instance.project(), instance.zone(), () -> {
                    DetachDiskInstanceRequest request = DetachDiskInstanceRequest.newBuilder()
                            .setProject(instance.project())
                            .setZone(instance.zone())
                            .setInstance(instance.name())
                            .setDeviceName(deviceName)
                            .build();
                    return send(
                            "instances.detachDisk",
                            () -> clients.instances().detachDiskCallable().call(request));
                });
    }

    /**
     * Sends a mutation (on this thread) and awaits its operation (on none); an operation refused for its rate is
     * sent again after the backoff.
     */
    private CompletableFuture<Void> mutate(String what, String project, String zone, Supplier<Operation> send) {
        return retrier.callAsync(what, () -> operations.await(what, project, zone, send.get()))
                .thenApply(op -> null);
    }

    // ---------------------------------------------------------------------------------------- plumbing

    /**
     * One API request: waits for the rate limiter, maps failures, retries rate-limit answers. Nothing is sent once
     * the call being served has ended ({@link CloudException#checkCall}); its cancellation interrupts the wait.
     */
    private <T> T request(String method, Supplier<T> call) {
        return retrier.call(method, () -> send(method, call));
    }

    /**
     * One API request without a retry of its own: for the requests sent inside an asynchronous retry loop
     * ({@link Retrier#callAsync}, {@link IdempotentInsert}), whose backoff is scheduled, never waited for here. A
     * retry loop nested in one of those would hold a step thread while the outer loop's next step waits for one.
     */
    private <T> T send(String method, Supplier<T> call) {
        NonBlocking.check(method);
        if (operations.closed()) {
            throw new CloudException(Kind.UNAVAILABLE, method + ": the Compute Engine adapter is closed");
        }
        CloudException.checkCall(method);
        long queued = System.nanoTime();
        try {
            budgets.acquire(method);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CloudException.stopped(method + " (waiting for the rate limit)", e);
        }
        observer.rateLimitWait(Duration.ofNanos(System.nanoTime() - queued));
        T result;
        boolean counted = true;
        try {
            result = call.get();
        } catch (RuntimeException e) {
            CloudException mapped = GceErrors.fromCall(method, e);
            // a request refused for its rate was not counted by Compute Engine: it gives its budget back
            counted = !mapped.is(Kind.RATE_LIMITED);
            observer.request(method, outcome(mapped));
            throw mapped;
        } finally {
            budgets.answered(method, counted);
        }
        observer.request(method, "ok");
        return result;
    }

    private static String outcome(CloudException e) {
        return e.reason() != null && !e.reason().isEmpty()
                ? e.reason()
                : e.kind().name().toLowerCase(Locale.ROOT);
    }

    /** One read {@link #request}, its answer turned into the port's model; a resource not found is empty. */
    private <R, T> Optional<T> read(String method, Supplier<R> call, Function<R, T> model) {
        try {
            return Optional.of(model.apply(request(method, call)));
        } catch (CloudException e) {
            if (e.is(Kind.NOT_FOUND)) {
                return Optional.empty();
            }
            throw e;
        }
    }
}
