package dev.imagedisk.csi.cloud;

import java.util.Objects;

/** A zonal disk: {@code projects/P/zones/Z/disks/NAME}. */
public record DiskRef(String project, String zone, String name) {
    public DiskRef {
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(name, "name");
    }

    /** Parses a path or a self link ({@code https://.../compute/v1/projects/...}); null when it is not one. */
    public static DiskRef parse(String reference) {
        String[] p = ResourcePaths.zonal(reference, "disks");
        return p == null ? null : new DiskRef(p[0], p[1], p[2]);
    }

    public String path() {
        return "projects/" + project + "/zones/" + zone + "/disks/" + name;
    }

    @Override
    public String toString() {
        return path();
    }
}
