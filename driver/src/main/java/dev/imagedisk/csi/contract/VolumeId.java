package dev.imagedisk.csi.contract;

import java.util.Optional;

/**
 * The CSI volume id of a disk: {@code projects/P/zones/Z/disks/NAME}. Controller and node parse it here only. A reader
 * set's id ({@link ReaderSetId}, zone {@code multi-zone}) is not one.
 */
public record VolumeId(String project, String zone, String name) {
    public static final String COLLECTION = "disks";
    public static final String FORM = "projects/P/zones/Z/disks/NAME";

    /** The disk the id names, or empty when it is not a volume id of this driver. */
    public static Optional<VolumeId> parse(String id) {
        return ZonalPath.parse(id, COLLECTION)
                .filter(p -> !p.zone().equals(ReaderSetId.MULTI_ZONE))
                .map(p -> new VolumeId(p.project(), p.zone(), p.name()));
    }

    /** Whether {@code id} is any volume id of this driver: a zonal disk's, or a reader set's ({@link ReaderSetId}). */
    public static boolean isVolume(String id) {
        return parse(id).isPresent() || ReaderSetId.parse(id).isPresent();
    }

    public String path() {
        return "projects/" + project + "/zones/" + zone + "/" + COLLECTION + "/" + name;
    }

    @Override
    public String toString() {
        return path();
    }
}
