package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.alreadyExists;
import static dev.imagedisk.csi.server.CsiErrors.deadlineExceeded;
import static dev.imagedisk.csi.server.CsiErrors.failedPrecondition;
import static dev.imagedisk.csi.server.CsiErrors.internal;
import static dev.imagedisk.csi.server.CsiErrors.invalidArgument;
import static dev.imagedisk.csi.server.CsiErrors.notFound;
import static dev.imagedisk.csi.server.CsiErrors.unavailable;

import csi.v1.CapacityRange;
import csi.v1.TopologyRequirement;
import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.ComputeCloud;
import dev.imagedisk.csi.cloud.Disk;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.cloud.DiskSpec;
import dev.imagedisk.csi.cloud.Image;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.cloud.InstanceRef;
import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.common.Futures;
import dev.imagedisk.csi.contract.GceNames;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.server.CsiErrors;
import dev.imagedisk.csi.server.CsiFailure;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, deletes and grows disks for volumes. Creation is idempotent by the request name: the disk
 * name and the insert's request id derive from it, and a disk that already exists (from an earlier
 * attempt, maybe still CREATING) is waited for and accepted when it matches the request.
 */
public final class VolumeProvisioner {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeProvisioner.class);

    /**
     * A CreateVolume, checked.
     *
     * @param snapshot the image (or family) named by {@code volume_content_source.snapshot}, or null; it wins over
     *     the StorageClass {@code image}
     * @param cloneOf the disk named by {@code volume_content_source.volume}, or null
     */
    public record CreateRequest(
            String name,
            StorageClassParameters parameters,
            CapacityRange capacity,
            TopologyRequirement topology,
            ImageRef snapshot,
            DiskRef cloneOf,
            SharedReadOnly.Plan sharing) {

        public CreateRequest {
            if (sharing == null) {
                sharing = new SharedReadOnly.Plan(null, false, 0);
            }
        }

        /** A volume from an image or a clone, shared read-only as its StorageClass type says. */
        public CreateRequest(
                String name,
                StorageClassParameters parameters,
                CapacityRange capacity,
                TopologyRequirement topology,
                ImageRef snapshot,
                DiskRef cloneOf) {
            this(name, parameters, capacity, topology, snapshot, cloneOf, null);
        }

        /** A volume from the StorageClass image. */
        public CreateRequest(
                String name, StorageClassParameters parameters, CapacityRange capacity, TopologyRequirement topology) {
            this(name, parameters, capacity, topology, null, null);
        }

        /** The image the disk is made from: the snapshot source, else the StorageClass {@code image}. */
        ImageRef image() {
            return snapshot != null ? snapshot : parameters.image();
        }

        /** Where the image came from, for messages. */
        String imageOrigin() {
            return snapshot != null ? "volume_content_source.snapshot.snapshot_id" : "StorageClass parameter \"image\"";
        }
    }

    private final ComputeCloud cloud;
    private final String project;
    private final ZonePicker zones;
    private final Duration readyTimeout;
    private final ImageCache images;

    public VolumeProvisioner(
            ComputeCloud cloud, String project, ZonePicker zones, Duration readyTimeout, ImageCache images) {
        this.cloud = cloud;
        this.project = project;
        this.zones = zones;
        this.readyTimeout = readyTimeout;
        this.images = images;
    }

    /** The disk for this request: created now, or the matching one made by an earlier attempt. */
    public Disk create(CreateRequest request) {
        return join(createAsync(request));
    }

    /**
     * {@link #create} without holding the thread while the disk is made: the checks, the image and the insert run
     * on the calling thread, and the future completes when the insert's operation is DONE.
     */
    public CompletableFuture<Disk> createAsync(CreateRequest request) {
        return Futures.compose(() -> request.cloneOf() != null ? createClone(request) : createFromImage(request));
    }

    private CompletableFuture<Disk> createFromImage(CreateRequest request) {
        StorageClassParameters params = request.parameters();
        String zone = zones.pick(request.topology(), request.name());
        Image image = resolve(request.image(), request.imageOrigin());
        long sizeGb = VolumeSize.forCreate(request.capacity(), image.diskSizeGb(), params.type());
        DiskRef ref = new DiskRef(project, zone, GceNames.derive(request.name()));
        SharedReadOnly.Plan sharing = request.sharing();
        java.util.Map<String, String> labels = new java.util.LinkedHashMap<>(params.diskLabels());
        String description = DiskDescription.of(request.name(), params);
        if (sharing.readerSet()) {
            // the set's first disk, named as the set; its image is the one concrete image every disk is made from
            labels.put(Keys.READER_SET_LABEL_KEY, ref.name());
            description = DiskDescription.ofReaderSet(
                    request.name(),
                    params,
                    new DiskDescription.SetLayout(
                            setZones(request.topology(), zone),
                            sharing.maxReaders(),
                            params.kmsKey(),
                            params.provisionedIops(),
                            params.provisionedThroughput()));
        }
        DiskSpec spec = new DiskSpec(
                        ref,
                        sizeGb,
                        params.type(),
                        image.selfLink(),
                        labels,
                        description,
                        params.kmsKey(),
                        params.provisionedIops(),
                        params.provisionedThroughput())
                .withAccessMode(sharing.accessMode());
        return cloud.createDiskAsync(spec, ref.path())
                .handle(CallDeadline.current().bind((ours, failure) -> {
                    if (failure == null && ours) {
                        // This call's own insert ended DONE without error: Compute Engine made the disk READY exactly
                        // as
                        // specified, so it is not read back (one API call less per volume).
                        return new Disk(
                                ref,
                                spec.sizeGb(),
                                spec.type(),
                                spec.sourceImage(),
                                Disk.READY,
                                List.of(),
                                spec.labels(),
                                spec.description(),
                                null,
                                null,
                                spec.provisionedIops(),
                                spec.provisionedThroughput(),
                                spec.accessMode());
                    }
                    if (failure != null) {
                        alreadyExistsOrRethrow(failure);
                        LOG.info("disk {} exists already; checking it matches volume {}", ref, request.name());
                    }
                    Disk disk = awaitReady(ref);
                    checkMatches(disk, request, image);
                    return disk;
                }));
    }

    /** The zones a reader set serves: the requirement's allowed zones (with the first disk's), else its own. */
    static List<String> setZones(TopologyRequirement topology, String firstZone) {
        List<String> allowed = new java.util.ArrayList<>(ZonePicker.allowedZones(topology));
        if (!allowed.contains(firstZone)) {
            allowed.add(0, firstZone);
        }
        return allowed;
    }

    /** Returns when {@code failure} is ALREADY_EXISTS from the cloud; rethrows it otherwise. */
    private static void alreadyExistsOrRethrow(Throwable failure) {
        Throwable f = Futures.unwrap(failure);
        if (!(f instanceof CloudException e && e.is(CloudException.Kind.ALREADY_EXISTS))) {
            throw Futures.rethrow(f);
        }
    }

    /** Waits on this thread (the synchronous entry points). */
    private static <T> T join(CompletableFuture<T> future) {
        return Futures.join(future, () -> unavailable("interrupted while waiting for Compute Engine"));
    }

    /**
     * Resolves a family to its current image; NOT_FOUND naming the image when it does not exist. A resolution
     * is reused for the image cache's TTL.
     */
    Image resolve(ImageRef ref) {
        return resolve(ref, "StorageClass parameter \"image\"");
    }

    private Image resolve(ImageRef ref, String origin) {
        return images.get(ref, () -> read(ref, origin));
    }

    private Image read(ImageRef ref, String origin) {
        Image image = find(ref).orElseThrow(() -> missing(ref, origin));
        Optional<CsiFailure> unusable = unusable(image);
        if (unusable.isPresent()) {
            throw unusable.get();
        }
        return image;
    }

    private Optional<Image> find(ImageRef ref) {
        return ref.family() ? cloud.getImageFromFamily(ref) : cloud.getImage(ref);
    }

    private static CsiFailure missing(ImageRef ref) {
        return missing(ref, "StorageClass parameter \"image\"");
    }

    /** NOT_FOUND naming the image and where it was named ({@code origin}). */
    private static CsiFailure missing(ImageRef ref, String origin) {
        return notFound(
                ref.family() ? "image family %s has no usable image (%s)" : "image %s does not exist (%s)",
                ref,
                origin);
    }

    /** Why no new disk can be made from {@code image} now, or empty when one can. */
    private static Optional<CsiFailure> unusable(Image image) {
        if (!image.ready()) {
            return Optional.of(unavailable("image %s is %s, not READY", image.ref(), image.status()));
        }
        if (!image.usable()) {
            return Optional.of(failedPrecondition(
                    "image %s is %s: no new disks can be created from it", image.ref(), image.deprecationState()));
        }
        return Optional.empty();
    }

    /** Reads the disk, waiting while it is still CREATING (never past the call's deadline or cancellation). */
    private Disk awaitReady(DiskRef ref) {
        CallDeadline call = CallDeadline.current();
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        long sleepMillis = 100;
        while (true) {
            if (call.stopped() != CallDeadline.Stop.NONE) {
                throw stopped(call, ref);
            }
            Disk disk = cloud.getDisk(ref)
                    .orElseThrow(() -> unavailable("disk %s disappeared while it was being created; retry", ref));
            if (!disk.inProgress()) {
                if (!disk.ready()) {
                    throw internal(
                            "disk %s is %s; it cannot be used (delete it to create the volume anew)",
                            ref, disk.status());
                }
                return disk;
            }
            if (System.nanoTime() > deadline) {
                throw deadlineExceeded("disk %s still %s after %d s", ref, disk.status(), readyTimeout.toSeconds());
            }
            try {
                Thread.sleep(Math.max(
                        1, call.remaining(Duration.ofMillis(sleepMillis)).toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (call.stopped() != CallDeadline.Stop.NONE) {
                    throw stopped(call, ref);
                }
                throw unavailable("interrupted while waiting for disk %s", ref);
            }
            sleepMillis = Math.min(2000, sleepMillis * 2);
        }
    }

    private static CsiFailure stopped(CallDeadline call, DiskRef ref) {
        boolean deadline = call.stopped() == CallDeadline.Stop.DEADLINE;
        return CsiErrors.error(
                deadline ? CsiFailure.Code.DEADLINE_EXCEEDED : CsiFailure.Code.CANCELLED,
                "%s while disk %s was being created; a retry finds it by name",
                deadline ? "the call's deadline passed" : "the call was cancelled",
                ref);
    }

    /** ALREADY_EXISTS unless the existing disk is what this request would have created. */
    private void checkMatches(Disk disk, CreateRequest request, Image image) {
        String recorded = DiskDescription.requestName(disk.description());
        if (recorded != null && !recorded.equals(request.name())) {
            throw alreadyExists(
                    "disk %s was created for volume \"%s\", not \"%s\"", disk.ref(), recorded, request.name());
        }
        if (!Objects.equals(disk.type(), request.parameters().type())) {
            throw alreadyExists(
                    "volume \"%s\" exists as disk %s of type %s, not %s",
                    request.name(),
                    disk.ref(),
                    disk.type(),
                    request.parameters().type());
        }
        if (!VolumeSize.fits(request.capacity(), disk.sizeGb(), image.diskSizeGb())) {
            throw alreadyExists(
                    "volume \"%s\" exists as disk %s of %d GiB, outside the requested capacity range",
                    request.name(), disk.ref(), disk.sizeGb());
        }
        if (!sameImage(disk, request.image(), image)) {
            throw alreadyExists(
                    "volume \"%s\" exists as disk %s made from image %s, not from %s",
                    request.name(), disk.ref(), disk.sourceImage(), request.image());
        }
    }

    /**
     * A clone: a copy of the source volume's disk ({@code disks.insert} with {@code sourceDisk}) in the source's
     * zone, at least as large as the source.
     */
    private CompletableFuture<Disk> createClone(CreateRequest request) {
        StorageClassParameters params = request.parameters();
        DiskRef sourceRef = request.cloneOf();
        Disk source = cloud.getDisk(sourceRef)
                .orElseThrow(() -> notFound(
                        "source volume %s does not exist (volume_content_source.volume.volume_id)", sourceRef));
        String zone = sourceRef.zone();
        List<String> allowed = ZonePicker.allowedZones(request.topology());
        if (!allowed.isEmpty() && !allowed.contains(zone)) {
            throw invalidArgument(
                    "volume_content_source.volume %s is in zone %s, but accessibility_requirements"
                            + " allow only %s: a clone is made in its source's zone",
                    sourceRef, zone, String.join(", ", allowed));
        }
        long sizeGb = VolumeSize.forCreate(request.capacity(), source.sizeGb(), params.type());
        DiskRef ref = new DiskRef(sourceRef.project(), zone, GceNames.derive(request.name()));
        DiskSpec spec = new DiskSpec(
                ref,
                sizeGb,
                params.type(),
                null,
                params.diskLabels(),
                DiskDescription.of(request.name(), params),
                params.kmsKey(),
                params.provisionedIops(),
                params.provisionedThroughput(),
                sourceRef,
                request.sharing().accessMode());
        return cloud.createDiskAsync(spec, ref.path())
                .handle(CallDeadline.current().bind((ours, failure) -> {
                    if (failure == null && ours) {
                        return new Disk(
                                ref,
                                spec.sizeGb(),
                                spec.type(),
                                null,
                                Disk.READY,
                                List.of(),
                                spec.labels(),
                                spec.description(),
                                null,
                                sourceRef);
                    }
                    if (failure != null) {
                        alreadyExistsOrRethrow(failure);
                        LOG.info("disk {} exists already; checking it matches clone {}", ref, request.name());
                    }
                    return matchingClone(request, ref, sourceRef, source);
                }));
    }

    private Disk matchingClone(CreateRequest request, DiskRef ref, DiskRef sourceRef, Disk source) {
        StorageClassParameters params = request.parameters();
        Disk disk = awaitReady(ref);
        String recorded = DiskDescription.requestName(disk.description());
        if (recorded != null && !recorded.equals(request.name())) {
            throw alreadyExists(
                    "disk %s was created for volume \"%s\", not \"%s\"", disk.ref(), recorded, request.name());
        }
        if (!sourceRef.equals(disk.sourceDisk())) {
            throw alreadyExists(
                    "volume \"%s\" exists as disk %s %s, not as a clone of %s",
                    request.name(),
                    ref,
                    disk.sourceDisk() == null
                            ? "made from image " + disk.sourceImage()
                            : "cloned from " + disk.sourceDisk(),
                    sourceRef);
        }
        if (!Objects.equals(disk.type(), params.type())
                || !VolumeSize.fits(request.capacity(), disk.sizeGb(), source.sizeGb())) {
            throw alreadyExists(
                    "volume \"%s\" exists as disk %s (%s, %d GiB), which does not match the request",
                    request.name(), ref, disk.type(), disk.sizeGb());
        }
        return disk;
    }

    /**
     * Whether the disk was made from the requested image; for a family, from any image of that family
     * (the family may have moved on since the first attempt).
     */
    boolean sameImage(Disk disk, ImageRef requested, Image resolved) {
        ImageRef source = disk.sourceImageRef();
        if (source == null) {
            return false;
        }
        if (source.equals(resolved.ref())) {
            return true;
        }
        if (!requested.family() || !source.project().equals(requested.project())) {
            return false;
        }
        return cloud.getImage(source)
                .map(i -> requested.name().equals(i.family()))
                .orElse(false);
    }

    /**
     * What of the disk does not match the StorageClass {@code parameters} (for ValidateVolumeCapabilities), or
     * empty when it matches. The image is read afresh (not from the cache); an image that does not exist or
     * cannot make disks now is a mismatch too. The StorageClass image is not compared for a volume made from a
     * source, as CreateVolume did not use it: a clone, or a disk made from a snapshot (an image this driver made).
     */
    public Optional<String> mismatch(Disk disk, StorageClassParameters parameters) {
        if (!Objects.equals(disk.type(), parameters.type())) {
            return Optional.of("volume " + disk.ref() + " is a " + disk.type() + " disk, not " + parameters.type());
        }
        if (parameters.image() == null || disk.sourceDisk() != null) {
            return Optional.empty();
        }
        Optional<Image> image = find(parameters.image());
        if (image.isPresent() && unusable(image.get()).isEmpty() && sameImage(disk, parameters.image(), image.get())) {
            return Optional.empty();
        }
        if (fromSnapshot(disk)) {
            return Optional.empty();
        }
        if (image.isEmpty()) {
            return Optional.of(missing(parameters.image()).getMessage());
        }
        Optional<CsiFailure> unusable = unusable(image.get());
        if (unusable.isPresent()) {
            return Optional.of(unusable.get().getMessage());
        }
        return Optional.of("volume " + disk.ref() + " was made from image " + disk.sourceImage() + ", not from "
                + parameters.image());
    }

    /** Whether the disk was made from a snapshot: an image labelled as this driver's. */
    private boolean fromSnapshot(Disk disk) {
        ImageRef source = disk.sourceImageRef();
        return source != null
                && cloud.getImage(source).map(Snapshotter::isManaged).orElse(false);
    }

    /**
     * Deletes the disk; a missing one is already deleted. FAILED_PRECONDITION while it is attached, naming
     * the instances, or when it is not a disk of this driver.
     */
    public void delete(DiskRef ref) {
        join(deleteAsync(ref));
    }

    /** {@link #delete}, the delete operation awaited without holding the thread. */
    public CompletableFuture<Void> deleteAsync(DiskRef ref) {
        return Futures.compose(() -> {
            Optional<Disk> found = cloud.getDisk(ref);
            if (found.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            Disk disk = found.get();
            if (!Keys.MANAGED_LABEL_VALUE.equals(disk.labels().get(Keys.MANAGED_LABEL_KEY))) {
                throw failedPrecondition(
                        "disk %s was not created by this driver (no label %s=%s); not deleting it",
                        ref, Keys.MANAGED_LABEL_KEY, Keys.MANAGED_LABEL_VALUE);
            }
            if (!disk.users().isEmpty()) {
                throw stillAttached(disk);
            }
            return cloud.deleteDiskAsync(ref).handle(CallDeadline.current().bind((done, failure) -> {
                if (failure == null) {
                    return null;
                }
                Throwable f = Futures.unwrap(failure);
                if (f instanceof CloudException e) {
                    if (e.is(CloudException.Kind.NOT_FOUND)) {
                        return null;
                    }
                    if (e.is(CloudException.Kind.IN_USE)) {
                        Optional<Disk> now = cloud.getDisk(ref);
                        if (now.isPresent() && !now.get().users().isEmpty()) {
                            throw stillAttached(now.get());
                        }
                    }
                }
                throw Futures.rethrow(f);
            }));
        });
    }

    private static RuntimeException stillAttached(Disk disk) {
        return failedPrecondition(
                "volume %s is still attached to %s; unpublish it first",
                disk.ref(), disk.users().stream().map(InstanceRef::path).collect(Collectors.joining(", ")));
    }

    /** Grows the disk to the range; a disk already that large or larger stays as it is. */
    /** @return the disk's size in GB now */
    public long expand(DiskRef ref, CapacityRange range) {
        return join(expandAsync(ref, range));
    }

    /** {@link #expand}, the resize operation awaited without holding the thread. */
    public CompletableFuture<Long> expandAsync(DiskRef ref, CapacityRange range) {
        return Futures.compose(() -> {
            long sizeGb = VolumeSize.forExpand(range);
            Disk disk = cloud.getDisk(ref).orElseThrow(() -> notFound("volume %s does not exist", ref));
            if (sizeGb <= disk.sizeGb()) {
                return CompletableFuture.completedFuture(disk.sizeGb());
            }
            return cloud.resizeDiskAsync(ref, sizeGb).thenApply(done -> sizeGb);
        });
    }
}
