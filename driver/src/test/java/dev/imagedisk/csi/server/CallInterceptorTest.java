package dev.imagedisk.csi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGrpc;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.NodeUnstageVolumeResponse;
import csi.v1.ProbeRequest;
import csi.v1.ProbeResponse;
import io.grpc.ManagedChannel;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.GrpcCleanupRule;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * The one interceptor, in-process: every call is logged once with its method, request ids and code, observed
 * for metrics, and never answers UNKNOWN (a stray exception or an UNKNOWN status becomes INTERNAL).
 */
@ExtendWith(GrpcCleanup.class)
class CallInterceptorTest {
    private final List<String> observed = new CopyOnWriteArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger rpcLogger = (Logger) LoggerFactory.getLogger("dev.imagedisk.csi.rpc");

    @BeforeEach
    void captureLog() {
        log.start();
        rpcLogger.addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        rpcLogger.detachAppender(log);
    }

    private ManagedChannel serve(GrpcCleanupRule grpc, io.grpc.BindableService service) throws Exception {
        String name = InProcessServerBuilder.generateName();
        ServerServiceDefinition intercepted =
                ServerInterceptors.intercept(service, new CallInterceptor(new CallInterceptor.CallObserver() {
                    @Override
                    public void started(String method) {
                        observed.add("started " + method);
                    }

                    @Override
                    public void finished(String method, Status.Code code, long nanos) {
                        observed.add("finished " + method + " " + code);
                    }
                }));
        grpc.register(InProcessServerBuilder.forName(name)
                .directExecutor()
                .addService(intercepted)
                .build()
                .start());
        return grpc.register(
                InProcessChannelBuilder.forName(name).directExecutor().build());
    }

    @Test
    void aStrayExceptionIsInternalNamingTheMethodAndTheError(GrpcCleanupRule grpc) throws Exception {
        ManagedChannel channel = serve(grpc, new IdentityGrpc.IdentityImplBase() {
            @Override
            public void probe(ProbeRequest request, StreamObserver<ProbeResponse> observer) {
                throw new IllegalStateException("boom");
            }
        });
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> IdentityGrpc.newBlockingStub(channel).probe(ProbeRequest.getDefaultInstance()));
        assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
        assertEquals(
                "internal error in csi.v1.Identity/Probe: java.lang.IllegalStateException: boom",
                e.getStatus().getDescription());
        assertEquals(List.of("started csi.v1.Identity/Probe", "finished csi.v1.Identity/Probe INTERNAL"), observed);
    }

    @Test
    void unknownBecomesInternalWithTheDescription(GrpcCleanupRule grpc) throws Exception {
        ManagedChannel channel = serve(grpc, new IdentityGrpc.IdentityImplBase() {
            @Override
            public void probe(ProbeRequest request, StreamObserver<ProbeResponse> observer) {
                observer.onError(Status.UNKNOWN.withDescription("who knows").asRuntimeException());
            }
        });
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> IdentityGrpc.newBlockingStub(channel).probe(ProbeRequest.getDefaultInstance()));
        assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
        assertEquals("internal error: who knows", e.getStatus().getDescription());
    }

    @Test
    void otherCodesPassUnchanged(GrpcCleanupRule grpc) throws Exception {
        ManagedChannel channel = serve(grpc, new IdentityGrpc.IdentityImplBase() {
            @Override
            public void probe(ProbeRequest request, StreamObserver<ProbeResponse> observer) {
                observer.onError(
                        Status.FAILED_PRECONDITION.withDescription("not yet").asRuntimeException());
            }
        });
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> IdentityGrpc.newBlockingStub(channel).probe(ProbeRequest.getDefaultInstance()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertEquals("not yet", e.getStatus().getDescription());
    }

    @Test
    void eachCallIsLoggedOnceWithMethodIdsAndCode(GrpcCleanupRule grpc) throws Exception {
        ManagedChannel channel = serve(grpc, new NodeGrpc.NodeImplBase() {
            @Override
            public void nodeUnstageVolume(
                    NodeUnstageVolumeRequest request, StreamObserver<NodeUnstageVolumeResponse> observer) {
                if (request.getVolumeId().endsWith("busy")) {
                    observer.onError(Status.ABORTED.withDescription("in flight").asRuntimeException());
                    return;
                }
                observer.onNext(NodeUnstageVolumeResponse.getDefaultInstance());
                observer.onCompleted();
            }
        });
        NodeGrpc.NodeBlockingStub node = NodeGrpc.newBlockingStub(channel);
        node.nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                .setVolumeId("projects/p/zones/z/disks/ok")
                .setStagingTargetPath("/staging/ok")
                .build());
        assertThrows(
                StatusRuntimeException.class,
                () -> node.nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId("projects/p/zones/z/disks/busy")
                        .setStagingTargetPath("/s")
                        .build()));
        List<ILoggingEvent> events = log.list;
        assertEquals(2, events.size(), events.toString());
        Map<String, String> ok = keyValues(events.get(0));
        assertEquals("csi.v1.Node/NodeUnstageVolume", ok.get("method"));
        assertEquals("OK", ok.get("code"));
        assertTrue(ok.values().contains("projects/p/zones/z/disks/ok"), ok.toString());
        assertEquals(ch.qos.logback.classic.Level.INFO, events.get(0).getLevel());
        Map<String, String> failed = keyValues(events.get(1));
        assertEquals("ABORTED", failed.get("code"));
        assertEquals("in flight", failed.get("error"));
        assertEquals(ch.qos.logback.classic.Level.WARN, events.get(1).getLevel());
    }

    private static Map<String, String> keyValues(ILoggingEvent e) {
        return e.getKeyValuePairs().stream().collect(Collectors.toMap(kv -> kv.key, kv -> String.valueOf(kv.value)));
    }
}
