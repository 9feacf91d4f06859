package dev.imagedisk.csi.node;

import dev.imagedisk.csi.contract.NodeId;
import dev.imagedisk.csi.metadata.MetadataClient;
import dev.imagedisk.csi.server.CsiErrors;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NodeGetInfo's answer: the node id {@code projects/P/zones/Z/instances/NAME}, its zone and how many
 * volumes it can attach. Flags win; the metadata server fills the rest, asked only when needed, so a node
 * started with {@code --node-id} (and {@code --max-volumes-per-node}) never needs it.
 */
public final class NodeIdentity {
    private static final Logger LOG = LoggerFactory.getLogger(NodeIdentity.class);

    /** Shared-core machine types, which attach at most 15 persistent disks. */
    static final Set<String> SHARED_CORE = Set.of("f1-micro", "g1-small", "e2-micro", "e2-small", "e2-medium");

    static final int SHARED_CORE_MAX_VOLUMES = 15;
    static final int DEFAULT_MAX_VOLUMES = 127;

    public record Info(String nodeId, String zone, long maxVolumesPerNode) {}

    private final String nodeIdFlag;
    private final String zoneFlag;
    private final int maxVolumesFlag;
    private final MetadataClient metadata;
    private final AtomicReference<Info> cached = new AtomicReference<>();

    public NodeIdentity(String nodeIdFlag, String zoneFlag, int maxVolumesFlag, MetadataClient metadata) {
        this.nodeIdFlag = blankToNull(nodeIdFlag);
        String zone = blankToNull(zoneFlag);
        if (this.nodeIdFlag != null) {
            Optional<NodeId> id = NodeId.parse(this.nodeIdFlag);
            if (id.isEmpty()) {
                throw new IllegalArgumentException("--node-id " + nodeIdFlag + " is not of the form " + NodeId.FORM);
            }
            if (zone != null && !zone.equals(id.get().zone())) {
                throw new IllegalArgumentException(
                        "--zone " + zone + " differs from the zone of --node-id " + nodeIdFlag);
            }
            zone = id.get().zone();
        }
        if (maxVolumesFlag < 0) {
            throw new IllegalArgumentException("--max-volumes-per-node must be 0 (by machine type) or positive");
        }
        this.zoneFlag = zone;
        this.maxVolumesFlag = maxVolumesFlag;
        this.metadata = metadata;
    }

    public static int maxVolumesFor(String machineType) {
        return SHARED_CORE.contains(machineType) ? SHARED_CORE_MAX_VOLUMES : DEFAULT_MAX_VOLUMES;
    }

    public Info info() {
        Info info = cached.get();
        if (info != null) {
            return info;
        }
        boolean complete;
        String nodeId;
        String zone;
        try {
            zone = zoneFlag != null ? zoneFlag : metadata.zone();
            nodeId = nodeIdFlag != null
                    ? nodeIdFlag
                    : new NodeId(metadata.projectId(), zone, metadata.instanceName()).path();
        } catch (IOException e) {
            throw CsiErrors.unavailable(
                    "cannot tell this node's identity: the metadata server is not answering (%s);"
                            + " set --node-id to run without it",
                    e.getMessage());
        }
        long max = maxVolumesFlag;
        complete = true;
        if (max == 0) {
            try {
                max = maxVolumesFor(metadata.machineType());
            } catch (IOException e) {
                LOG.warn(
                        "machine type unknown ({}); reporting {} volumes per node; set --max-volumes-per-node to "
                                + "choose",
                        e.getMessage(),
                        DEFAULT_MAX_VOLUMES);
                max = DEFAULT_MAX_VOLUMES;
                complete = false;
            }
        }
        info = new Info(nodeId, zone, max);
        if (complete) {
            cached.set(info);
        }
        return info;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
