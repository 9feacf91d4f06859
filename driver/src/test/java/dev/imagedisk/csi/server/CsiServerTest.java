package dev.imagedisk.csi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.BoolValue;
import csi.v1.GetPluginInfoRequest;
import csi.v1.GetPluginInfoResponse;
import csi.v1.IdentityGrpc;
import csi.v1.ProbeRequest;
import csi.v1.ProbeResponse;
import io.grpc.BindableService;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsiServerTest {
    @TempDir
    Path dir;

    /** An Identity service whose Probe waits on a latch, and whose GetPluginInfo fails in chosen ways. */
    static final class ScriptedIdentity extends IdentityGrpc.IdentityImplBase {
        final CountDownLatch probeEntered = new CountDownLatch(1);
        volatile Duration probeDelay = Duration.ZERO;
        volatile String infoFailure = "none";

        @Override
        public void probe(ProbeRequest request, StreamObserver<ProbeResponse> observer) {
            probeEntered.countDown();
            try {
                Thread.sleep(probeDelay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            observer.onNext(
                    ProbeResponse.newBuilder().setReady(BoolValue.of(true)).build());
            observer.onCompleted();
        }

        @Override
        public void getPluginInfo(GetPluginInfoRequest request, StreamObserver<GetPluginInfoResponse> observer) {
            switch (infoFailure) {
                case "throw" -> throw new IllegalStateException("boom from the service");
                case "onError" -> observer.onError(new IllegalStateException("handed to onError"));
                case "unknown" ->
                    observer.onError(Status.UNKNOWN.withDescription("mystery").asRuntimeException());
                default -> {
                    observer.onNext(GetPluginInfoResponse.newBuilder()
                            .setName("x.dev")
                            .setVendorVersion("1")
                            .build());
                    observer.onCompleted();
                }
            }
        }
    }

    private CsiServer start(Path socket, BindableService service) throws IOException {
        return CsiServer.start(new Endpoint(socket), List.of(service), new CallInterceptor());
    }

    @Test
    void createsParentDirectoryAndSocketWithMode0660AndRemovesItOnShutdown() throws Exception {
        Path socket = dir.resolve("nested/deeper/csi.sock");
        CsiServer server = start(socket, new ScriptedIdentity());
        try {
            assertTrue(Files.exists(socket));
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        } finally {
            server.shutdown(Duration.ofSeconds(1));
        }
        assertFalse(Files.exists(socket), "socket file must be removed on shutdown");
    }

    @Test
    void removesAStaleSocketFile() throws Exception {
        Path socket = dir.resolve("csi.sock");
        try (ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            old.bind(UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket), "closing a bound Unix socket leaves its file behind");
        try (CsiServer server = start(socket, new ScriptedIdentity());
                CsiChannels.Client client = CsiChannels.connect(socket)) {
            assertTrue(IdentityGrpc.newBlockingStub(client.channel())
                    .probe(ProbeRequest.getDefaultInstance())
                    .getReady()
                    .getValue());
        }
    }

    @Test
    void refusesToStartWhenALiveServerAnswers() throws Exception {
        Path socket = dir.resolve("csi.sock");
        try (CsiServer first = start(socket, new ScriptedIdentity())) {
            CsiServer.SocketInUseException e =
                    assertThrows(CsiServer.SocketInUseException.class, () -> start(socket, new ScriptedIdentity()));
            assertTrue(e.getMessage().contains("already listening"), e.getMessage());
            try (CsiChannels.Client client = CsiChannels.connect(socket)) {
                IdentityGrpc.newBlockingStub(client.channel()).probe(ProbeRequest.getDefaultInstance());
            }
        }
    }

    @Test
    void refusesToReplaceAFileThatIsNotASocket() throws Exception {
        Path socket = dir.resolve("csi.sock");
        Files.writeString(socket, "precious");
        assertThrows(CsiServer.SocketInUseException.class, () -> start(socket, new ScriptedIdentity()));
        assertEquals("precious", Files.readString(socket));
    }

    @Test
    void shutdownDrainsACallInFlight() throws Exception {
        Path socket = dir.resolve("csi.sock");
        ScriptedIdentity identity = new ScriptedIdentity();
        identity.probeDelay = Duration.ofMillis(700);
        CsiServer server = start(socket, identity);
        try (CsiChannels.Client client = CsiChannels.connect(socket)) {
            CompletableFuture<ProbeResponse> call = CompletableFuture.supplyAsync(
                    () -> IdentityGrpc.newBlockingStub(client.channel()).probe(ProbeRequest.getDefaultInstance()));
            assertTrue(identity.probeEntered.await(5, TimeUnit.SECONDS));
            long start = System.nanoTime();
            server.shutdown(Duration.ofSeconds(10));
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(call.get(5, TimeUnit.SECONDS).getReady().getValue(), "the call in flight completes OK");
            assertTrue(tookMs >= 300, "shutdown waited for the call, took " + tookMs + " ms");
            assertFalse(Files.exists(socket));
        }
    }

    @Test
    void shutdownCancelsCallsThatOutliveTheGracePeriod() throws Exception {
        Path socket = dir.resolve("csi.sock");
        ScriptedIdentity identity = new ScriptedIdentity();
        identity.probeDelay = Duration.ofSeconds(5);
        CsiServer server = start(socket, identity);
        try (CsiChannels.Client client = CsiChannels.connect(socket)) {
            CompletableFuture<ProbeResponse> call = CompletableFuture.supplyAsync(
                    () -> IdentityGrpc.newBlockingStub(client.channel()).probe(ProbeRequest.getDefaultInstance()));
            assertTrue(identity.probeEntered.await(5, TimeUnit.SECONDS));
            long start = System.nanoTime();
            server.shutdown(Duration.ofMillis(200));
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMs < 4000, "shutdown must not wait past its grace period, took " + tookMs + " ms");
            Exception e = assertThrows(Exception.class, () -> call.get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof StatusRuntimeException, String.valueOf(e));
        }
    }

    @Test
    void everyKindOfServiceFailureAnswersInternalNeverUnknown() throws Exception {
        Path socket = dir.resolve("csi.sock");
        ScriptedIdentity identity = new ScriptedIdentity();
        try (CsiServer server = start(socket, identity);
                CsiChannels.Client client = CsiChannels.connect(socket)) {
            IdentityGrpc.IdentityBlockingStub stub = IdentityGrpc.newBlockingStub(client.channel());
            for (String failure : List.of("throw", "onError", "unknown")) {
                identity.infoFailure = failure;
                StatusRuntimeException e = assertThrows(
                        StatusRuntimeException.class,
                        () -> stub.getPluginInfo(GetPluginInfoRequest.getDefaultInstance()));
                assertEquals(Status.Code.INTERNAL, e.getStatus().getCode(), failure);
                assertTrue(
                        e.getStatus().getDescription() != null
                                && !e.getStatus().getDescription().isBlank(),
                        failure + " must carry a message");
            }
            identity.infoFailure = "none";
            assertEquals(
                    "x.dev",
                    stub.getPluginInfo(GetPluginInfoRequest.getDefaultInstance())
                            .getName(),
                    "the server keeps serving after failures");
        }
    }
}
