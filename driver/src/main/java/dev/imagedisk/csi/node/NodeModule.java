package dev.imagedisk.csi.node;

import csi.v1.NodeGrpc;
import dev.imagedisk.csi.DriverConfig;
import dev.imagedisk.csi.ServicePart;
import java.util.List;

/** Builds the node service and what it stands on. */
public final class NodeModule {
    private NodeModule() {}

    public static ServicePart create(DriverConfig config) {
        // Not built yet: every Node RPC answers UNIMPLEMENTED.
        return new ServicePart(new NodeGrpc.NodeImplBase() {}, List.of(), () -> {});
    }
}
