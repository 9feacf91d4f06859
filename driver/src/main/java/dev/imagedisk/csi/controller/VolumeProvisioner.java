package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.alreadyExists;
import static dev.imagedisk.csi.server.CsiErrors.failedPrecondition;
import static dev.imagedisk.csi.server.CsiErrors.invalidArgument;
import static dev.imagedisk.csi.server.CsiErrors.notFound;

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
import dev.imagedisk.csi.common.Scheduler;
import dev.imagedisk.csi.contract.GceNames;
import dev.imagedisk.csi.contract.Keys;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, deletes and grows disks for volumes. Creation is idempotent by the request name: the disk name and the
 * insert's request id derive from it, and a disk that already exists (from an earlier attempt, maybe still
 * CREATING) is waited for ({@link DiskReadiness}) and accepted when it matches the request. Images are resolved by
 * the {@link ImageResolver}.
 */
public final class VolumeProvisioner {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeProvisioner.class);

    /**
     * A CreateVolume, checked; made by {@link #of}, which decides once where the content comes from.
     *
     * @param image the image (or family) the disk is made from, or null for a clone
     * @param imageOrigin where {@code image} was named, for messages
     * @param cloneOf the disk named by {@code volume_content_source.volume}, or null
     * @param sharing how the disk is shared read-only ({@link SharedReadOnly#plan}): its access mode, and whether it
     *     is the first disk of a reader set
     */
    public record CreateRequest(
            String name,
            StorageClassParameters parameters,
            CapacityRange capacity,
            TopologyRequirement topology,
            ImageRef image,
            String imageOrigin,
            DiskRef cloneOf,
            SharedReadOnly.Plan sharing) {

        public CreateRequest {
            if (sharing == null) {
                sharing = new SharedReadOnly.Plan(null, false, 0);
            }
        }

        /** {@link #of(String, StorageClassParameters, CapacityRange, TopologyRequirement, ImageRef, DiskRef,
         * SharedReadOnly.Plan)}, not shared read-only beyond what the disk type allows. */
        public static CreateRequest of(
                String name,
                StorageClassParameters parameters,
                CapacityRange capacity,
                TopologyRequirement topology,
                ImageRef snapshot,
                DiskRef cloneOf) {
            return of(name, parameters, capacity, topology, snapshot, cloneOf, null);
        }

        /**
         * The request, its content decided: a clone of {@code cloneOf}; else the image {@code snapshot} names, which
         * wins over the StorageClass {@code image}; else the StorageClass {@code image}.
         */
        public static CreateRequest of(
                String name,
                StorageClassParameters parameters,
                CapacityRange capacity,
                TopologyRequirement topology,
                ImageRef snapshot,
                DiskRef cloneOf,
                SharedReadOnly.Plan sharing) {
            if (cloneOf != null) {
                return new CreateRequest(name, parameters, capacity, topology, null, null, cloneOf, sharing);
            }
            if (snapshot != null) {
                return new CreateRequest(
                        name,
                        parameters,
                        capacity,
                        topology,
                        snapshot,
                        "volume_content_source.snapshot.snapshot_id",
                        null,
                        sharing);
            }
            return new CreateRequest(
                    name,
                    parameters,
                    capacity,
                    topology,
                    parameters.image(),
                    ImageResolver.STORAGE_CLASS,
                    null,
                    sharing);
        }
    }

    private final ComputeCloud cloud;
    private final String project;
    private final ZonePicker zones;
    private final ImageResolver images;
    private final DiskReadiness readiness;
    private final Scheduler scheduler;

    /**
     * @param readyTimeout how long an existing disk may stay CREATING
     * @param scheduler runs the image reads and the reads of a disk still being created (no thread waits)
     */
    public VolumeProvisioner(
            ComputeCloud cloud,
            String project,
            ZonePicker zones,
            Duration readyTimeout,
            ImageCache imageCache,
            Scheduler scheduler) {
        this.cloud = cloud;
        this.project = project;
        this.zones = zones;
        this.images = new ImageResolver(cloud, imageCache, scheduler);
        this.readiness = new DiskReadiness(cloud, scheduler, readyTimeout);
        this.scheduler = scheduler;
    }

    /**
     * The disk for this request: created now, or the matching one made by an earlier attempt. No thread waits while
     * the image is read or the disk is made: the checks and the insert run on the calling thread (or after the image
     * read, on a step thread), and the future completes when the disk is READY.
     */
    public CompletableFuture<Disk> createAsync(CreateRequest request) {
        return Futures.compose(() -> request.cloneOf() != null ? clone(request) : fromImage(request));
    }

    private CompletableFuture<Disk> fromImage(CreateRequest request) {
        String zone = zones.pick(request.topology(), request.name());
        CallDeadline call = CallDeadline.current();
        CompletableFuture<Image> image = images.resolve(request.image(), request.imageOrigin());
        if (image.isDone()) { // cached: insert on this thread
            return image.thenCompose(i -> fromImage(request, zone, i));
        }
        // read now: each caller that waited for the read inserts from a step thread of its own
        return image.thenComposeAsync(i -> CallDeadline.within(call, () -> fromImage(request, zone, i)), scheduler);
    }

    private CompletableFuture<Disk> fromImage(CreateRequest request, String zone, Image image) {
        long sizeGb = VolumeSize.forCreate(
                request.capacity(), image.diskSizeGb(), request.parameters().type());
        DiskSpec spec = spec(request, new DiskRef(project, zone, GceNames.derive(request.name())), sizeGb, image, null);
        return insert(request, spec, disk -> matchingImage(disk, request, image));
    }

    /**
     * A clone: a copy of the source volume's disk ({@code disks.insert} with {@code sourceDisk}) in the source's
     * zone, at least as large as the source.
     */
    private CompletableFuture<Disk> clone(CreateRequest request) {
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
        long sizeGb = VolumeSize.forCreate(
                request.capacity(), source.sizeGb(), request.parameters().type());
        DiskSpec spec = spec(
                request, new DiskRef(sourceRef.project(), zone, GceNames.derive(request.name())), sizeGb, null, source);
        return insert(request, spec, disk -> matchingClone(disk, request, source));
    }

    /**
     * The disk to insert: from {@code image}, or a copy of {@code source}, in the access mode the sharing plan says.
     * A reader set's first disk is named as the set and carries the set's label and layout; its image is the one
     * concrete image every disk of the set is made from.
     */
    private static DiskSpec spec(CreateRequest request, DiskRef ref, long sizeGb, Image image, Disk source) {
        StorageClassParameters params = request.parameters();
        SharedReadOnly.Plan sharing = request.sharing();
        java.util.Map<String, String> labels = new java.util.LinkedHashMap<>(params.diskLabels());
        String description = DiskDescription.of(request.name(), params);
        if (sharing.readerSet()) {
            labels.put(Keys.READER_SET_LABEL_KEY, ref.name());
            description = DiskDescription.ofReaderSet(
                    request.name(),
                    params,
                    new DiskDescription.SetLayout(
                            setZones(request.topology(), ref.zone()),
                            sharing.maxReaders(),
                            params.kmsKey(),
                            params.provisionedIops(),
                            params.provisionedThroughput()));
        }
        return new DiskSpec(
                ref,
                sizeGb,
                params.type(),
                image == null ? null : image.selfLink(),
                labels,
                description,
                params.kmsKey(),
                params.provisionedIops(),
                params.provisionedThroughput(),
                source == null ? null : source.ref(),
                sharing.accessMode());
    }

    /** The zones a reader set serves: the requirement's allowed zones (with the first disk's), else its own. */
    static List<String> setZones(TopologyRequirement topology, String firstZone) {
        List<String> allowed = new java.util.ArrayList<>(ZonePicker.allowedZones(topology));
        if (!allowed.contains(firstZone)) {
            allowed.add(0, firstZone);
        }
        return allowed;
    }

    /**
     * The one create path, for an image and a clone alike: inserts {@code spec}. When this call's own insert ended
     * DONE without error, Compute Engine made the disk READY exactly as specified, so it is not read back (one API
     * call less per volume). Otherwise (the answer was an earlier attempt's, or the disk exists) the disk is read
     * once READY and {@code matches} accepts it or throws ALREADY_EXISTS.
     */
    private CompletableFuture<Disk> insert(CreateRequest request, DiskSpec spec, UnaryOperator<Disk> matches) {
        DiskRef ref = spec.ref();
        CallDeadline call = CallDeadline.current();
        return cloud.createDiskAsync(spec, ref.path())
                .handle((ours, failure) -> {
                    if (failure == null && ours) {
                        return CompletableFuture.completedFuture(asSpecified(spec));
                    }
                    return CallDeadline.within(
                            call,
                            () -> Futures.compose(() -> {
                                if (failure != null) {
                                    alreadyExistsOrRethrow(failure);
                                    LOG.info(
                                            "disk {} exists already; checking it matches volume {}",
                                            ref,
                                            request.name());
                                }
                                return readiness
                                        .await(ref)
                                        .thenApply(disk -> CallDeadline.within(call, () -> matches.apply(disk)));
                            }));
                })
                .thenCompose(f -> f);
    }

    private static Disk asSpecified(DiskSpec spec) {
        return new Disk(
                spec.ref(),
                spec.sizeGb(),
                spec.type(),
                spec.sourceImage(),
                Disk.READY,
                List.of(),
                spec.labels(),
                spec.description(),
                null,
                spec.sourceDisk(),
                spec.provisionedIops(),
                spec.provisionedThroughput(),
                spec.accessMode());
    }

    /** Returns when {@code failure} is ALREADY_EXISTS from the cloud; rethrows it otherwise. */
    private static void alreadyExistsOrRethrow(Throwable failure) {
        Throwable f = Futures.unwrap(failure);
        if (!(f instanceof CloudException e && e.is(CloudException.Kind.ALREADY_EXISTS))) {
            throw Futures.rethrow(f);
        }
    }

    /** ALREADY_EXISTS unless the disk was made for another volume name. */
    private static void sameRequest(Disk disk, CreateRequest request) {
        String recorded = DiskDescription.requestName(disk.description());
        if (recorded != null && !recorded.equals(request.name())) {
            throw alreadyExists(
                    "disk %s was created for volume \"%s\", not \"%s\"", disk.ref(), recorded, request.name());
        }
    }

    /** The existing disk when it is what this request would have made from {@code image}; ALREADY_EXISTS if not. */
    private Disk matchingImage(Disk disk, CreateRequest request, Image image) {
        sameRequest(disk, request);
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
        if (!images.sameImage(disk, request.image(), image)) {
            throw alreadyExists(
                    "volume \"%s\" exists as disk %s made from image %s, not from %s",
                    request.name(), disk.ref(), disk.sourceImage(), request.image());
        }
        return disk;
    }

    /** The existing disk when it is this request's clone of {@code source}; ALREADY_EXISTS if not. */
    private static Disk matchingClone(Disk disk, CreateRequest request, Disk source) {
        sameRequest(disk, request);
        if (!source.ref().equals(disk.sourceDisk())) {
            throw alreadyExists(
                    "volume \"%s\" exists as disk %s %s, not as a clone of %s",
                    request.name(),
                    disk.ref(),
                    disk.sourceDisk() == null
                            ? "made from image " + disk.sourceImage()
                            : "cloned from " + disk.sourceDisk(),
                    source.ref());
        }
        if (!Objects.equals(disk.type(), request.parameters().type())
                || !VolumeSize.fits(request.capacity(), disk.sizeGb(), source.sizeGb())) {
            throw alreadyExists(
                    "volume \"%s\" exists as disk %s (%s, %d GiB), which does not match the request",
                    request.name(), disk.ref(), disk.type(), disk.sizeGb());
        }
        return disk;
    }

    /**
     * What of the disk does not match the StorageClass {@code parameters} (for ValidateVolumeCapabilities), or
     * empty when it matches: its type, and the image ({@link ImageResolver#mismatch}). The StorageClass image is not
     * compared for a clone, as CreateVolume did not use it.
     */
    public Optional<String> mismatch(Disk disk, StorageClassParameters parameters) {
        if (!Objects.equals(disk.type(), parameters.type())) {
            return Optional.of("volume " + disk.ref() + " is a " + disk.type() + " disk, not " + parameters.type());
        }
        if (parameters.image() == null || disk.sourceDisk() != null) {
            return Optional.empty();
        }
        return images.mismatch(disk, parameters.image());
    }

    /**
     * Deletes the disk, its operation awaited without holding the thread; a missing one is already deleted.
     * FAILED_PRECONDITION while it is attached, naming the instances, or when it is not a disk of this driver.
     */
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
            return Removal.goneIsDone(cloud.deleteDiskAsync(ref), e -> {
                if (e.is(CloudException.Kind.IN_USE)) {
                    Optional<Disk> now = cloud.getDisk(ref);
                    if (now.isPresent() && !now.get().users().isEmpty()) {
                        throw stillAttached(now.get());
                    }
                }
                return false;
            });
        });
    }

    private static RuntimeException stillAttached(Disk disk) {
        return failedPrecondition(
                "volume %s is still attached to %s; unpublish it first",
                disk.ref(), disk.users().stream().map(InstanceRef::path).collect(Collectors.joining(", ")));
    }

    /**
     * Grows the disk to the range, the resize operation awaited without holding the thread; a disk already that
     * large or larger stays as it is. Completes with the disk's size in GB.
     */
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
