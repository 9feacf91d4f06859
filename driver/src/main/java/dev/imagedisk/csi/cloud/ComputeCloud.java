package dev.imagedisk.csi.cloud;

import dev.imagedisk.csi.common.Futures;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The Compute Engine calls the driver makes. Mutations return when their operation is DONE and throw
 * {@link CloudException} when it failed; reads answer empty for a resource that does not exist.
 *
 * <p>Each mutation has an asynchronous form ({@code ...Async}): it sends the request on the calling thread (within
 * the call's {@link dev.imagedisk.csi.common.CallDeadline}) and returns a future that completes when the
 * operation is DONE, so a served call holds no thread while Compute Engine works. The defaults here run the
 * synchronous form (for in-memory fakes); the Compute Engine adapter waits for operations with few threads.
 */
public interface ComputeCloud {
    Optional<Disk> getDisk(DiskRef disk);

    /**
     * Creates a disk and waits until it is READY. {@code idempotencyKey} names the request across retries
     * and restarts: the same key sends the same Compute Engine {@code requestId}, so a repeated insert is
     * answered with the first one's operation instead of a second disk. Returns true when this call's own
     * request made the disk (its operation was new and ended without error: the disk is READY exactly as
     * {@code spec} says, so the caller need not read it back); false when the answer may be an earlier
     * request's (same idempotency key), whose disk the caller should read. ALREADY_EXISTS when a disk of that
     * name was made under another key.
     */
    boolean createDisk(DiskSpec spec, String idempotencyKey);

    void deleteDisk(DiskRef disk);

    /** Grows the disk to {@code sizeGb}. */
    void resizeDisk(DiskRef disk, long sizeGb);

    /**
     * Changes the disk's provisioned IOPS and/or throughput ({@code disks.update}; null leaves a value as it is, at
     * least one is set). Compute Engine refuses types without them and values out of the type's range for the
     * disk's size ({@link CloudException.Kind#INVALID}).
     */
    void updateDiskPerformance(DiskRef disk, Long iops, Long throughput);

    Optional<Image> getImage(ImageRef image);

    /** The family's current image: the newest one that is not deprecated. */
    Optional<Image> getImageFromFamily(ImageRef family);

    /**
     * Creates a global image from a disk and waits until its (global) operation is DONE. {@code idempotencyKey}
     * works as for {@link #insertDisk}: a repeated request with the same key is answered with the first one's
     * operation. An image of that name that exists already is {@link CloudException.Kind#ALREADY_EXISTS}.
     */
    void createImage(ImageSpec spec, String idempotencyKey);

    /** Deletes a concrete image and waits for its operation; a missing image is NOT_FOUND. */
    void deleteImage(ImageRef image);

    /**
     * Every image of {@code project} that carries all of {@code labels} (all pages read), in Compute Engine's
     * order (by name).
     */
    List<Image> listImages(String project, Map<String, String> labels);

    Optional<Instance> getInstance(InstanceRef instance);

    void attachDisk(InstanceRef instance, DiskRef disk, String deviceName, boolean readOnly);

    void detachDisk(InstanceRef instance, String deviceName);

    /** Every disk of the project, in any zone, that carries all of {@code labels}. */
    List<Disk> listDisks(Map<String, String> labels);

    /** A cheap call that succeeds when the API is reachable with our credentials. */
    void checkAccess();

    // ------------------------------------------------------------------------------------ asynchronous forms

    /** {@link #createDisk}, its operation awaited without holding the calling thread. */
    default CompletableFuture<Boolean> createDiskAsync(DiskSpec spec, String idempotencyKey) {
        return Futures.of(() -> createDisk(spec, idempotencyKey));
    }

    /** {@link #deleteDisk}, asynchronous. */
    default CompletableFuture<Void> deleteDiskAsync(DiskRef disk) {
        return Futures.of(() -> {
            deleteDisk(disk);
            return null;
        });
    }

    /** {@link #resizeDisk}, asynchronous. */
    default CompletableFuture<Void> resizeDiskAsync(DiskRef disk, long sizeGb) {
        return Futures.of(() -> {
            resizeDisk(disk, sizeGb);
            return null;
        });
    }

    /** {@link #updateDiskPerformance}, asynchronous. */
    default CompletableFuture<Void> updateDiskPerformanceAsync(DiskRef disk, Long iops, Long throughput) {
        return Futures.of(() -> {
            updateDiskPerformance(disk, iops, throughput);
            return null;
        });
    }

    /** {@link #attachDisk}, asynchronous. */
    default CompletableFuture<Void> attachDiskAsync(
            InstanceRef instance, DiskRef disk, String deviceName, boolean readOnly) {
        return Futures.of(() -> {
            attachDisk(instance, disk, deviceName, readOnly);
            return null;
        });
    }

    /** {@link #detachDisk}, asynchronous. */
    default CompletableFuture<Void> detachDiskAsync(InstanceRef instance, String deviceName) {
        return Futures.of(() -> {
            detachDisk(instance, deviceName);
            return null;
        });
    }

    /** {@link #createImage}, asynchronous. */
    default CompletableFuture<Void> createImageAsync(ImageSpec spec, String idempotencyKey) {
        return Futures.of(() -> {
            createImage(spec, idempotencyKey);
            return null;
        });
    }

    /** {@link #deleteImage}, asynchronous. */
    default CompletableFuture<Void> deleteImageAsync(ImageRef image) {
        return Futures.of(() -> {
            deleteImage(image);
            return null;
        });
    }
}
