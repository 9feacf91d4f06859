package dev.imagedisk.csi.cloud;

/**
 * A disk image.
 *
 * @param ref the concrete image (never a family)
 * @param family its family, or null
 * @param diskSizeGb the smallest disk that can be made from it
 * @param status {@code READY}, {@code PENDING}, {@code FAILED} or {@code DELETING}
 * @param deprecationState null when active, else {@code DEPRECATED}, {@code OBSOLETE} or {@code DELETED}
 */
public record Image(ImageRef ref, String family, long diskSizeGb, String status, String selfLink,
        String deprecationState) {

    public boolean ready() {
        return "READY".equals(status);
    }

    /** Whether a disk can be created from it: obsolete and deleted images refuse new disks. */
    public boolean usable() {
        return deprecationState == null || deprecationState.isEmpty() || "ACTIVE".equals(deprecationState)
                || "DEPRECATED".equals(deprecationState);
    }
}
