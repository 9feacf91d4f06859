package dev.imagedisk.csi.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.GetPluginCapabilitiesRequest;
import csi.v1.GetPluginInfoRequest;
import csi.v1.GetPluginInfoResponse;
import csi.v1.IdentityGrpc;
import csi.v1.PluginCapability;
import csi.v1.ProbeRequest;
import dev.imagedisk.csi.common.ReadinessCheck;
import dev.imagedisk.csi.common.Version;
import dev.imagedisk.csi.plugin.PluginCommand;
import dev.imagedisk.csi.plugin.PluginRuntime;
import dev.imagedisk.csi.server.CallInterceptor;
import dev.imagedisk.csi.server.CsiChannels;
import dev.imagedisk.csi.server.CsiServer;
import dev.imagedisk.csi.server.Endpoint;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Identity over a real Unix socket, through a real grpc-java client. */
class IdentityServiceTest {
    @TempDir
    Path dir;

    private PluginRuntime startNodePlugin(Path socket) throws Exception {
        PluginCommand command = new PluginCommand();
        new CommandLine(command)
                .parseArgs(
                        "--mode",
                        "node",
                        "--endpoint",
                        "unix://" + socket,
                        "--node-id",
                        "projects/p/zones/z/instances/i",
                        "--zone",
                        "z",
                        "--kubelet-dir",
                        dir.toString(),
                        "--device-dir",
                        dir.toString());
        return PluginRuntime.start(command.config());
    }

    @Test
    void pluginInfoIsAValidDomainNameWithTheBuildVersion() throws Exception {
        Path socket = dir.resolve("csi.sock");
        try (PluginRuntime plugin = startNodePlugin(socket);
                CsiChannels.Client client = CsiChannels.connect(socket)) {
            GetPluginInfoResponse info = IdentityGrpc.newBlockingStub(client.channel())
                    .getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
            assertEquals("imagedisk.csi.dev", info.getName());
            assertTrue(info.getName().length() <= 63);
            assertTrue(info.getName().matches("[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?"), info.getName());
            assertFalse(info.getVendorVersion().isBlank());
            assertEquals(Version.get(), info.getVendorVersion());
            assertFalse(Version.get().contains("${"), "the build must fill in the version");
        }
    }

    @Test
    void nodeModeAdvertisesTopologyButNoControllerService() throws Exception {
        Path socket = dir.resolve("csi.sock");
        try (PluginRuntime plugin = startNodePlugin(socket);
                CsiChannels.Client client = CsiChannels.connect(socket)) {
            Set<PluginCapability.Service.Type> types = IdentityGrpc.newBlockingStub(client.channel())
                    .getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance())
                    .getCapabilitiesList()
                    .stream()
                    .map(c -> c.getService().getType())
                    .collect(Collectors.toSet());
            assertEquals(Set.of(PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS), types);
            assertTrue(IdentityGrpc.newBlockingStub(client.channel())
                    .probe(ProbeRequest.getDefaultInstance())
                    .getReady()
                    .getValue());
        }
    }

    @Test
    void controllerCapabilityAndProbeFollowTheChecks() throws Exception {
        Path socket = dir.resolve("csi.sock");
        AtomicReference<String> reason = new AtomicReference<>("cloud API not reachable yet");
        ReadinessCheck check = new ReadinessCheck() {
            @Override
            public String name() {
                return "cloud";
            }

            @Override
            public String notReadyReason() {
                return reason.get();
            }
        };
        IdentityService identity = new IdentityService("imagedisk.csi.dev", "1.2.3", true, List.of(check));
        try (CsiServer server = CsiServer.start(new Endpoint(socket), List.of(identity), new CallInterceptor());
                CsiChannels.Client client = CsiChannels.connect(socket)) {
            IdentityGrpc.IdentityBlockingStub stub = IdentityGrpc.newBlockingStub(client.channel());
            Set<PluginCapability.Service.Type> types = stub
                    .getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance())
                    .getCapabilitiesList()
                    .stream()
                    .filter(PluginCapability::hasService)
                    .map(c -> c.getService().getType())
                    .collect(Collectors.toSet());
            assertEquals(
                    Set.of(
                            PluginCapability.Service.Type.CONTROLLER_SERVICE,
                            PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS),
                    types);
            assertTrue(
                    stub
                            .getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance())
                            .getCapabilitiesList()
                            .stream()
                            .anyMatch(c -> c.hasVolumeExpansion()
                                    && c.getVolumeExpansion().getType()
                                            == PluginCapability.VolumeExpansion.Type.ONLINE),
                    "a controller advertises online expansion");
            assertTrue(stub.probe(ProbeRequest.getDefaultInstance()).hasReady());
            assertFalse(stub.probe(ProbeRequest.getDefaultInstance()).getReady().getValue());
            reason.set(null);
            assertTrue(stub.probe(ProbeRequest.getDefaultInstance()).getReady().getValue());
        }
    }
}
