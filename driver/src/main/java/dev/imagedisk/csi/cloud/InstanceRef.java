package dev.imagedisk.csi.cloud;

import dev.imagedisk.csi.contract.NodeId;
import dev.imagedisk.csi.contract.ZonalPath;
import java.util.Objects;

/** A VM instance: {@code projects/P/zones/Z/instances/NAME}; its path is the CSI node id ({@link NodeId}). */
public record InstanceRef(String project, String zone, String name) {
    public InstanceRef {
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(name, "name");
    }

    /** Parses a path or a self link; null when it is not one. */
    public static InstanceRef parse(String reference) {
        return NodeId.parse(ZonalPath.relative(reference)).map(InstanceRef::of).orElse(null);
    }

    public static InstanceRef of(NodeId id) {
        return new InstanceRef(id.project(), id.zone(), id.name());
    }

    /** The CSI node id of this instance. */
    public NodeId nodeId() {
        return new NodeId(project, zone, name);
    }

    public String path() {
        return nodeId().path();
    }

    @Override
    public String toString() {
        return path();
    }
}
