package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.invalidArgument;
import static dev.imagedisk.csi.server.CsiErrors.outOfRange;

import csi.v1.CapacityRange;
import java.util.Map;

/** Disk sizes from CSI capacity ranges: whole GiB, rounded up, checked against the limit and the image. */
public final class VolumeSize {
    public static final long GIB = 1L << 30;

    /**
     * Compute Engine's smallest disk of each type, in GB (it refuses smaller ones). pd-standard, pd-balanced and
     * pd-ssd: 1 GB. The capacity tables print 10 GiB as their low end, but disks.insert takes less: the PD CSI
     * driver's end-to-end tests make 5 GB disks of all three types, and public gcloud scripts make 1 GB pd-standard
     * and pd-ssd disks (gcloud only warns below 200 GB). gce-emulator/README.md lists the sources; the emulator
     * enforces the same table.
     */
    private static final Map<String, Long> TYPE_MINIMUM_GB = Map.of(
            "pd-standard",
            1L,
            "pd-balanced",
            1L,
            "pd-ssd",
            1L,
            "pd-extreme",
            500L,
            "hyperdisk-balanced",
            4L,
            "hyperdisk-extreme",
            64L,
            "hyperdisk-throughput",
            2048L,
            "hyperdisk-ml",
            4L);

    private VolumeSize() {}

    /** The smallest disk Compute Engine makes of this type (1 for a type this driver does not know). */
    public static long minimumGb(String diskType) {
        return TYPE_MINIMUM_GB.getOrDefault(diskType, 1L);
    }

    /**
     * The size of a new disk: {@code required_bytes} rounded up to whole GiB, or the image's size when no
     * size is asked for, raised to the disk type's minimum. OUT_OF_RANGE when the request is below the image's
     * size, or the result above {@code limit_bytes}.
     */
    public static long forCreate(CapacityRange range, long imageGb, String diskType) {
        long required = range == null ? 0 : range.getRequiredBytes();
        long limit = range == null ? 0 : range.getLimitBytes();
        check(required, limit);
        long sizeGb = required == 0 ? imageGb : ceilGib(required);
        if (sizeGb < imageGb) {
            throw outOfRange(
                    "capacity_range.required_bytes %d (%d GiB) is smaller than the image's disk size of" + " %d GiB",
                    required, sizeGb, imageGb);
        }
        long minimum = minimumGb(diskType);
        if (sizeGb < minimum) {
            if (limit > 0 && minimum * GIB > limit) {
                throw outOfRange(
                        "capacity_range.limit_bytes %d is below %d GB, the smallest %s disk", limit, minimum, diskType);
            }
            sizeGb = minimum;
        }
        if (limit > 0 && sizeGb * GIB > limit) {
            throw outOfRange(
                    required == 0
                            ? "the image's disk size of %2$d GiB is larger than capacity_range.limit_bytes %1$d"
                            : "capacity_range.limit_bytes %d is below %d GiB, the required size rounded up to whole GiB",
                    limit,
                    sizeGb);
        }
        return sizeGb;
    }

    /** The size to grow a disk to: {@code required_bytes} rounded up to whole GiB, within {@code limit_bytes}. */
    public static long forExpand(CapacityRange range) {
        long required = range.getRequiredBytes();
        long limit = range.getLimitBytes();
        check(required, limit);
        if (required == 0 && limit == 0) {
            throw invalidArgument("capacity_range needs required_bytes or limit_bytes");
        }
        long sizeGb = required == 0 ? limit / GIB : ceilGib(required);
        if (limit > 0 && sizeGb * GIB > limit) {
            throw outOfRange(
                    "capacity_range.limit_bytes %d is below %d GiB, the required size rounded up to whole GiB",
                    limit, sizeGb);
        }
        if (sizeGb == 0) {
            throw outOfRange("capacity_range.limit_bytes %d is less than 1 GiB", limit);
        }
        return sizeGb;
    }

    /** Whether an existing disk of {@code sizeGb} satisfies the range (for a repeated CreateVolume). */
    public static boolean fits(CapacityRange range, long sizeGb, long imageGb) {
        long bytes = sizeGb * GIB;
        long required = range == null ? 0 : range.getRequiredBytes();
        long limit = range == null ? 0 : range.getLimitBytes();
        if (required == 0) {
            required = imageGb * GIB;
        }
        return bytes >= required && (limit == 0 || bytes <= limit);
    }

    private static void check(long required, long limit) {
        if (required < 0) {
            throw invalidArgument("capacity_range.required_bytes must not be negative: %d", required);
        }
        if (limit < 0) {
            throw invalidArgument("capacity_range.limit_bytes must not be negative: %d", limit);
        }
        if (limit > 0 && limit < required) {
            throw invalidArgument("capacity_range.limit_bytes %d is less than required_bytes %d", limit, required);
        }
    }

    static long ceilGib(long bytes) {
        return (bytes + GIB - 1) / GIB;
    }
}
