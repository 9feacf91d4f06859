package dev.imagedisk.csi.cloud;

import java.util.Objects;

/** A VM instance: {@code projects/P/zones/Z/instances/NAME}. */
public record InstanceRef(String project, String zone, String name) {
    public InstanceRef {
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(name, "name");
    }

    /** Parses a path or a self link; null when it is not one. */
    public static InstanceRef parse(String reference) {
        String[] p = ResourcePaths.zonal(reference, "instances");
        return p == null ? null : new InstanceRef(p[0], p[1], p[2]);
    }

    public String path() {
        return "projects/" + project + "/zones/" + zone + "/instances/" + name;
    }

    @Override
    public String toString() {
        return path();
    }
}
