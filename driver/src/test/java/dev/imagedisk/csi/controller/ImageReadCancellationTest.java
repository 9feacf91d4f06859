package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.FakeController.create;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CreateVolumeResponse;
import dev.imagedisk.csi.cloud.fake.FakeComputeCloud;
import io.grpc.Context;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 19, bug c: a CreateVolume cancelled while another caller reads the same image is answered CANCELLED (it was
 * INTERNAL: the image cache turned the interrupt into an IllegalStateException), and the read goes on for the
 * other caller. Ordered by latches: the first caller's image read is held until the second is cancelled.
 */
class ImageReadCancellationTest {
    private final FakeController f = new FakeController(new ImageCache(Duration.ofMinutes(5)));
    private final ExecutorService callers = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        callers.shutdownNow();
    }

    @Test
    void aCallCancelledWhileAnotherReadsItsImageAnswersCancelled() throws Exception {
        FakeComputeCloud.Hold read = f.cloud.hold("images.get");
        Answer<CreateVolumeResponse> first = new Answer<>();
        callers.submit(() -> f.service.createVolume(create("pvc-first").build(), first));
        assertTrue(read.entered().await(30, TimeUnit.SECONDS), "the first caller's image read never started");

        Answer<CreateVolumeResponse> second = new Answer<>();
        Context.CancellableContext context = Context.current().withCancellation();
        Future<?> call = callers.submit(() ->
                context.run(() -> f.service.createVolume(create("pvc-second").build(), second)));
        waitUntilWaiting(call);
        context.cancel(null);

        assertEquals(Status.Code.CANCELLED, second.code(), second.status().toString());
        read.release().countDown();
        assertEquals(
                FakeController.volumeId(FakeController.ZONE, "pvc-first"),
                first.value().getVolume().getVolumeId(),
                "the first caller still gets its volume");
        assertEquals(1, f.cloud.requestCount("images.get"), "one read for both callers");
        assertEquals(1, f.cloud.requestCount("disks.insert"), "nothing made for the cancelled call");
    }

    /**
     * Until the second call has handed its wait over (its RPC method returned) or its thread waits for the image:
     * either way it now waits for the first caller's read.
     */
    private static void waitUntilWaiting(Future<?> call) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!call.isDone() && !threadOfCallWaits()) {
            assertTrue(System.nanoTime() < end, "the second call neither returned nor waited");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** Whether a caller thread (other than the one held in the fake's read) is parked waiting. */
    private static boolean threadOfCallWaits() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().getName().startsWith("pool-"))
                .anyMatch(e -> (e.getKey().getState() == Thread.State.WAITING
                                || e.getKey().getState() == Thread.State.TIMED_WAITING)
                        && java.util.Arrays.stream(e.getValue())
                                .anyMatch(frame -> frame.getClassName().endsWith("ImageCache"))
                        && java.util.Arrays.stream(e.getValue())
                                .noneMatch(frame -> frame.getClassName().endsWith("FakeComputeCloud")));
    }
}
