package dev.imagedisk.csi.contract;

import java.util.Optional;

/** The CSI node id of a VM: {@code projects/P/zones/Z/instances/NAME}. Controller and node parse it here only. */
public record NodeId(String project, String zone, String name) {
    public static final String COLLECTION = "instances";
    public static final String FORM = "projects/P/zones/Z/instances/NAME";

    /** The instance the id names, or empty when it is not a node id of this driver. */
    public static Optional<NodeId> parse(String id) {
        return ZonalPath.parse(id, COLLECTION).map(p -> new NodeId(p.project(), p.zone(), p.name()));
    }

    public String path() {
        return "projects/" + project + "/zones/" + zone + "/" + COLLECTION + "/" + name;
    }

    @Override
    public String toString() {
        return path();
    }
}
