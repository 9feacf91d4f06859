package dev.imagedisk.csi.cloud;

import java.util.List;
import java.util.Map;

/**
 * A disk as Compute Engine reports it.
 *
 * @param type disk type name, e.g. {@code pd-balanced}
 * @param sourceImage self link of the image it was created from, or null
 * @param status {@code CREATING}, {@code RESTORING}, {@code FAILED}, {@code READY} or {@code DELETING}
 * @param users the instances it is attached to
 * @param sourceDisk the disk it was cloned from, or null
 * @param provisionedIops the IOPS provisioned (Hyperdisk, pd-extreme), or null when Compute Engine reports none
 * @param provisionedThroughput the throughput provisioned in MiB/s (Hyperdisk), or null
 * @param accessMode Compute Engine's access mode (Hyperdisk: {@code READ_WRITE_SINGLE}, {@code READ_ONLY_MANY},
 *     {@code READ_WRITE_MANY}), or null when the disk reports none (pd-*)
 */
public record Disk(
        DiskRef ref,
        long sizeGb,
        String type,
        String sourceImage,
        String status,
        List<InstanceRef> users,
        Map<String, String> labels,
        String description,
        String selfLink,
        DiskRef sourceDisk,
        Long provisionedIops,
        Long provisionedThroughput,
        String accessMode) {

    public static final String READY = "READY";
    public static final String CREATING = "CREATING";
    public static final String RESTORING = "RESTORING";
    public static final String FAILED = "FAILED";

    public Disk {
        users = List.copyOf(users);
        labels = Map.copyOf(labels);
        description = description == null ? "" : description;
    }

    /** The same disk with other users. */
    public Disk withUsers(List<InstanceRef> newUsers) {
        return new Disk(
                ref,
                sizeGb,
                type,
                sourceImage,
                status,
                newUsers,
                labels,
                description,
                selfLink,
                sourceDisk,
                provisionedIops,
                provisionedThroughput,
                accessMode);
    }

    /** The same disk at another size. */
    public Disk withSize(long newSizeGb) {
        return new Disk(
                ref,
                newSizeGb,
                type,
                sourceImage,
                status,
                users,
                labels,
                description,
                selfLink,
                sourceDisk,
                provisionedIops,
                provisionedThroughput,
                accessMode);
    }

    /** The same disk with other provisioned values (null keeps the current one). */
    public Disk withPerformance(Long iops, Long throughput) {
        return new Disk(
                ref,
                sizeGb,
                type,
                sourceImage,
                status,
                users,
                labels,
                description,
                selfLink,
                sourceDisk,
                iops != null ? iops : provisionedIops,
                throughput != null ? throughput : provisionedThroughput,
                accessMode);
    }

    public boolean ready() {
        return READY.equals(status);
    }

    /** Still being made: a caller that wants it READY may wait. */
    public boolean inProgress() {
        return CREATING.equals(status) || RESTORING.equals(status);
    }

    /** The concrete image it was created from, or null. */
    public ImageRef sourceImageRef() {
        return sourceImage == null ? null : ImageRef.parse(sourceImage);
    }
}
