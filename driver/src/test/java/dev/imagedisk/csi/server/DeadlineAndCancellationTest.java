package dev.imagedisk.csi.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.IdentityGrpc;
import csi.v1.ProbeRequest;
import csi.v1.ProbeResponse;
import dev.imagedisk.csi.exec.CommandResult;
import dev.imagedisk.csi.exec.CommandRunner;
import dev.imagedisk.csi.exec.Deadlines;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.GrpcCleanupRule;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A caller's deadline and cancellation reach the handler through the CallInterceptor (in-process, the server
 * on its own executor as in the plugin): the handler's Context carries the deadline, the driver's
 * exec/Deadlines and CommandRunner shrink their time limits to it, and a cancelled call cancels the Context.
 */
@ExtendWith(GrpcCleanup.class)
class DeadlineAndCancellationTest {
    private static final class Handler extends IdentityGrpc.IdentityImplBase {
        volatile Supplier<ProbeResponse> body;

        @Override
        public void probe(ProbeRequest request, StreamObserver<ProbeResponse> observer) {
            Rpc.unary(observer, body);
        }
    }

    private static ManagedChannel serve(GrpcCleanupRule grpc, Handler handler) throws Exception {
        String name = InProcessServerBuilder.generateName();
        grpc.register(InProcessServerBuilder.forName(name)
                .addService(ServerInterceptors.intercept(handler, new CallInterceptor()))
                .build()
                .start());
        return grpc.register(InProcessChannelBuilder.forName(name).build());
    }

    private static ProbeResponse ready() {
        return ProbeResponse.getDefaultInstance();
    }

    @Test
    void theHandlerSeesTheCallersDeadline(GrpcCleanupRule grpc) throws Exception {
        Handler h = new Handler();
        AtomicReference<Deadline> seen = new AtomicReference<>();
        AtomicReference<Duration> budget = new AtomicReference<>();
        h.body = () -> {
            seen.set(Context.current().getDeadline());
            budget.set(Deadlines.remaining(Duration.ofMinutes(5)));
            return ready();
        };
        IdentityGrpc.newBlockingStub(serve(grpc, h))
                .withDeadlineAfter(3, TimeUnit.SECONDS)
                .probe(ProbeRequest.getDefaultInstance());
        assertNotNull(seen.get(), "no deadline in the handler's Context");
        long left = seen.get().timeRemaining(TimeUnit.MILLISECONDS);
        assertTrue(left <= 3000, left + " ms left");
        assertTrue(
                budget.get().compareTo(Duration.ofSeconds(3)) <= 0
                        && budget.get().toMillis() > 1000,
                "Deadlines.remaining gave " + budget.get());
    }

    @Test
    void noDeadlineMeansTheCap(GrpcCleanupRule grpc) throws Exception {
        Handler h = new Handler();
        AtomicReference<Duration> budget = new AtomicReference<>();
        h.body = () -> {
            budget.set(Deadlines.remaining(Duration.ofSeconds(42)));
            return ready();
        };
        IdentityGrpc.newBlockingStub(serve(grpc, h)).probe(ProbeRequest.getDefaultInstance());
        assertEquals(Duration.ofSeconds(42), budget.get());
    }

    /** A program started for a call is stopped at the call's deadline, not at the runner's own limit. */
    @Test
    void aProgramRunForACallEndsAtItsDeadline(GrpcCleanupRule grpc) throws Exception {
        Handler h = new Handler();
        CommandRunner runner = new CommandRunner(Duration.ofMinutes(1));
        AtomicReference<Object> outcome = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        h.body = () -> {
            long t0 = System.nanoTime();
            try {
                CommandResult r = runner.run("sleep", "30");
                outcome.set(r);
            } catch (RuntimeException e) {
                outcome.set(e);
            } finally {
                outcome.set(outcome.get() + " after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
                done.countDown();
            }
            return ready();
        };
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> IdentityGrpc.newBlockingStub(serve(grpc, h))
                        .withDeadlineAfter(400, TimeUnit.MILLISECONDS)
                        .probe(ProbeRequest.getDefaultInstance()));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        assertTrue(done.await(10, TimeUnit.SECONDS), "sleep 30 was not stopped at the deadline");
        long ms = Long.parseLong(outcome.get().toString().replaceAll(".* after (\\d+) ms$", "$1"));
        assertTrue(ms < 5000, "the program ran " + ms + " ms: " + outcome.get());
    }

    @Test
    void aCancelledCallCancelsTheHandlersContext(GrpcCleanupRule grpc) throws Exception {
        Handler h = new Handler();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch cancelled = new CountDownLatch(1);
        AtomicReference<Throwable> cause = new AtomicReference<>();
        h.body = () -> {
            Context ctx = Context.current();
            ctx.addListener(
                    c -> {
                        cause.set(c.cancellationCause());
                        cancelled.countDown();
                    },
                    Runnable::run);
            started.countDown();
            try {
                cancelled.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ready();
        };
        IdentityGrpc.IdentityStub stub = IdentityGrpc.newStub(serve(grpc, h));
        Context.CancellableContext client = Context.current().withCancellation();
        AtomicReference<Status> answer = new AtomicReference<>();
        CountDownLatch answered = new CountDownLatch(1);
        client.run(() -> stub.probe(ProbeRequest.getDefaultInstance(), new StreamObserver<>() {
            @Override
            public void onNext(ProbeResponse value) {}

            @Override
            public void onError(Throwable t) {
                answer.set(Status.fromThrowable(t));
                answered.countDown();
            }

            @Override
            public void onCompleted() {
                answer.set(Status.OK);
                answered.countDown();
            }
        }));
        assertTrue(started.await(10, TimeUnit.SECONDS), "the handler never ran");
        client.cancel(null);
        assertTrue(cancelled.await(10, TimeUnit.SECONDS), "the handler's Context was not cancelled");
        assertTrue(answered.await(10, TimeUnit.SECONDS));
        assertEquals(Status.Code.CANCELLED, answer.get().getCode());
        assertNotNull(cause.get());
        assertFalse(cause.get() instanceof InterruptedException);
    }
}
