package dev.imagedisk.csi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
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
        /** When set, Probe holds until it is opened (or the handler is interrupted). */
        volatile CountDownLatch probeGate;

        volatile String infoFailure = "none";

        @Override
        public void probe(ProbeRequest request, StreamObserver<ProbeResponse> observer) {
            probeEntered.countDown();
            CountDownLatch gate = probeGate;
            if (gate != null) {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
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

    /**
     * A call in flight when shutdown starts completes OK, and shutdown returns only after it: shutdown has
     * begun (new calls are refused) and not returned while the call is held, then returns once it is let go.
     */
    @Test
    void shutdownDrainsACallInFlight() throws Exception {
        Path socket = dir.resolve("csi.sock");
        ScriptedIdentity identity = new ScriptedIdentity();
        CountDownLatch gate = new CountDownLatch(1);
        identity.probeGate = gate;
        CsiServer server = start(socket, identity);
        try (CsiChannels.Client client = CsiChannels.connect(socket)) {
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                CompletableFuture<ProbeResponse> call = CompletableFuture.supplyAsync(
                        () -> IdentityGrpc.newBlockingStub(client.channel()).probe(ProbeRequest.getDefaultInstance()));
                identity.probeEntered.await();
                CompletableFuture<Void> shutdown =
                        CompletableFuture.runAsync(() -> server.shutdown(Duration.ofSeconds(60)));
                while (accepts(client)) {
                    Thread.sleep(5);
                }
                assertFalse(shutdown.isDone(), "shutdown returned with a call still in flight");
                assertFalse(call.isDone());
                gate.countDown();
                assertTrue(call.get().getReady().getValue(), "the call in flight completes OK");
                shutdown.get();
            });
            assertFalse(Files.exists(socket));
        } finally {
            gate.countDown();
        }
    }

    /** Whether a new call is still served (false once shutdown has begun). */
    private static boolean accepts(CsiChannels.Client client) {
        try {
            IdentityGrpc.newBlockingStub(client.channel())
                    .withDeadlineAfter(5, TimeUnit.SECONDS)
                    .getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
            return true;
        } catch (StatusRuntimeException e) {
            return false;
        }
    }

    /** A call that would never end is cancelled once the grace period is over: shutdown does not wait for it. */
    @Test
    void shutdownCancelsCallsThatOutliveTheGracePeriod() throws Exception {
        Path socket = dir.resolve("csi.sock");
        ScriptedIdentity identity = new ScriptedIdentity();
        CountDownLatch never = new CountDownLatch(1);
        identity.probeGate = never;
        CsiServer server = start(socket, identity);
        try (CsiChannels.Client client = CsiChannels.connect(socket)) {
            CompletableFuture<ProbeResponse> call = CompletableFuture.supplyAsync(
                    () -> IdentityGrpc.newBlockingStub(client.channel()).probe(ProbeRequest.getDefaultInstance()));
            assertTrue(identity.probeEntered.await(30, TimeUnit.SECONDS));
            // the call is held until the test ends: a shutdown that waited for it would hang here
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> server.shutdown(Duration.ofMillis(200)));
            Exception e = assertThrows(Exception.class, () -> call.get(30, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof StatusRuntimeException, String.valueOf(e));
        } finally {
            never.countDown();
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
