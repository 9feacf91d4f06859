package dev.imagedisk.csi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.IdentityGrpc;
import csi.v1.ProbeRequest;
import csi.v1.ProbeResponse;
import dev.imagedisk.csi.cloud.CloudException;
import io.grpc.ManagedChannel;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.GrpcCleanupRule;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The RPC boundary (common/Rpc) as a client sees it, in-process and through the CallInterceptor: every
 * CsiFailure code and every CloudException kind arrives as the gRPC code the CSI spec names, with the
 * driver's message unchanged; anything else is INTERNAL, never UNKNOWN.
 */
@ExtendWith(GrpcCleanup.class)
class RpcStatusMappingTest {
    /** CloudException kinds and the code CSI callers must see. */
    private static final Map<CloudException.Kind, Status.Code> CLOUD = Map.ofEntries(
            Map.entry(CloudException.Kind.NOT_FOUND, Status.Code.NOT_FOUND),
            Map.entry(CloudException.Kind.ALREADY_EXISTS, Status.Code.ALREADY_EXISTS),
            Map.entry(CloudException.Kind.IN_USE, Status.Code.FAILED_PRECONDITION),
            Map.entry(CloudException.Kind.NOT_READY, Status.Code.ABORTED),
            Map.entry(CloudException.Kind.RATE_LIMITED, Status.Code.RESOURCE_EXHAUSTED),
            Map.entry(CloudException.Kind.LIMIT_EXCEEDED, Status.Code.RESOURCE_EXHAUSTED),
            Map.entry(CloudException.Kind.UNAVAILABLE, Status.Code.UNAVAILABLE),
            Map.entry(CloudException.Kind.ZONE_EXHAUSTED, Status.Code.RESOURCE_EXHAUSTED),
            Map.entry(CloudException.Kind.QUOTA_EXCEEDED, Status.Code.RESOURCE_EXHAUSTED),
            Map.entry(CloudException.Kind.DEADLINE, Status.Code.DEADLINE_EXCEEDED),
            Map.entry(CloudException.Kind.INVALID, Status.Code.INVALID_ARGUMENT),
            Map.entry(CloudException.Kind.PERMISSION_DENIED, Status.Code.PERMISSION_DENIED),
            Map.entry(CloudException.Kind.UNAUTHENTICATED, Status.Code.UNAUTHENTICATED),
            Map.entry(CloudException.Kind.CANCELLED, Status.Code.CANCELLED),
            Map.entry(CloudException.Kind.OTHER, Status.Code.INTERNAL));

    /** A Probe whose body is whatever the test sets, run through Rpc.unary. */
    private static final class Failing extends IdentityGrpc.IdentityImplBase {
        volatile Supplier<ProbeResponse> body;

        @Override
        public void probe(ProbeRequest request, StreamObserver<ProbeResponse> observer) {
            Rpc.unary(observer, body);
        }
    }

    private static IdentityGrpc.IdentityBlockingStub serve(GrpcCleanupRule grpc, Failing service) throws Exception {
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

    private static Status call(IdentityGrpc.IdentityBlockingStub stub) {
        return assertThrows(StatusRuntimeException.class, () -> stub.probe(ProbeRequest.getDefaultInstance()))
                .getStatus();
    }

    @Test
    void everyCsiFailureCodeArrivesAsTheSameGrpcCodeWithItsMessage(GrpcCleanupRule grpc) throws Exception {
        Failing service = new Failing();
        IdentityGrpc.IdentityBlockingStub stub = serve(grpc, service);
        for (CsiFailure.Code code : CsiFailure.Code.values()) {
            String message = "volume_id \"v-" + code + "\": why it failed";
            service.body = () -> {
                throw new CsiFailure(code, message);
            };
            Status s = call(stub);
            assertEquals(code.name(), s.getCode().name(), message);
            assertEquals(message, s.getDescription());
        }
    }

    @Test
    void csiErrorsBuildersKeepFieldAndReason(GrpcCleanupRule grpc) throws Exception {
        Failing service = new Failing();
        IdentityGrpc.IdentityBlockingStub stub = serve(grpc, service);
        service.body = () -> {
            throw CsiErrors.invalidArgument("capacity_range.required_bytes %d is negative", -1);
        };
        Status s = call(stub);
        assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
        assertEquals("capacity_range.required_bytes -1 is negative", s.getDescription());
    }

    @Test
    void everyCloudExceptionKindArrivesAsItsCsiCode(GrpcCleanupRule grpc) throws Exception {
        Failing service = new Failing();
        IdentityGrpc.IdentityBlockingStub stub = serve(grpc, service);
        assertEquals(CloudException.Kind.values().length, CLOUD.size(), "a kind without an expected code");
        for (CloudException.Kind kind : CloudException.Kind.values()) {
            String message = "disks.insert projects/p/zones/z/disks/d: " + kind;
            service.body = () -> {
                throw new CloudException(kind, message);
            };
            Status s = call(stub);
            assertEquals(CLOUD.get(kind), s.getCode(), kind.toString());
            // the message unchanged; a capacity failure's prefixed with where and whether moving helps
            assertTrue(s.getDescription().endsWith(message), kind + ": " + s.getDescription());
        }
    }

    @Test
    void anythingElseIsInternalNamingTheError(GrpcCleanupRule grpc) throws Exception {
        Failing service = new Failing();
        IdentityGrpc.IdentityBlockingStub stub = serve(grpc, service);
        service.body = () -> {
            throw new IllegalStateException("mountinfo unreadable");
        };
        Status s = call(stub);
        assertEquals(Status.Code.INTERNAL, s.getCode());
        assertEquals("internal error: java.lang.IllegalStateException: mountinfo unreadable", s.getDescription());
        service.body = () -> {
            throw new StackOverflowError();
        };
        assertEquals(Status.Code.INTERNAL, call(stub).getCode());
    }
}
