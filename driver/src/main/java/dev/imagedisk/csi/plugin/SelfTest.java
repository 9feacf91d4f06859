package dev.imagedisk.csi.plugin;

import csi.v1.ControllerGetCapabilitiesRequest;
import csi.v1.ControllerGrpc;
import csi.v1.GetPluginCapabilitiesRequest;
import csi.v1.GetPluginInfoRequest;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGetCapabilitiesRequest;
import csi.v1.NodeGetInfoRequest;
import csi.v1.NodeGrpc;
import csi.v1.ProbeRequest;
import dev.imagedisk.csi.server.CsiChannels;
import java.util.concurrent.TimeUnit;

/**
 * Calls a freshly started plugin over its own socket the way the sidecars first do (plugin info, capabilities,
 * Probe, node info), so that a class-data-sharing training run records the classes that serving needs.
 */
final class SelfTest {
    private SelfTest() {}

    static void run(DriverConfig config) {
        try (CsiChannels.Client client = CsiChannels.connect(config.endpoint().socketPath())) {
            IdentityGrpc.IdentityBlockingStub identity =
                    IdentityGrpc.newBlockingStub(client.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
            identity.getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
            identity.getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance());
            identity.probe(ProbeRequest.getDefaultInstance());
            if (config.mode().controllerService()) {
                ControllerGrpc.newBlockingStub(client.channel())
                        .withDeadlineAfter(30, TimeUnit.SECONDS)
                        .controllerGetCapabilities(ControllerGetCapabilitiesRequest.getDefaultInstance());
            }
            if (config.mode().nodeService()) {
                NodeGrpc.NodeBlockingStub node =
                        NodeGrpc.newBlockingStub(client.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
                node.nodeGetCapabilities(NodeGetCapabilitiesRequest.getDefaultInstance());
                node.nodeGetInfo(NodeGetInfoRequest.getDefaultInstance());
            }
        }
    }
}
