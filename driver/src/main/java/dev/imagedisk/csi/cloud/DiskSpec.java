package dev.imagedisk.csi.cloud;

import java.util.Map;
import java.util.Objects;

/**
 * What to create: a disk from an image, or a copy of another disk (a clone).
 *
 * @param sourceImage the concrete image (its self link or path), or null for a clone
 * @param kmsKey Cloud KMS key name for customer-managed encryption, or null
 * @param provisionedIops IOPS to provision, or null for the type's default
 * @param provisionedThroughput throughput in MB/s to provision, or null for the type's default
 * @param sourceDisk the disk to copy, or null when made from {@code sourceImage}
 * @param accessMode Compute Engine's access mode ({@code READ_ONLY_MANY} for a Hyperdisk ML disk from an image), or
 *     null for the type's default (pd-* disks take none)
 */
public record DiskSpec(
        DiskRef ref,
        long sizeGb,
        String type,
        String sourceImage,
        Map<String, String> labels,
        String description,
        String kmsKey,
        Long provisionedIops,
        Long provisionedThroughput,
        DiskRef sourceDisk,
        String accessMode) {

    public static final String READ_ONLY_MANY = "READ_ONLY_MANY";

    public DiskSpec {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(type, "type");
        if ((sourceImage == null) == (sourceDisk == null)) {
            throw new IllegalArgumentException("a disk is made from exactly one of an image and a disk");
        }
        labels = Map.copyOf(labels);
    }

    /** A disk from an image. */
    public DiskSpec(
            DiskRef ref,
            long sizeGb,
            String type,
            String sourceImage,
            Map<String, String> labels,
            String description,
            String kmsKey,
            Long provisionedIops,
            Long provisionedThroughput) {
        this(ref, sizeGb, type, sourceImage, labels, description, kmsKey, provisionedIops, provisionedThroughput, null);
    }

    /** A disk from an image or a copy of a disk, in the type's default access mode. */
    public DiskSpec(
            DiskRef ref,
            long sizeGb,
            String type,
            String sourceImage,
            Map<String, String> labels,
            String description,
            String kmsKey,
            Long provisionedIops,
            Long provisionedThroughput,
            DiskRef sourceDisk) {
        this(
                ref,
                sizeGb,
                type,
                sourceImage,
                labels,
                description,
                kmsKey,
                provisionedIops,
                provisionedThroughput,
                sourceDisk,
                null);
    }

    /** This spec with another access mode (null: the type's default). */
    public DiskSpec withAccessMode(String mode) {
        return new DiskSpec(
                ref,
                sizeGb,
                type,
                sourceImage,
                labels,
                description,
                kmsKey,
                provisionedIops,
                provisionedThroughput,
                sourceDisk,
                mode);
    }

    /** This spec for another disk (name and zone), the rest alike. */
    public DiskSpec withRef(DiskRef other) {
        return new DiskSpec(
                other,
                sizeGb,
                type,
                sourceImage,
                labels,
                description,
                kmsKey,
                provisionedIops,
                provisionedThroughput,
                sourceDisk,
                accessMode);
    }
}
