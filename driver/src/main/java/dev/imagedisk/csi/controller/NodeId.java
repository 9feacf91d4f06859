package dev.imagedisk.csi.controller;

import dev.imagedisk.csi.cloud.InstanceRef;
import java.util.Optional;
import java.util.regex.Pattern;

/** The CSI node id of a VM, as the node service reports it: {@code projects/P/zones/Z/instances/NAME}. */
public final class NodeId {
    private static final Pattern SEGMENT = Pattern.compile("[a-z0-9][-a-z0-9.:]{0,62}");
    private static final Pattern NAME = Pattern.compile("[a-z]([-a-z0-9]{0,61}[a-z0-9])?");

    private NodeId() {}

    public static String of(InstanceRef instance) {
        return instance.path();
    }

    /** The instance the id names, or empty when it is not a node id of this driver. */
    public static Optional<InstanceRef> parse(String nodeId) {
        if (nodeId == null) {
            return Optional.empty();
        }
        String[] p = nodeId.split("/", -1);
        if (p.length != 6 || !p[0].equals("projects") || !p[2].equals("zones") || !p[4].equals("instances")
                || !SEGMENT.matcher(p[1]).matches() || !SEGMENT.matcher(p[3]).matches()
                || !NAME.matcher(p[5]).matches()) {
            return Optional.empty();
        }
        return Optional.of(new InstanceRef(p[1], p[3], p[5]));
    }
}
