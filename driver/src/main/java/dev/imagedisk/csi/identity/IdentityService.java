package dev.imagedisk.csi.identity;

import com.google.protobuf.BoolValue;
import csi.v1.GetPluginCapabilitiesRequest;
import csi.v1.GetPluginCapabilitiesResponse;
import csi.v1.GetPluginInfoRequest;
import csi.v1.GetPluginInfoResponse;
import csi.v1.IdentityGrpc;
import csi.v1.PluginCapability;
import csi.v1.ProbeRequest;
import csi.v1.ProbeResponse;
import dev.imagedisk.csi.common.ReadinessCheck;
import dev.imagedisk.csi.server.Rpc;
import io.grpc.stub.StreamObserver;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** CSI Identity: who the plugin is, what it offers, and whether it is ready. */
public final class IdentityService extends IdentityGrpc.IdentityImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(IdentityService.class);

    private final String driverName;
    private final String version;
    private final boolean controller;
    private final List<ReadinessCheck> checks;

    public IdentityService(String driverName, String version, boolean controller, List<ReadinessCheck> checks) {
        this.driverName = driverName;
        this.version = version;
        this.controller = controller;
        this.checks = List.copyOf(checks);
    }

    @Override
    public void getPluginInfo(GetPluginInfoRequest request, StreamObserver<GetPluginInfoResponse> observer) {
        Rpc.unary(
                observer,
                () -> GetPluginInfoResponse.newBuilder()
                        .setName(driverName)
                        .setVendorVersion(version)
                        .build());
    }

    @Override
    public void getPluginCapabilities(
            GetPluginCapabilitiesRequest request, StreamObserver<GetPluginCapabilitiesResponse> observer) {
        Rpc.unary(observer, () -> {
            GetPluginCapabilitiesResponse.Builder b = GetPluginCapabilitiesResponse.newBuilder();
            if (controller) {
                b.addCapabilities(service(PluginCapability.Service.Type.CONTROLLER_SERVICE));
            }
            b.addCapabilities(service(PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS));
            if (controller) {
                // Compute Engine grows a disk while it is attached, and the node grows the filesystem mounted
                b.addCapabilities(PluginCapability.newBuilder()
                        .setVolumeExpansion(PluginCapability.VolumeExpansion.newBuilder()
                                .setType(PluginCapability.VolumeExpansion.Type.ONLINE)));
            }
            return b.build();
        });
    }

    @Override
    public void probe(ProbeRequest request, StreamObserver<ProbeResponse> observer) {
        Rpc.unary(observer, () -> {
            for (ReadinessCheck check : checks) {
                String reason = check.notReadyReason();
                if (reason != null) {
                    LOG.warn("not ready: {}: {}", check.name(), reason);
                    return ProbeResponse.newBuilder()
                            .setReady(BoolValue.of(false))
                            .build();
                }
            }
            return ProbeResponse.newBuilder().setReady(BoolValue.of(true)).build();
        });
    }

    private static PluginCapability service(PluginCapability.Service.Type type) {
        return PluginCapability.newBuilder()
                .setService(PluginCapability.Service.newBuilder().setType(type))
                .build();
    }
}
