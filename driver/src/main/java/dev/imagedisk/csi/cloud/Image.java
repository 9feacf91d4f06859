package dev.imagedisk.csi.cloud;

import java.util.Map;

/**
 * A disk image.
 *
 * @param ref the concrete image (never a family)
 * @param family its family, or null
 * @param diskSizeGb the smallest disk that can be made from it
 * @param status {@code READY}, {@code PENDING}, {@code FAILED} or {@code DELETING}
 * @param deprecationState null when active, else {@code DEPRECATED}, {@code OBSOLETE} or {@code DELETED}
 * @param labels its labels (empty when none)
 * @param description its description ("" when none)
 * @param sourceDisk the disk it was made from ({@code projects/P/zones/Z/disks/D}), or null
 * @param creationTimestamp when it was created (RFC 3339), or null
 */
public record Image(
        ImageRef ref,
        String family,
        long diskSizeGb,
        String status,
        String selfLink,
        String deprecationState,
        Map<String, String> labels,
        String description,
        DiskRef sourceDisk,
        String creationTimestamp) {

    public static final String READY = "READY";

    public Image {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        description = description == null ? "" : description;
    }

    /** An image known only by what disk creation needs. */
    public Image(
            ImageRef ref, String family, long diskSizeGb, String status, String selfLink, String deprecationState) {
        this(ref, family, diskSizeGb, status, selfLink, deprecationState, Map.of(), "", null, null);
    }

    public boolean ready() {
        return READY.equals(status);
    }

    /** Whether a disk can be created from it: obsolete and deleted images refuse new disks. */
    public boolean usable() {
        return deprecationState == null
                || deprecationState.isEmpty()
                || "ACTIVE".equals(deprecationState)
                || "DEPRECATED".equals(deprecationState);
    }
}
