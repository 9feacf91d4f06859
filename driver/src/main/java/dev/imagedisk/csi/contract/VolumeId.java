package dev.imagedisk.csi.contract;

import java.util.Optional;

/** The CSI volume id of a disk: {@code projects/P/zones/Z/disks/NAME}. Controller and node parse it here only. */
public record VolumeId(String project, String zone, String name) {
    public static final String COLLECTION = "disks";
    public static final String FORM = "projects/P/zones/Z/disks/NAME";

    /** The disk the id names, or empty when it is not a volume id of this driver. */
    public static Optional<VolumeId> parse(String id) {
        return ZonalPath.parse(id, COLLECTION).map(p -> new VolumeId(p.project(), p.zone(), p.name()));
    }

    public String path() {
        return "projects/" + project + "/zones/" + zone + "/" + COLLECTION + "/" + name;
    }

    @Override
    public String toString() {
        return path();
    }
}
