package dev.imagedisk.csi.cloud;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The Compute Engine calls the driver makes. Reads answer on the calling thread, empty for a resource that does not
 * exist. Mutations are asynchronous only: each sends its request on the calling thread (within the call's
 * {@link dev.imagedisk.csi.common.CallDeadline}) and returns a future that completes when the operation is DONE, or
 * fails with a {@link CloudException}; so a served call holds no thread while Compute Engine works. The future
 * completes on a thread of the adapter where the caller's next step may send requests (never the thread that
 * completed the operation wait, never a timer).
 */
public interface ComputeCloud {
    Optional<Disk> getDisk(DiskRef disk);

    /**
     * Creates a disk; the future completes once it is READY. {@code idempotencyKey} names the request across
     * retries and restarts: the same key sends the same Compute Engine {@code requestId}, so a repeated insert is
     * answered with the first one's operation instead of a second disk. Completes with true when this call's own
     * request made the disk (its operation was new and ended without error: the disk is READY exactly as {@code spec}
     * says, so the caller need not read it back); false when the answer may be an earlier request's (same
     * idempotency key), whose disk the caller should read. ALREADY_EXISTS when a disk of that name was made under
     * another key.
     */
    CompletableFuture<Boolean> createDiskAsync(DiskSpec spec, String idempotencyKey);

    CompletableFuture<Void> deleteDiskAsync(DiskRef disk);

    /** Grows the disk to {@code sizeGb}. */
    CompletableFuture<Void> resizeDiskAsync(DiskRef disk, long sizeGb);

    /**
     * Changes the disk's provisioned IOPS and/or throughput ({@code disks.update}; null leaves a value as it is, at
     * least one is set). Compute Engine refuses types without them and values out of the type's range for the
     * disk's size ({@link CloudException.Kind#INVALID}).
     */
    CompletableFuture<Void> updateDiskPerformanceAsync(DiskRef disk, Long iops, Long throughput);

    Optional<Image> getImage(ImageRef image);

    /** The family's current image: the newest one that is not deprecated. */
    Optional<Image> getImageFromFamily(ImageRef family);

    /**
     * Creates a global image from a disk; the future completes when its (global) operation is DONE.
     * {@code idempotencyKey} works as for {@link #createDiskAsync}: a repeated request with the same key is answered
     * with the first one's operation. An image of that name that exists already is
     * {@link CloudException.Kind#ALREADY_EXISTS}.
     */
    CompletableFuture<Void> createImageAsync(ImageSpec spec, String idempotencyKey);

    /** Deletes a concrete image; a missing image is NOT_FOUND. */
    CompletableFuture<Void> deleteImageAsync(ImageRef image);

    /**
     * Every image of {@code project} that carries all of {@code labels} (all pages read), in Compute Engine's
     * order (by name).
     */
    List<Image> listImages(String project, Map<String, String> labels);

    Optional<Instance> getInstance(InstanceRef instance);

    CompletableFuture<Void> attachDiskAsync(InstanceRef instance, DiskRef disk, String deviceName, boolean readOnly);

    CompletableFuture<Void> detachDiskAsync(InstanceRef instance, String deviceName);

    /** Every disk of the project, in any zone, that carries all of {@code labels}. */
    List<Disk> listDisks(Map<String, String> labels);

    /** A cheap call that succeeds when the API is reachable with our credentials. */
    void checkAccess();
}
