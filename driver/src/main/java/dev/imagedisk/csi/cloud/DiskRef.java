package dev.imagedisk.csi.cloud;

import dev.imagedisk.csi.contract.VolumeId;
import dev.imagedisk.csi.contract.ZonalPath;
import java.util.Objects;

/** A zonal disk: {@code projects/P/zones/Z/disks/NAME}; its path is the CSI volume id ({@link VolumeId}). */
public record DiskRef(String project, String zone, String name) {
    public DiskRef {
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(name, "name");
    }

    /** Parses a path or a self link ({@code https://.../compute/v1/projects/...}); null when it is not one. */
    public static DiskRef parse(String reference) {
        return VolumeId.parse(ZonalPath.relative(reference)).map(DiskRef::of).orElse(null);
    }

    public static DiskRef of(VolumeId id) {
        return new DiskRef(id.project(), id.zone(), id.name());
    }

    /** The CSI volume id of this disk. */
    public VolumeId volumeId() {
        return new VolumeId(project, zone, name);
    }

    public String path() {
        return volumeId().path();
    }

    @Override
    public String toString() {
        return path();
    }
}
