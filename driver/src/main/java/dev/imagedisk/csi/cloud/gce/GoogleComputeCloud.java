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
import dev.imagedisk.csi.cloud.OperationTracker;
import dev.imagedisk.csi.cloud.Retrier;
import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.common.DaemonThreads;
import dev.imagedisk.csi.common.Futures;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * {@link ComputeCloud} on google-cloud-compute. Every request waits for its quota group's budget
 * ({@link ApiBudgets}: writes, reads, operation reads) and goes
 * through the {@link Retrier}; mutations are sent as plain unary calls on the calling thread and their operations
 * awaited by one {@link OperationTracker} (a few long polls, the rest read in batches by
 * {@link GceOperations}), so a caller of an {@code ...Async} form holds no thread while an operation runs; a disk
 * insert is made safe to repeat by {@link IdempotentInsert}.
 */
public final class GoogleComputeCloud implements ComputeCloud {
    private static final int LIST_PAGE_SIZE = 500;

    private final ComputeClients clients;
    private final String project;
    private final String zone;
    private final ApiBudgets budgets;
    private final Retrier retrier;
    private final CloudCallObserver observer;
    private final OperationTracker<Operation> tracker;
    private final IdempotentInsert inserts;
    private final GceImages images;

    /** Long polls out at once; the other pending operations are read in batches. */
    static final int LONG_POLLS = 4;
    /** How often the pending operations that have no long poll are read (one list request per zone and batch). */
    static final Duration LIST_INTERVAL = Duration.ofMillis(500);

    /**
     * @param project the project listed by {@link #listDisks} and probed by {@link #checkAccess}
     * @param zone the zone probed by {@link #checkAccess}
     * @param budgets the rate budgets requests wait for, by quota group
     * @param retrier the retry policy for rate-limit answers (built with the same observer, to count retries)
     * @param operationTimeout how long an operation may take in all
     * @param pollLimit the longest one {@code zoneOperations.wait} long poll may block
     * @param observer told of every request, rate-limit wait and operation (metrics)
     */
    public GoogleComputeCloud(
            ComputeClients clients,
            String project,
            String zone,
            ApiBudgets budgets,
            Retrier retrier,
            Duration operationTimeout,
            Duration pollLimit,
            CloudCallObserver observer) {
        this(clients, project, zone, budgets, retrier, operationTimeout, pollLimit, observer, System::nanoTime);
    }

    /** As above, with the clock the operation timeout is measured on ({@link System#nanoTime}-like; tests). */
    GoogleComputeCloud(
            ComputeClients clients,
            String project,
            String zone,
            ApiBudgets budgets,
            Retrier retrier,
            Duration operationTimeout,
            Duration pollLimit,
            CloudCallObserver observer,
            java.util.function.LongSupplier nanos) {
        this.clients = clients;
        this.project = project;
        this.zone = zone;
        this.budgets = budgets;
        this.retrier = retrier;
        this.observer = observer;
        this.tracker = new OperationTracker<>(
                        new GceOperations(clients, this::request),
                        LONG_POLLS,
                        pollLimit,
                        LIST_INTERVAL,
                        operationTimeout,
                        nanos,
                        POLLERS,
                        LISTERS,
                        CALLBACKS)
                .start(TIMER);
        this.inserts = new IdempotentInsert(Clock.systemUTC(), retrier);
        this.images = new GceImages(clients, this::request, this::awaitAsync, inserts, retrier);
    }

    // The tracker's threads, shared by every adapter of the process (one in the controller): the long polls,
    // the batch reads, the completions (where the callers' next steps run) and the clock.
    private static final ExecutorService POLLERS =
            Executors.newFixedThreadPool(LONG_POLLS, DaemonThreads.named("compute-op-wait"));
    private static final ExecutorService LISTERS =
            Executors.newSingleThreadExecutor(DaemonThreads.named("compute-op-list"));
    private static final ExecutorService CALLBACKS =
            Executors.newFixedThreadPool(2, DaemonThreads.named("compute-op-done"));
    private static final ScheduledExecutorService TIMER =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("compute-op-tick"));

    /** Operations being waited for (for tests and metrics). */
    public int pendingOperations() {
        return tracker.pending();
    }

    // ------------------------------------------------------------------------------------------- reads

    @Override
    public Optional<Disk> getDisk(DiskRef disk) {
        GetDiskRequest request = GetDiskRequest.newBuilder()
                .setProject(disk.project())
                .setZone(disk.zone())
                .setDisk(disk.name())
                .build();
        return absentIfNotFound(() -> GceModel.disk(
                disk, request("disks.get", () -> clients.disks().getCallable().call(request))));
    }

    @Override
    public Optional<Image> getImage(ImageRef image) {
        GetImageRequest request = GetImageRequest.newBuilder()
                .setProject(image.project())
                .setImage(image.name())
                .build();
        return absentIfNotFound(() -> GceModel.image(
                image,
                request("images.get", () -> clients.images().getCallable().call(request))));
    }

    @Override
    public Optional<Image> getImageFromFamily(ImageRef family) {
        GetFromFamilyImageRequest request = GetFromFamilyImageRequest.newBuilder()
                .setProject(family.project())
                .setFamily(family.name())
                .build();
        return absentIfNotFound(() -> GceModel.image(
                family,
                request(
                        "images.getFromFamily",
                        () -> clients.images().getFromFamilyCallable().call(request))));
    }

    @Override
    public void createImage(ImageSpec spec, String idempotencyKey) {
        join("images.insert " + spec.ref(), createImageAsync(spec, idempotencyKey));
    }

    @Override
    public CompletableFuture<Void> createImageAsync(ImageSpec spec, String idempotencyKey) {
        return images.create(spec, idempotencyKey);
    }

    @Override
    public void deleteImage(ImageRef image) {
        join("images.delete " + image, deleteImageAsync(image));
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
        return absentIfNotFound(() -> GceModel.instance(
                instance,
                request("instances.get", () -> clients.instances().getCallable().call(request))));
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
    public boolean createDisk(DiskSpec spec, String idempotencyKey) {
        return join("disks.insert " + spec.ref(), createDiskAsync(spec, idempotencyKey));
    }

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
                    return request(
                            "disks.insert",
                            () -> clients.disks().insertCallable().call(request));
                },
                op -> awaitAsync("disks.insert " + ref, ref.project(), ref.zone(), op),
                () -> getDisk(ref).isEmpty());
    }

    @Override
    public void deleteDisk(DiskRef disk) {
        join("deleteDisk", deleteDiskAsync(disk));
    }

    @Override
    public CompletableFuture<Void> deleteDiskAsync(DiskRef disk) {
        return mutate("disks.delete " + disk, disk.project(), disk.zone(), () -> {
            DeleteDiskRequest request = DeleteDiskRequest.newBuilder()
                    .setProject(disk.project())
                    .setZone(disk.zone())
                    .setDisk(disk.name())
                    .build();
            return request(
                    "disks.delete", () -> clients.disks().deleteCallable().call(request));
        });
    }

    @Override
    public void resizeDisk(DiskRef disk, long sizeGb) {
        join("resizeDisk", resizeDiskAsync(disk, sizeGb));
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
            return request(
                    "disks.resize", () -> clients.disks().resizeCallable().call(request));
        });
    }

    @Override
    public void updateDiskPerformance(DiskRef disk, Long iops, Long throughput) {
        join("updateDiskPerformance", updateDiskPerformanceAsync(disk, iops, throughput));
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
            return request(
                    "disks.update", () -> clients.disks().updateCallable().call(request));
        });
    }

    @Override
    public void attachDisk(InstanceRef instance, DiskRef disk, String deviceName, boolean readOnly) {
        join("attachDisk", attachDiskAsync(instance, disk, deviceName, readOnly));
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
            return request(
                    "instances.attachDisk",
                    () -> clients.instances().attachDiskCallable().call(request));
        });
    }

    @Override
    public void detachDisk(InstanceRef instance, String deviceName) {
        join("detachDisk", detachDiskAsync(instance, deviceName));
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
                    return request(
                            "instances.detachDisk",
                            () -> clients.instances().detachDiskCallable().call(request));
                });
    }

    /**
     * Sends a mutation (on this thread) and awaits its operation (on none); an operation refused for its rate is
     * sent again after the backoff.
     */
    private CompletableFuture<Void> mutate(String what, String project, String zone, Supplier<Operation> send) {
        return retrier.callAsync(what, () -> awaitAsync(what, project, zone, send.get()))
                .thenApply(op -> null);
    }

    /**
     * The operation once DONE without error; failed with the mapped {@link CloudException} when it failed,
     * DEADLINE when it is not DONE within the operation timeout or the call's deadline, CANCELLED when the call
     * is cancelled (the operation goes on; a retry finds its resource by name).
     *
     * @param zone the operation's zone, or null for a global operation (an image's)
     */
    CompletableFuture<Operation> awaitAsync(String what, String project, String zone, Operation started) {
        long begun = System.nanoTime();
        return tracker.await(
                        what,
                        new OperationTracker.Scope(project, zone),
                        started,
                        started.getName(),
                        CallDeadline.current())
                .thenApply(op -> {
                    observer.operationDone(op.getOperationType(), Duration.ofNanos(System.nanoTime() - begun));
                    CloudException failure = GceErrors.fromOperation(what, op);
                    if (failure != null) {
                        throw failure;
                    }
                    return op;
                });
    }

    /** Waits on this thread for an asynchronous form (the synchronous entry points). */
    private static <T> T join(String what, CompletableFuture<T> future) {
        return Futures.join(future, () -> CloudException.stopped(what, null));
    }

    // ---------------------------------------------------------------------------------------- plumbing

    /**
     * One API request: waits for the rate limiter, maps failures, retries rate-limit answers. Nothing is sent once
     * the call being served has ended ({@link CloudException#checkCall}); its cancellation interrupts the wait.
     */
    private <T> T request(String method, Supplier<T> call) {
        return retrier.call(method, () -> {
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
        });
    }

    private static String outcome(CloudException e) {
        return e.reason() != null && !e.reason().isEmpty()
                ? e.reason()
                : e.kind().name().toLowerCase(Locale.ROOT);
    }

    private static <T> Optional<T> absentIfNotFound(Supplier<T> read) {
        try {
            return Optional.of(read.get());
        } catch (CloudException e) {
            if (e.is(Kind.NOT_FOUND)) {
                return Optional.empty();
            }
            throw e;
        }
    }
}
