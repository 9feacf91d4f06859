package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.failedPrecondition;
import static dev.imagedisk.csi.server.CsiErrors.notFound;
import static dev.imagedisk.csi.server.CsiErrors.unavailable;

import dev.imagedisk.csi.cloud.ComputeCloud;
import dev.imagedisk.csi.cloud.Disk;
import dev.imagedisk.csi.cloud.Image;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.common.Scheduler;
import dev.imagedisk.csi.server.CsiFailure;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Which image a disk is made from: resolves an image or a family to a concrete image that can make disks now (cached
 * for the {@link ImageCache}'s TTL, read on a step thread), and tells whether an existing disk was made from a
 * requested image.
 */
public final class ImageResolver {
    /** Where an image named by the StorageClass came from, for messages. */
    static final String STORAGE_CLASS = "StorageClass parameter \"image\"";

    private final ComputeCloud cloud;
    private final ImageCache cache;
    private final Scheduler scheduler;

    /** @param scheduler runs the image reads (no caller's thread waits for one) */
    public ImageResolver(ComputeCloud cloud, ImageCache cache, Scheduler scheduler) {
        this.cloud = cloud;
        this.cache = cache;
        this.scheduler = scheduler;
    }

    /**
     * The image {@code ref} names (a family's current one); NOT_FOUND naming it and where it was named
     * ({@code origin}) when there is none, UNAVAILABLE or FAILED_PRECONDITION when it cannot make disks now. The read
     * runs on a step thread for whoever wants the image then (no one caller's deadline); this caller's future ends
     * with its call.
     */
    public CompletableFuture<Image> resolve(ImageRef ref, String origin) {
        return cache.get(
                ref, () -> CallDeadline.within(CallDeadline.NONE, () -> scheduler.supply(() -> read(ref, origin))));
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

    /**
     * Whether the disk was made from the requested image; for a family, from any image of that family (the family
     * may have moved on since the first attempt).
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
     * What of the disk does not match the StorageClass {@code image} (for ValidateVolumeCapabilities), or empty
     * when it matches. The image is read afresh (not from the cache); an image that does not exist or cannot make
     * disks now is a mismatch too. A disk made from a snapshot (an image this driver made) was not made from the
     * StorageClass image and is not compared.
     */
    Optional<String> mismatch(Disk disk, ImageRef image) {
        Optional<Image> found = find(image);
        if (found.isPresent() && unusable(found.get()).isEmpty() && sameImage(disk, image, found.get())) {
            return Optional.empty();
        }
        if (fromSnapshot(disk)) {
            return Optional.empty();
        }
        if (found.isEmpty()) {
            return Optional.of(missing(image, STORAGE_CLASS).getMessage());
        }
        Optional<CsiFailure> unusable = unusable(found.get());
        if (unusable.isPresent()) {
            return Optional.of(unusable.get().getMessage());
        }
        return Optional.of(
                "volume " + disk.ref() + " was made from image " + disk.sourceImage() + ", not from " + image);
    }

    /** Whether the disk was made from a snapshot: an image labelled as this driver's. */
    private boolean fromSnapshot(Disk disk) {
        ImageRef source = disk.sourceImageRef();
        return source != null
                && cloud.getImage(source).map(Snapshotter::isManaged).orElse(false);
    }
}
