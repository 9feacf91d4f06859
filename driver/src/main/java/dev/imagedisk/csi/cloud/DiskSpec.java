package dev.imagedisk.csi.cloud;

import java.util.Map;
import java.util.Objects;

/**
 * What to create: a disk from an image.
 *
 * @param sourceImage the concrete image (its self link or path)
 * @param kmsKey Cloud KMS key name for customer-managed encryption, or null
 * @param provisionedIops IOPS to provision, or null for the type's default
 * @param provisionedThroughput throughput in MB/s to provision, or null for the type's default
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
        Long provisionedThroughput) {

    public DiskSpec {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(sourceImage, "sourceImage");
        labels = Map.copyOf(labels);
    }
}
