package dev.imagedisk.csi.controller;

import dev.imagedisk.csi.cloud.DiskRef;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The CSI volume id of a disk: {@code projects/P/zones/Z/disks/NAME}. An id that does not have this
 * shape names no volume of ours, which the RPCs answer like a missing disk.
 */
public final class VolumeId {
    private static final Pattern SEGMENT = Pattern.compile("[a-z0-9][-a-z0-9.:]{0,62}");
    private static final Pattern NAME = Pattern.compile("[a-z]([-a-z0-9]{0,61}[a-z0-9])?");

    private VolumeId() {}

    public static String of(DiskRef disk) {
        return disk.path();
    }

    /** The disk the id names, or empty when it is not a volume id of this driver. */
    public static Optional<DiskRef> parse(String volumeId) {
        if (volumeId == null) {
            return Optional.empty();
        }
        String[] p = volumeId.split("/", -1);
        if (p.length != 6 || !p[0].equals("projects") || !p[2].equals("zones") || !p[4].equals("disks")
                || !SEGMENT.matcher(p[1]).matches() || !SEGMENT.matcher(p[3]).matches()
                || !NAME.matcher(p[5]).matches()) {
            return Optional.empty();
        }
        return Optional.of(new DiskRef(p[1], p[3], p[5]));
    }
}
