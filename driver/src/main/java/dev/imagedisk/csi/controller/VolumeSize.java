package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.common.CsiErrors.invalidArgument;
import static dev.imagedisk.csi.common.CsiErrors.outOfRange;

import csi.v1.CapacityRange;

/** Disk sizes from CSI capacity ranges: whole GiB, rounded up, checked against the limit and the image. */
public final class VolumeSize {
    public static final long GIB = 1L << 30;

    private VolumeSize() {}

    /**
     * The size of a new disk: {@code required_bytes} rounded up to whole GiB, or the image's size when no
     * size is asked for. OUT_OF_RANGE when that is below the image's size or above {@code limit_bytes}.
     */
    public static long forCreate(CapacityRange range, long imageGb) {
        long required = range == null ? 0 : range.getRequiredBytes();
        long limit = range == null ? 0 : range.getLimitBytes();
        check(required, limit);
        long sizeGb = required == 0 ? imageGb : ceilGib(required);
        if (sizeGb < imageGb) {
            throw outOfRange("capacity_range.required_bytes %d (%d GiB) is smaller than the image's disk size of"
                    + " %d GiB", required, sizeGb, imageGb);
        }
        if (limit > 0 && sizeGb * GIB > limit) {
            throw outOfRange(required == 0
                    ? "the image's disk size of %2$d GiB is larger than capacity_range.limit_bytes %1$d"
                    : "capacity_range.limit_bytes %d is below %d GiB, the required size rounded up to whole GiB",
                    limit, sizeGb);
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
            throw outOfRange("capacity_range.limit_bytes %d is below %d GiB, the required size rounded up to whole GiB",
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
