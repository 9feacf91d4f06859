package dev.imagedisk.csi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.GetPluginCapabilitiesRequest;
import csi.v1.GetPluginInfoRequest;
import csi.v1.GetPluginInfoResponse;
import csi.v1.IdentityGrpc;
import csi.v1.PluginCapability;
import csi.v1.ProbeRequest;
import dev.imagedisk.csi.common.ReadinessCheck;
import dev.imagedisk.csi.identity.IdentityService;
import io.grpc.ManagedChannel;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.testing.GrpcCleanupRule;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Identity service behind the CallInterceptor, over grpc-java's in-process transport (no socket). */
@ExtendWith(GrpcCleanup.class)
class InProcessIdentityTest {
    private static IdentityGrpc.IdentityBlockingStub identity(GrpcCleanupRule grpc, IdentityService service)
            throws Exception {
        String name = InProcessServerBuilder.generateName();
        grpc.register(InProcessServerBuilder.forName(name)
                .directExecutor()
                .addService(ServerInterceptors.intercept(service, new CallInterceptor()))
                .build()
                .start());
        ManagedChannel channel = grpc.register(
                InProcessChannelBuilder.forName(name).directExecutor().build());
        return IdentityGrpc.newBlockingStub(channel);
    }

    private static ReadinessCheck check(String name, AtomicReference<String> reason) {
        return new ReadinessCheck() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String notReadyReason() {
                return reason.get();
            }
        };
    }

    @Test
    void pluginInfoNamesTheDriverAndVersion(GrpcCleanupRule grpc) throws Exception {
        GetPluginInfoResponse info = identity(grpc, new IdentityService("imagedisk.csi.dev", "1.2.3", true, List.of()))
                .getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
        assertEquals("imagedisk.csi.dev", info.getName());
        assertEquals("1.2.3", info.getVendorVersion());
    }

    @Test
    void capabilitiesFollowTheMode(GrpcCleanupRule grpc) throws Exception {
        assertTrue(services(identity(grpc, new IdentityService("d", "v", true, List.of())))
                .contains(PluginCapability.Service.Type.CONTROLLER_SERVICE));
        assertFalse(services(identity(grpc, new IdentityService("d", "v", false, List.of())))
                .contains(PluginCapability.Service.Type.CONTROLLER_SERVICE));
    }

    private static Set<PluginCapability.Service.Type> services(IdentityGrpc.IdentityBlockingStub stub) {
        return stub
                .getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList()
                .stream()
                .filter(PluginCapability::hasService)
                .map(c -> c.getService().getType())
                .collect(Collectors.toSet());
    }

    @Test
    void probeIsReadyOnlyWhileEveryCheckIs(GrpcCleanupRule grpc) throws Exception {
        AtomicReference<String> tools = new AtomicReference<>();
        AtomicReference<String> cloud = new AtomicReference<>();
        IdentityGrpc.IdentityBlockingStub stub = identity(
                grpc, new IdentityService("d", "v", true, List.of(check("tools", tools), check("cloud", cloud))));
        assertTrue(stub.probe(ProbeRequest.getDefaultInstance()).getReady().getValue());
        cloud.set("compute API unreachable");
        assertFalse(stub.probe(ProbeRequest.getDefaultInstance()).getReady().getValue());
        cloud.set(null);
        tools.set("mkfs.ext4 missing");
        assertFalse(stub.probe(ProbeRequest.getDefaultInstance()).getReady().getValue());
        tools.set(null);
        assertTrue(stub.probe(ProbeRequest.getDefaultInstance()).getReady().getValue());
    }

    @Test
    void aCheckThatThrowsIsInternalWithItsMessage(GrpcCleanupRule grpc) throws Exception {
        ReadinessCheck broken = new ReadinessCheck() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public String notReadyReason() {
                throw new IllegalStateException("metadata server gave garbage");
            }
        };
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> identity(grpc, new IdentityService("d", "v", false, List.of(broken)))
                        .probe(ProbeRequest.getDefaultInstance()));
        assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
        assertTrue(
                e.getStatus().getDescription().contains("metadata server gave garbage"),
                e.getStatus().getDescription());
    }
}
