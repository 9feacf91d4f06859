package dev.imagedisk.csi.cloud.fake;

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
import dev.imagedisk.csi.common.DaemonThreads;
import dev.imagedisk.csi.common.NonBlocking;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * An in-memory {@link ComputeCloud} that answers as {@code GoogleComputeCloud} does against Compute Engine (or the
 * emulator), errors included: a missing resource is empty on read and NOT_FOUND on write; a second disk of a name is
 * ALREADY_EXISTS unless it is asked for under the same idempotency key (then the earlier request's answer, false);
 * deleting an attached disk or attaching a disk that is read-write elsewhere is IN_USE; a bad request (a disk
 * smaller than its image, a shrink, a detach of a device that is not there, a disk in another zone) is INVALID.
 * Operations end at once, their futures completed on another thread. {@code ComputeCloudContract} runs the same checks on this and on the real adapter.
 *
 * <p>Faults: {@link #failNext} makes the next calls of a method fail as the adapter reports a request failure (a
 * rate limit after its retries); {@link #failNextOperations} makes the next mutations of a method end in an
 * operation failure, changing nothing. {@link #requestCount} counts calls by Compute Engine method name
 * ({@code disks.insert}, {@code instances.attachDisk}, ...).
 */
public final class FakeComputeCloud implements ComputeCloud {
    public static final String SELF_LINK_PREFIX = "https://compute.googleapis.com/compute/v1/";
    /** Disk types and their smallest size in GB, as Compute Engine has them. */
    static final Map<String, Long> DISK_TYPES = Map.of(
            "pd-standard",
            10L,
            "pd-balanced",
            10L,
            "pd-ssd",
            10L,
            "pd-extreme",
            500L,
            "hyperdisk-balanced",
            4L,
            "hyperdisk-throughput",
            2048L,
            "hyperdisk-extreme",
            64L,
            "hyperdisk-ml",
            4L);
    /** Persistent disks an instance can have attached (boot disk included). */
    public static final int MAX_ATTACHED = 128;

    private record Fault(Kind kind, boolean operation, String location) {}

    /** Instances that may hold a disk of a type read-only at once (as the emulator has them); 1 when not shareable. */
    private final Map<String, Integer> readerCaps =
            new HashMap<>(Map.of("hyperdisk-ml", 2500, "pd-standard", 10, "pd-balanced", 10, "pd-ssd", 10));
    /** Hyperdisk ML's attach pace per disk: attaches per window, on {@link #clock}. */
    private int pace = 100;

    private java.time.Duration paceWindow = java.time.Duration.ofSeconds(30);
    private java.util.function.LongSupplier clock = System::nanoTime;
    private final Map<DiskRef, Deque<Long>> attachTimes = new HashMap<>();

    private final Map<DiskRef, Disk> disks = new LinkedHashMap<>();
    private final Map<String, DiskRef> createdUnderKey = new HashMap<>();
    private final Map<ImageRef, Image> images = new LinkedHashMap<>();
    private final Map<String, ImageRef> imagesUnderKey = new HashMap<>();
    private final List<ImageRef> imageOrder = new ArrayList<>();
    private final Map<InstanceRef, List<Instance.AttachedDisk>> instances = new LinkedHashMap<>();
    private final Map<String, Deque<Fault>> faults = new HashMap<>();
    private final Map<String, Long> counts = new HashMap<>();
    private volatile CloudException accessFailure;
    private final Map<String, Hold> holds = new java.util.concurrent.ConcurrentHashMap<>();
    /** While creations are held ({@link #holdCreations}): the disks inserted meanwhile, CREATING until finished. */
    private List<DiskRef> heldDisks;
    /** While creations are held: the inserts' answers, given when {@link #finishCreations} is called. */
    private List<Runnable> heldAnswers;
    /** Completes the mutations' futures: one thread, ended when idle. */
    private final ThreadPoolExecutor completions = completionThread();

    private static ThreadPoolExecutor completionThread() {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(
                1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), DaemonThreads.named("fake-compute-done"));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    // ------------------------------------------------------------------------------------------- set-up

    /** A READY image, newest in its family ({@code family} may be null). */
    public synchronized Image addImage(String project, String name, String family, long diskSizeGb) {
        ImageRef ref = ImageRef.image(project, name);
        Image image = new Image(ref, family, diskSizeGb, "READY", SELF_LINK_PREFIX + ref.path(), null);
        images.put(ref, image);
        imageOrder.remove(ref);
        imageOrder.add(ref);
        return image;
    }

    /** Sets an image's deprecation state ({@code DEPRECATED}, {@code OBSOLETE}, {@code DELETED}). */
    public synchronized void deprecateImage(String project, String name, String state) {
        ImageRef ref = ImageRef.image(project, name);
        Image i = images.get(ref);
        images.put(
                ref,
                new Image(
                        ref,
                        i.family(),
                        i.diskSizeGb(),
                        i.status(),
                        i.selfLink(),
                        state,
                        i.labels(),
                        i.description(),
                        i.sourceDisk(),
                        i.creationTimestamp()));
    }

    /** A RUNNING instance with its boot disk ({@code persistent-disk-0}, named as the instance) attached. */
    public synchronized InstanceRef addInstance(String project, String zone, String name) {
        InstanceRef ref = new InstanceRef(project, zone, name);
        List<Instance.AttachedDisk> attached = new ArrayList<>();
        attached.add(new Instance.AttachedDisk(new DiskRef(project, zone, name), "persistent-disk-0", false, true));
        instances.put(ref, attached);
        return ref;
    }

    /** Sets how many instances may hold a disk of a shareable type read-only. */
    public synchronized FakeComputeCloud setReaderCap(String type, int cap) {
        readerCaps.put(type, cap);
        return this;
    }

    /** Sets Hyperdisk ML's attach pace per disk and the clock (nanoseconds) it reads. */
    public synchronized FakeComputeCloud setAttachPace(
            int attaches, java.time.Duration window, java.util.function.LongSupplier nanoClock) {
        this.pace = attaches;
        this.paceWindow = window;
        this.clock = nanoClock;
        return this;
    }

    /** The next {@code times} calls of {@code method} fail with {@code kind}, as a refused request. */
    public synchronized FakeComputeCloud failNext(String method, Kind kind, int times) {
        for (int i = 0; i < times; i++) {
            faults.computeIfAbsent(method, m -> new ArrayDeque<>()).add(new Fault(kind, false, ""));
        }
        return this;
    }

    /** The next {@code times} mutations of {@code method} end in an operation failure of {@code kind}. */
    public synchronized FakeComputeCloud failNextOperations(String method, Kind kind, int times) {
        return failNextOperations(method, kind, "", times);
    }

    /**
     * As above for a failure about a place: {@link Kind#ZONE_EXHAUSTED} (a stockout or zonal quota; {@code location}
     * is the zone) or {@link Kind#QUOTA_EXCEEDED} (a regional quota; the region), as the adapter reads them.
     */
    public synchronized FakeComputeCloud failNextOperations(String method, Kind kind, String location, int times) {
        for (int i = 0; i < times; i++) {
            faults.computeIfAbsent(method, m -> new ArrayDeque<>()).add(new Fault(kind, true, location));
        }
        return this;
    }

    /** {@link #checkAccess} fails with {@code failure} until set back to null. */
    public void failAccess(CloudException failure) {
        this.accessFailure = failure;
    }

    /** A read held by {@link #hold}: {@link #entered} counts down when it arrives, {@link #release} lets it go on. */
    public record Hold(CountDownLatch entered, CountDownLatch release) {}

    /**
     * The next read of {@code method} (only {@code images.get} so far) waits, outside this fake's lock, until the
     * hold is released: a slow read, for ordering tests.
     */
    public Hold hold(String method) {
        Hold h = new Hold(new CountDownLatch(1), new CountDownLatch(1));
        holds.put(method, h);
        return h;
    }

    private void held(String method) {
        Hold h = holds.remove(method);
        if (h == null) {
            return;
        }
        h.entered().countDown();
        try {
            if (!h.release().await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException(method + " held for 60 s and never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudException(Kind.CANCELLED, method + ": interrupted while held");
        }
    }

    /**
     * Until {@link #finishCreations}, a disk inserted from an image stays CREATING and its insert (and a repeat of it
     * under the same request id) is not answered: a slow creation, for tests of what waits for one.
     */
    public synchronized FakeComputeCloud holdCreations() {
        heldDisks = new ArrayList<>();
        heldAnswers = new ArrayList<>();
        return this;
    }

    /** Makes the disks inserted since {@link #holdCreations} READY and answers their inserts. */
    public void finishCreations() {
        List<Runnable> answers;
        synchronized (this) {
            for (DiskRef ref : heldDisks) {
                Disk d = disks.get(ref);
                if (d != null && Disk.CREATING.equals(d.status())) {
                    disks.put(
                            ref,
                            new Disk(
                                    ref,
                                    d.sizeGb(),
                                    d.type(),
                                    d.sourceImage(),
                                    Disk.READY,
                                    d.users(),
                                    d.labels(),
                                    d.description(),
                                    d.selfLink(),
                                    d.sourceDisk(),
                                    d.provisionedIops(),
                                    d.provisionedThroughput(),
                                    d.accessMode()));
                }
            }
            answers = heldAnswers;
            heldDisks = null;
            heldAnswers = null;
        }
        answers.forEach(Runnable::run);
    }

    public synchronized long requestCount(String method) {
        return counts.getOrDefault(method, 0L);
    }

    public synchronized Map<String, Long> requestCounts() {
        return Map.copyOf(counts);
    }

    // ------------------------------------------------------------------------------------------- reads

    @Override
    public synchronized Optional<Disk> getDisk(DiskRef disk) {
        request("disks.get");
        return Optional.ofNullable(disks.get(disk));
    }

    @Override
    public Optional<Image> getImage(ImageRef image) {
        held("images.get");
        synchronized (this) {
            request("images.get");
            return Optional.ofNullable(images.get(ImageRef.image(image.project(), image.name())));
        }
    }

    @Override
    public synchronized Optional<Image> getImageFromFamily(ImageRef family) {
        request("images.getFromFamily");
        return newestOf(family);
    }

    private Optional<Image> newestOf(ImageRef family) {
        return imageOrder.stream()
                .map(images::get)
                .filter(i -> i.ref().project().equals(family.project())
                        && family.name().equals(i.family()))
                .filter(i ->
                        i.deprecationState() == null || i.deprecationState().equals("ACTIVE"))
                .max(Comparator.comparingInt(i -> imageOrder.indexOf(i.ref())));
    }

    @Override
    public synchronized Optional<Instance> getInstance(InstanceRef instance) {
        request("instances.get");
        List<Instance.AttachedDisk> attached = instances.get(instance);
        return attached == null ? Optional.empty() : Optional.of(new Instance(instance, "RUNNING", attached));
    }

    @Override
    public synchronized List<Disk> listDisks(Map<String, String> labels) {
        request("disks.aggregatedList");
        return disks.values().stream()
                .filter(d -> d.labels().entrySet().containsAll(labels.entrySet()))
                .toList();
    }

    @Override
    public void checkAccess() {
        synchronized (this) {
            request("disks.list");
        }
        CloudException failure = accessFailure;
        if (failure != null) {
            throw failure;
        }
    }

    // --------------------------------------------------------------------------------------- mutations

    private synchronized boolean createDisk(DiskSpec spec, String idempotencyKey) {
        request("disks.insert");
        DiskRef ref = spec.ref();
        Disk existing = disks.get(ref);
        if (existing != null) {
            if (ref.equals(createdUnderKey.get(idempotencyKey))) {
                return false; // the same request again: answered with the first one's operation
            }
            throw new CloudException(
                    Kind.ALREADY_EXISTS,
                    409,
                    "alreadyExists",
                    "disks.insert: HTTP 409 alreadyExists: The resource '" + ref + "' already exists",
                    null);
        }
        checkAccessMode(spec);
        if (spec.sourceDisk() != null) {
            return cloneDisk(spec, idempotencyKey);
        }
        ImageRef source = ImageRef.parse(spec.sourceImage());
        if (source == null) {
            throw invalid(
                    "disks.insert",
                    "Invalid value for field 'resource.sourceImage': '" + spec.sourceImage()
                            + "'. Must be a URL to a valid Compute resource of the correct type.");
        }
        Image image = source.family() ? newestOf(source).orElse(null) : images.get(source);
        if (image == null) {
            throw invalid("disks.insert", "The resource '" + source.path() + "' cannot be found");
        }
        Long minSize = DISK_TYPES.get(spec.type());
        if (minSize == null) {
            throw notFound(
                    "disks.insert", "projects/" + ref.project() + "/zones/" + ref.zone() + "/diskTypes/" + spec.type());
        }
        if (spec.sizeGb() < image.diskSizeGb()) {
            throw invalid(
                    "disks.insert",
                    "Invalid value for field 'resource.sizeGb': '" + spec.sizeGb()
                            + "'. Requested disk size cannot be smaller than the image size (" + image.diskSizeGb()
                            + " GB)");
        }
        if (spec.sizeGb() < minSize) {
            throw invalid(
                    "disks.insert",
                    "Invalid value for field 'resource.sizeGb': '" + spec.sizeGb()
                            + "'. Disk size cannot be smaller than " + minSize + " GB.");
        }
        if (spec.type().equals("hyperdisk-ml") && !DiskSpec.READ_ONLY_MANY.equals(spec.accessMode())) {
            throw invalid(
                    "disks.insert",
                    "Invalid value for field 'resource.accessMode': '" + accessModeOf(spec)
                            + "'. A hyperdisk-ml disk created from an image must have access mode READ_ONLY_MANY.");
        }
        operation("disks.insert");
        disks.put(
                ref,
                new Disk(
                        ref,
                        spec.sizeGb(),
                        spec.type(),
                        image.selfLink(),
                        heldDisks == null ? Disk.READY : Disk.CREATING,
                        List.of(),
                        spec.labels(),
                        spec.description(),
                        SELF_LINK_PREFIX + ref.path(),
                        null,
                        spec.provisionedIops(),
                        spec.provisionedThroughput(),
                        accessModeOf(spec)));
        createdUnderKey.put(idempotencyKey, ref);
        if (heldDisks != null) {
            heldDisks.add(ref);
        }
        return true;
    }

    /** Hyperdisk types take an access mode (default READ_WRITE_SINGLE), each its own; other types none. */
    private static void checkAccessMode(DiskSpec spec) {
        String mode = spec.accessMode();
        boolean hyperdisk = spec.type().startsWith("hyperdisk-");
        if (mode == null) {
            return;
        }
        java.util.Set<String> allowed = switch (spec.type()) {
            case "hyperdisk-ml" -> java.util.Set.of("READ_WRITE_SINGLE", "READ_ONLY_MANY");
            case "hyperdisk-balanced" -> java.util.Set.of("READ_WRITE_SINGLE", "READ_WRITE_MANY");
            default -> hyperdisk ? java.util.Set.of("READ_WRITE_SINGLE") : java.util.Set.of();
        };
        if (!allowed.contains(mode)) {
            throw invalid(
                    "disks.insert",
                    "Invalid value for field 'resource.accessMode': '" + mode + "'. "
                            + (hyperdisk
                                    ? "Disk type " + spec.type() + " supports access modes "
                                            + new java.util.TreeSet<>(allowed) + "."
                                    : "Access mode can only be set for Hyperdisk disk types; disk type " + spec.type()
                                            + " has none."));
        }
    }

    /** The access mode a created disk reports: the spec's, READ_WRITE_SINGLE for Hyperdisk, else none. */
    private static String accessModeOf(DiskSpec spec) {
        if (spec.accessMode() != null) {
            return spec.accessMode();
        }
        return spec.type().startsWith("hyperdisk-") ? "READ_WRITE_SINGLE" : null;
    }

    /** disks.insert with sourceDisk: a copy, in any zone the caller names, at least as large as the source. */
    private boolean cloneDisk(DiskSpec spec, String idempotencyKey) {
        DiskRef ref = spec.ref();
        Disk source = disks.get(spec.sourceDisk());
        if (source == null) {
            throw invalid("disks.insert", "The resource '" + spec.sourceDisk() + "' cannot be found");
        }
        if (spec.sizeGb() < source.sizeGb()) {
            throw invalid(
                    "disks.insert",
                    "Invalid value for field 'resource.sizeGb': '" + spec.sizeGb()
                            + "'. Requested disk size cannot be smaller than the source disk's (" + source.sizeGb()
                            + " GB)");
        }
        operation("disks.insert");
        disks.put(
                ref,
                new Disk(
                        ref,
                        spec.sizeGb(),
                        spec.type(),
                        null,
                        Disk.READY,
                        List.of(),
                        spec.labels(),
                        spec.description(),
                        SELF_LINK_PREFIX + ref.path(),
                        spec.sourceDisk(),
                        spec.provisionedIops(),
                        spec.provisionedThroughput(),
                        accessModeOf(spec)));
        createdUnderKey.put(idempotencyKey, ref);
        return true;
    }

    private synchronized Void createImage(ImageSpec spec, String idempotencyKey) {
        request("images.insert");
        ImageRef ref = spec.ref();
        if (images.containsKey(ref)) {
            if (ref.equals(imagesUnderKey.get(idempotencyKey))) {
                return null; // the same request again
            }
            throw new CloudException(
                    Kind.ALREADY_EXISTS,
                    409,
                    "alreadyExists",
                    "images.insert: HTTP 409 alreadyExists: The resource '" + ref + "' already exists",
                    null);
        }
        Disk source = disks.get(spec.sourceDisk());
        if (source == null) {
            throw invalid("images.insert", "The resource '" + spec.sourceDisk() + "' cannot be found");
        }
        if (!source.users().isEmpty() && !spec.forceCreate()) {
            throw inUse("images.insert", source.ref(), source.users().get(0));
        }
        operation("images.insert");
        images.put(
                ref,
                new Image(
                        ref,
                        spec.family(),
                        source.sizeGb(),
                        Image.READY,
                        SELF_LINK_PREFIX + ref.path(),
                        null,
                        spec.labels(),
                        spec.description(),
                        source.ref(),
                        "2026-01-01T00:00:00.000-08:00"));
        imageOrder.remove(ref);
        imageOrder.add(ref);
        imagesUnderKey.put(idempotencyKey, ref);
        return null;
    }

    private synchronized Void deleteImage(ImageRef ref) {
        request("images.delete");
        if (!images.containsKey(ref)) {
            throw notFound("images.delete", ref.path());
        }
        operation("images.delete");
        images.remove(ref);
        imageOrder.remove(ref);
        return null;
    }

    @Override
    public synchronized List<Image> listImages(String project, Map<String, String> labels) {
        request("images.list");
        return imageOrder.stream()
                .map(images::get)
                .filter(i -> i.ref().project().equals(project))
                .filter(i -> i.labels().entrySet().containsAll(labels.entrySet()))
                .sorted(Comparator.comparing(i -> i.ref().name()))
                .toList();
    }

    private synchronized Void deleteDisk(DiskRef ref) {
        request("disks.delete");
        Disk disk = existing("disks.delete", ref);
        if (!disk.users().isEmpty()) {
            throw inUse("disks.delete", ref, disk.users().get(0));
        }
        operation("disks.delete");
        disks.remove(ref);
        attachTimes.remove(ref);
        return null;
    }

    /**
     * disks.update of provisioned performance, refused as Compute Engine refuses it: IOPS only on hyperdisk-balanced
     * and hyperdisk-extreme, throughput only on hyperdisk-balanced, -throughput and -ml; hyperdisk-balanced's IOPS
     * 3,000 to 500 per GB (at most 160,000) and throughput 140 to IOPS/4 (at most 2,400). The emulator's
     * DiskPerformance holds every type's ranges; the contract test holds the two together.
     */
    private synchronized Void updateDiskPerformance(DiskRef ref, Long iops, Long throughput) {
        request("disks.update");
        Disk d = existing("disks.update", ref);
        String type = d.type();
        if (iops != null && !type.equals("hyperdisk-balanced") && !type.equals("hyperdisk-extreme")) {
            throw invalid(
                    "disks.update",
                    "Invalid value for field 'resource.provisionedIops': '" + iops
                            + "'. Provisioned IOPS is not supported for disk type " + type + ".");
        }
        if (throughput != null
                && !type.equals("hyperdisk-balanced")
                && !type.equals("hyperdisk-throughput")
                && !type.equals("hyperdisk-ml")) {
            throw invalid(
                    "disks.update",
                    "Invalid value for field 'resource.provisionedThroughput': '" + throughput
                            + "'. Provisioned throughput is not supported for disk type " + type + ".");
        }
        if (type.equals("hyperdisk-balanced")) {
            long maxIops = Math.max(3000, Math.min(500 * d.sizeGb(), 160_000));
            if (iops != null && (iops < 3000 || iops > maxIops)) {
                throw invalid(
                        "disks.update",
                        "Invalid value for field 'resource.provisionedIops': '" + iops
                                + "'. Requested provisioned IOPS must be between 3000 and " + maxIops + ".");
            }
            Long effective = iops != null ? iops : d.provisionedIops();
            long maxThroughput = effective == null ? 2400 : Math.max(140, Math.min(effective / 4, 2400));
            if (throughput != null && (throughput < 140 || throughput > maxThroughput)) {
                throw invalid(
                        "disks.update",
                        "Invalid value for field 'resource.provisionedThroughput': '" + throughput
                                + "'. Requested provisioned throughput must be between 140 and " + maxThroughput
                                + " MiB/s.");
            }
        }
        operation("disks.update");
        disks.put(ref, d.withPerformance(iops, throughput));
        return null;
    }

    private synchronized Void resizeDisk(DiskRef ref, long sizeGb) {
        request("disks.resize");
        Disk d = existing("disks.resize", ref);
        if (sizeGb <= d.sizeGb()) {
            throw invalid(
                    "disks.resize",
                    "Invalid value for field 'sizeGb': '" + sizeGb + "'. New disk size '" + sizeGb
                            + "' GB must be larger than existing size '" + d.sizeGb() + "' GB.");
        }
        operation("disks.resize");
        disks.put(ref, d.withSize(sizeGb));
        return null;
    }

    private synchronized Void attachDisk(InstanceRef instance, DiskRef ref, String deviceName, boolean readOnly) {
        request("instances.attachDisk");
        List<Instance.AttachedDisk> attached = instances.get(instance);
        if (attached == null) {
            throw notFound("instances.attachDisk", instance.path());
        }
        Disk disk = existing("instances.attachDisk", ref);
        if (!ref.zone().equals(instance.zone()) || !ref.project().equals(instance.project())) {
            throw invalid(
                    "instances.attachDisk",
                    "Invalid value for field 'resource.source': '" + ref
                            + "'. Disk must be in the same zone as the instance.");
        }
        if (!readOnly && "READ_ONLY_MANY".equals(disk.accessMode())) {
            throw invalid(
                    "instances.attachDisk",
                    "Invalid value for field 'resource.mode': 'READ_WRITE'. Disk '" + ref
                            + "' has access mode READ_ONLY_MANY: it can only be attached in READ_ONLY mode.");
        }
        if (disk.users().contains(instance)) {
            // Compute Engine accepts the call and fails the operation
            operation("instances.attachDisk");
            throw new CloudException(
                    Kind.IN_USE,
                    400,
                    "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE",
                    "instances.attachDisk: operation failed (HTTP 400): RESOURCE_IN_USE_BY_ANOTHER_RESOURCE: The disk"
                            + " resource '" + ref + "' is already being used by '" + instance + "'",
                    null);
        }
        boolean single = "READ_WRITE_SINGLE".equals(disk.accessMode());
        for (InstanceRef user : disk.users()) {
            boolean userWrites = instances.get(user).stream().anyMatch(a -> ref.equals(a.source()) && !a.readOnly());
            if (single || !readOnly || userWrites) {
                // accepted by Compute Engine; its operation fails
                operation("instances.attachDisk");
                throw new CloudException(
                        Kind.IN_USE,
                        400,
                        "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE",
                        "instances.attachDisk: operation failed (HTTP 400): RESOURCE_IN_USE_BY_ANOTHER_RESOURCE: The"
                                + " disk resource '" + ref + "' is already being used by '" + user + "'",
                        null);
            }
        }
        if (readOnly) {
            int cap = readerCaps.getOrDefault(disk.type(), 1);
            if (disk.users().size() >= cap) {
                throw new CloudException(
                        Kind.LIMIT_EXCEEDED,
                        400,
                        "limitExceeded",
                        "instances.attachDisk: HTTP 400 limitExceeded: Exceeded limit 'maximum_read_only_attachments'"
                                + " on resource '" + ref.name() + "' of type " + disk.type() + ". Limit: " + cap
                                + ".0",
                        null);
            }
        }
        if (attached.stream().anyMatch(a -> a.deviceName().equals(deviceName))) {
            throw invalid(
                    "instances.attachDisk",
                    "Invalid value for field 'resource.deviceName': '" + deviceName + "'. Device name '" + deviceName
                            + "' is already in use on instance '" + instance + "'.");
        }
        if (attached.size() >= MAX_ATTACHED) {
            throw new CloudException(
                    Kind.LIMIT_EXCEEDED,
                    400,
                    "limitExceeded",
                    "instances.attachDisk: HTTP 400"
                            + " limitExceeded: Exceeded limit 'maximum_persistent_disks' on resource '"
                            + instance.name()
                            + "'. Limit: " + MAX_ATTACHED + ".0",
                    null);
        }
        if (disk.type().equals("hyperdisk-ml")) {
            long now = clock.getAsLong();
            Deque<Long> times = attachTimes.computeIfAbsent(ref, r -> new ArrayDeque<>());
            while (!times.isEmpty() && times.peekFirst() <= now - paceWindow.toNanos()) {
                times.pollFirst();
            }
            if (times.size() >= pace) {
                // the adapter retries a rate-limit answer and then gives up with RATE_LIMITED
                throw new CloudException(
                        Kind.RATE_LIMITED,
                        403,
                        "rateLimitExceeded",
                        "instances.attachDisk: HTTP 403 rateLimitExceeded: Rate Limit Exceeded: disk '" + ref
                                + "' of type hyperdisk-ml accepts at most " + pace + " attaches per "
                                + paceWindow.toSeconds() + " s.",
                        null);
            }
            times.addLast(now);
        }
        operation("instances.attachDisk");
        attached.add(new Instance.AttachedDisk(ref, deviceName, readOnly, false));
        List<InstanceRef> users = new ArrayList<>(disk.users());
        users.add(instance);
        setUsers(disk, users);
        return null;
    }

    private synchronized Void detachDisk(InstanceRef instance, String deviceName) {
        request("instances.detachDisk");
        List<Instance.AttachedDisk> attached = instances.get(instance);
        if (attached == null) {
            throw notFound("instances.detachDisk", instance.path());
        }
        Instance.AttachedDisk a = attached.stream()
                .filter(d -> d.deviceName().equals(deviceName))
                .findFirst()
                .orElseThrow(() -> invalid(
                        "instances.detachDisk", "No attached disk found with device name '" + deviceName + "'"));
        if (a.boot()) {
            throw invalid(
                    "instances.detachDisk",
                    "Invalid value for field 'deviceName': '" + deviceName
                            + "'. The boot disk of a running instance cannot be detached.");
        }
        operation("instances.detachDisk");
        attached.remove(a);
        Disk disk = disks.get(a.source());
        if (disk != null) {
            List<InstanceRef> users = new ArrayList<>(disk.users());
            users.remove(instance);
            setUsers(disk, users);
        }
        return null;
    }

    // ------------------------------------------------------------------------------- asynchronous mutations

    /**
     * A mutation as the adapter runs it: the request is checked (and its effect made) on the calling thread, and the
     * future completes on another thread, this fake's completion thread, as the adapter's does on a step thread; so
     * the callers' next steps never run on the thread that sent the request.
     */
    private <T> CompletableFuture<T> mutation(String method, Supplier<T> change) {
        NonBlocking.check(method);
        CompletableFuture<T> done = new CompletableFuture<>();
        T value;
        try {
            value = change.get();
        } catch (RuntimeException e) {
            completions.execute(() -> done.completeExceptionally(e));
            return done;
        }
        completions.execute(() -> done.complete(value));
        return done;
    }

    @Override
    public CompletableFuture<Boolean> createDiskAsync(DiskSpec spec, String idempotencyKey) {
        CompletableFuture<Boolean> answer = mutation("disks.insert", () -> createDisk(spec, idempotencyKey));
        synchronized (this) {
            if (heldAnswers == null) {
                return answer;
            }
            CompletableFuture<Boolean> later = new CompletableFuture<>();
            heldAnswers.add(() -> answer.whenComplete((made, failure) -> {
                if (failure != null) {
                    later.completeExceptionally(failure);
                } else {
                    later.complete(made);
                }
            }));
            return later;
        }
    }

    @Override
    public CompletableFuture<Void> deleteDiskAsync(DiskRef disk) {
        return mutation("disks.delete", () -> deleteDisk(disk));
    }

    @Override
    public CompletableFuture<Void> resizeDiskAsync(DiskRef disk, long sizeGb) {
        return mutation("disks.resize", () -> resizeDisk(disk, sizeGb));
    }

    @Override
    public CompletableFuture<Void> updateDiskPerformanceAsync(DiskRef disk, Long iops, Long throughput) {
        return mutation("disks.update", () -> updateDiskPerformance(disk, iops, throughput));
    }

    @Override
    public CompletableFuture<Void> createImageAsync(ImageSpec spec, String idempotencyKey) {
        return mutation("images.insert", () -> createImage(spec, idempotencyKey));
    }

    @Override
    public CompletableFuture<Void> deleteImageAsync(ImageRef image) {
        return mutation("images.delete", () -> deleteImage(image));
    }

    @Override
    public CompletableFuture<Void> attachDiskAsync(
            InstanceRef instance, DiskRef disk, String deviceName, boolean readOnly) {
        return mutation("instances.attachDisk", () -> attachDisk(instance, disk, deviceName, readOnly));
    }

    @Override
    public CompletableFuture<Void> detachDiskAsync(InstanceRef instance, String deviceName) {
        return mutation("instances.detachDisk", () -> detachDisk(instance, deviceName));
    }

    // ---------------------------------------------------------------------------------------- plumbing

    private void setUsers(Disk d, List<InstanceRef> users) {
        disks.put(d.ref(), d.withUsers(users));
    }

    private Disk existing(String method, DiskRef ref) {
        Disk disk = disks.get(ref);
        if (disk == null) {
            throw notFound(method, ref.path());
        }
        return disk;
    }

    /** Counts the request and fails it when a request fault is queued for the method. */
    private void request(String method) {
        NonBlocking.check(method);
        counts.merge(method, 1L, Long::sum);
        Deque<Fault> queued = faults.get(method);
        if (queued != null && !queued.isEmpty() && !queued.peek().operation()) {
            Fault f = queued.poll();
            throw new CloudException(f.kind(), 0, reasonOf(f.kind()), method + ": injected " + f.kind(), null);
        }
    }

    /** Fails the mutation's operation when an operation fault is queued for the method. */
    private void operation(String method) {
        Deque<Fault> queued = faults.get(method);
        if (queued != null && !queued.isEmpty() && queued.peek().operation()) {
            Fault f = queued.poll();
            throw new CloudException(
                    f.kind(),
                    0,
                    reasonOf(f.kind()),
                    method + ": operation failed: injected " + f.kind(),
                    null,
                    f.location());
        }
    }

    private static String reasonOf(Kind kind) {
        return switch (kind) {
            case RATE_LIMITED -> "rateLimitExceeded";
            case NOT_FOUND -> "notFound";
            case ALREADY_EXISTS -> "alreadyExists";
            case IN_USE -> "resourceInUseByAnotherResource";
            case NOT_READY -> "resourceNotReady";
            case UNAVAILABLE -> "backendError";
            case INVALID -> "invalid";
            case PERMISSION_DENIED -> "forbidden";
            case LIMIT_EXCEEDED -> "limitExceeded";
            case ZONE_EXHAUSTED -> "ZONE_RESOURCE_POOL_EXHAUSTED";
            case QUOTA_EXCEEDED -> "QUOTA_EXCEEDED";
            default -> kind.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static CloudException notFound(String method, String path) {
        return new CloudException(
                Kind.NOT_FOUND,
                404,
                "notFound",
                method + ": HTTP 404 notFound: The resource '" + path + "' was not found",
                null);
    }

    private static CloudException invalid(String method, String message) {
        return new CloudException(Kind.INVALID, 400, "invalid", method + ": HTTP 400 invalid: " + message, null);
    }

    private static CloudException inUse(String method, DiskRef disk, InstanceRef user) {
        return new CloudException(
                Kind.IN_USE,
                400,
                "resourceInUseByAnotherResource",
                method + ": HTTP 400"
                        + " resourceInUseByAnotherResource: The disk resource '" + disk + "' is already being used by '"
                        + user + "'",
                null);
    }
}
