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
import dev.imagedisk.csi.cloud.ApiBudgets;
import dev.imagedisk.csi.cloud.Retrier;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * {@link ComputeCloud} on google-cloud-compute. Every request waits for its quota group's budget
 * ({@link ApiBudgets}: writes, reads, operation reads) and goes
 * through the {@link Retrier}; mutations are sent as plain unary calls and their operations awaited with
 * {@link OperationWaiter}; a disk insert is made safe to repeat by {@link IdempotentInsert}.
 */
public final class GoogleComputeCloud implements ComputeCloud {
    private static final int LIST_PAGE_SIZE = 500;

    private final ComputeClients clients;
    private final String project;
    private final String zone;
    private final ApiBudgets budgets;
    private final Retrier retrier;
    private final CloudCallObserver observer;
    private final OperationWaiter waiter;
    private final IdempotentInsert inserts;
    private final GceImages images;

    /**
     * @param project the project listed by {@link #listDisks} and probed by {@link #checkAccess}
     * @param zone the zone probed by {@link #checkAccess}
     * @param budgets the rate budgets requests wait for, by quota group
     * @param retrier the retry policy for rate-limit answers (built with the same observer, to count retries)
     * @param operationTimeout how long an operation may take in all
     * @param pollLimit the longest one {@code zoneOperations.wait} long poll may block
     * @param observer told of every request, rate-limit wait and operation (metrics)
     */
    public GoogleComputeCloud(ComputeClients clients, String project, String zone, ApiBudgets budgets,
            Retrier retrier, Duration operationTimeout, Duration pollLimit, CloudCallObserver observer) {
        this.clients = clients;
        this.project = project;
        this.zone = zone;
        this.budgets = budgets;
        this.retrier = retrier;
        this.observer = observer;
        this.waiter = new OperationWaiter(clients, this::request, operationTimeout, pollLimit, observer);
        this.inserts = new IdempotentInsert(Clock.systemUTC(), retrier);
        this.images = new GceImages(clients, this::request, waiter, inserts, retrier);
    }

    // ------------------------------------------------------------------------------------------- reads

    @Override
    public Optional<Disk> getDisk(DiskRef disk) {
        GetDiskRequest request = GetDiskRequest.newBuilder()
                .setProject(disk.project()).setZone(disk.zone()).setDisk(disk.name()).build();
        return absentIfNotFound(() -> GceModel.disk(disk,
                request("disks.get", () -> clients.disks().getCallable().call(request))));
    }

    @Override
    public Optional<Image> getImage(ImageRef image) {
        GetImageRequest request = GetImageRequest.newBuilder()
                .setProject(image.project()).setImage(image.name()).build();
        return absentIfNotFound(() -> GceModel.image(image,
                request("images.get", () -> clients.images().getCallable().call(request))));
    }

    @Override
    public Optional<Image> getImageFromFamily(ImageRef family) {
        GetFromFamilyImageRequest request = GetFromFamilyImageRequest.newBuilder()
                .setProject(family.project()).setFamily(family.name()).build();
        return absentIfNotFound(() -> GceModel.image(family,
                request("images.getFromFamily", () -> clients.images().getFromFamilyCallable().call(request))));
    }

    @Override
    public void createImage(ImageSpec spec, String idempotencyKey) {
        images.create(spec, idempotencyKey);
    }

    @Override
    public void deleteImage(ImageRef image) {
        images.delete(image);
    }

    @Override
    public List<Image> listImages(String project, Map<String, String> labels) {
        return images.list(project, labels);
    }

    @Override
    public Optional<Instance> getInstance(InstanceRef instance) {
        GetInstanceRequest request = GetInstanceRequest.newBuilder()
                .setProject(instance.project()).setZone(instance.zone()).setInstance(instance.name()).build();
        return absentIfNotFound(() -> GceModel.instance(instance,
                request("instances.get", () -> clients.instances().getCallable().call(request))));
    }

    @Override
    public List<Disk> listDisks(Map<String, String> labels) {
        String filter = filter(labels);
        List<Disk> out = new ArrayList<>();
        String token = "";
        do {
            AggregatedListDisksRequest.Builder b = AggregatedListDisksRequest.newBuilder()
                    .setProject(project).setMaxResults(LIST_PAGE_SIZE).setPageToken(token);
            if (!filter.isEmpty()) {
                b.setFilter(filter);
            }
            AggregatedListDisksRequest request = b.build();
            DiskAggregatedList page = request("disks.aggregatedList",
                    () -> clients.disks().aggregatedListCallable().call(request));
            for (DisksScopedList scoped : page.getItemsMap().values()) {
                addMatching(scoped.getDisksList(), labels, out);
            }
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        return out;
    }

    private static void addMatching(List<com.google.cloud.compute.v1.Disk> disks, Map<String, String> labels,
            List<Disk> out) {
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
                .setProject(project).setZone(zone).setMaxResults(1).build();
        request("disks.list", () -> clients.disks().listCallable().call(request));
    }

    // --------------------------------------------------------------------------------------- mutations

    @Override
    public boolean createDisk(DiskSpec spec, String idempotencyKey) {
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
        com.google.cloud.compute.v1.Disk resource = disk.build();
        return inserts.run("disks.insert " + ref, idempotencyKey,
                requestId -> {
                    InsertDiskRequest request = InsertDiskRequest.newBuilder()
                            .setProject(ref.project()).setZone(ref.zone()).setRequestId(requestId)
                            .setDiskResource(resource).build();
                    return request("disks.insert", () -> clients.disks().insertCallable().call(request));
                },
                op -> waiter.await("disks.insert " + ref, ref.project(), ref.zone(), op),
                () -> getDisk(ref).isEmpty());
    }

    @Override
    public void deleteDisk(DiskRef disk) {
        mutate("disks.delete " + disk, disk.project(), disk.zone(), () -> {
            DeleteDiskRequest request = DeleteDiskRequest.newBuilder()
                    .setProject(disk.project()).setZone(disk.zone()).setDisk(disk.name()).build();
            return request("disks.delete", () -> clients.disks().deleteCallable().call(request));
        });
    }

    @Override
    public void resizeDisk(DiskRef disk, long sizeGb) {
        mutate("disks.resize " + disk, disk.project(), disk.zone(), () -> {
            ResizeDiskRequest request = ResizeDiskRequest.newBuilder()
                    .setProject(disk.project()).setZone(disk.zone()).setDisk(disk.name())
                    .setDisksResizeRequestResource(DisksResizeRequest.newBuilder().setSizeGb(sizeGb)).build();
            return request("disks.resize", () -> clients.disks().resizeCallable().call(request));
        });
    }

    @Override
    public void attachDisk(InstanceRef instance, DiskRef disk, String deviceName, boolean readOnly) {
        AttachedDisk attached = AttachedDisk.newBuilder()
                .setSource(disk.path())
                .setDeviceName(deviceName)
                .setMode(readOnly ? "READ_ONLY" : "READ_WRITE")
                .setType("PERSISTENT")
                .setAutoDelete(false)
                .setBoot(false)
                .build();
        mutate("instances.attachDisk " + disk + " to " + instance, instance.project(), instance.zone(), () -> {
            AttachDiskInstanceRequest request = AttachDiskInstanceRequest.newBuilder()
                    .setProject(instance.project()).setZone(instance.zone()).setInstance(instance.name())
                    .setAttachedDiskResource(attached).build();
            return request("instances.attachDisk", () -> clients.instances().attachDiskCallable().call(request));
        });
    }

    @Override
    public void detachDisk(InstanceRef instance, String deviceName) {
        mutate("instances.detachDisk " + deviceName + " from " + instance, instance.project(), instance.zone(),
                () -> {
                    DetachDiskInstanceRequest request = DetachDiskInstanceRequest.newBuilder()
                            .setProject(instance.project()).setZone(instance.zone()).setInstance(instance.name())
                            .setDeviceName(deviceName).build();
                    return request("instances.detachDisk",
                            () -> clients.instances().detachDiskCallable().call(request));
                });
    }

    /** Sends a mutation and waits for its operation; an operation refused for its rate is sent again. */
    private void mutate(String what, String project, String zone, Supplier<Operation> send) {
        for (int retry = 1; ; retry++) {
            Operation op = send.get();
            try {
                waiter.await(what, project, zone, op);
                return;
            } catch (CloudException e) {
                retrier.backOff(what, e, retry);
            }
        }
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
        return e.reason() != null && !e.reason().isEmpty() ? e.reason() : e.kind().name().toLowerCase(Locale.ROOT);
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
