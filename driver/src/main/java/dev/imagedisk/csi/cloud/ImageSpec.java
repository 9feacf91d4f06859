package dev.imagedisk.csi.cloud;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What to create: a global image captured from a disk.
 *
 * @param ref the image (never a family)
 * @param sourceDisk the disk whose content becomes the image
 * @param family the family the image joins, or null
 * @param storageLocations where the image is stored (empty: Compute Engine's default, the nearest multi-region)
 * @param labels the image's labels
 * @param description its description ("" for none)
 * @param forceCreate capture even while the disk is attached read-write (crash-consistent)
 */
public record ImageSpec(
        ImageRef ref,
        DiskRef sourceDisk,
        String family,
        List<String> storageLocations,
        Map<String, String> labels,
        String description,
        boolean forceCreate) {
    public ImageSpec {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(sourceDisk, "sourceDisk");
        if (ref.family()) {
            throw new IllegalArgumentException("an image is created by name, not as a family: " + ref);
        }
        storageLocations = storageLocations == null ? List.of() : List.copyOf(storageLocations);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        description = description == null ? "" : description;
    }
}
