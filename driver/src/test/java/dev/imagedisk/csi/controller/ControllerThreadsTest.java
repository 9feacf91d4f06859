package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.ControllerFixture.create;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.ControllerGrpc;
import csi.v1.CreateVolumeResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calls in flight do not cost threads: 300 CreateVolume calls at once, each waiting for a 3 s operation, are served
 * by the controller's few handler threads and its operation tracker (the threads counted are the controller's own
 * pools in this JVM: the gRPC server's, the Compute Engine client's and the tracker's).
 */
@Tag("integration")
class ControllerThreadsTest {
    static final int CALLS = 300;
    static final Duration OPERATION = Duration.ofSeconds(3);
    /** The bound is 64 for the whole controller JVM; its own pools must stay well under it. */
    static final int POOL_THREADS_AT_MOST = 40;

    static final List<String> POOLS = List.of("csi-call-", "csi-io-", "csi-accept-", "compute-", "controller-", "Gax-");

    @TempDir
    Path dir;

    /** The controller's handler threads (PluginRuntime's CONTROLLER_CALL_THREADS, package-private there). */
    static final int HANDLER_THREADS = 8;

    /** The controller's pool threads alive now, by pool. */
    static Map<String, Integer> controllerThreads() {
        Map<String, Integer> n = new java.util.TreeMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && POOLS.stream().anyMatch(t.getName()::startsWith)) {
                n.merge(t.getName().replaceAll("-[0-9]+$", ""), 1, Integer::sum);
            }
        }
        return n;
    }

    @Test
    void threeHundredSlowCreateVolumesInFlightUseFewThreads() throws Exception {
        try (ControllerFixture f = ControllerFixture.start(dir, OPERATION)) {
            ControllerGrpc.ControllerStub stub = ControllerGrpc.newStub(f.client.channel());
            CountDownLatch answered = new CountDownLatch(CALLS);
            Map<String, Status> failures = new ConcurrentHashMap<>();
            long started = System.nanoTime();
            for (int i = 0; i < CALLS; i++) {
                String name = "pvc-" + i;
                stub.withDeadlineAfter(120, TimeUnit.SECONDS)
                        .createVolume(create(name).build(), new StreamObserver<CreateVolumeResponse>() {
                            @Override
                            public void onNext(CreateVolumeResponse r) {}

                            @Override
                            public void onError(Throwable t) {
                                failures.put(name, Status.fromThrowable(t));
                                answered.countDown();
                            }

                            @Override
                            public void onCompleted() {
                                answered.countDown();
                            }
                        });
            }
            int peak = 0;
            Map<String, Integer> atPeak = Map.of();
            long inFlightSamples = 0;
            long peakInFlight = 0;
            while (!answered.await(50, TimeUnit.MILLISECONDS)) {
                Map<String, Integer> now = controllerThreads();
                int total = now.values().stream().mapToInt(Integer::intValue).sum();
                if (total > peak) {
                    peak = total;
                    atPeak = now;
                }
                if (answered.getCount() > CALLS / 2) {
                    inFlightSamples++;
                }
                // inserts made and not yet answered: each is a call waiting for its operation
                long unanswered = f.emulator.requestCount("disks.insert") - (CALLS - answered.getCount());
                peakInFlight = Math.max(peakInFlight, unanswered);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertEquals(Map.of(), failures);
            System.out.printf(
                    "ControllerThreadsTest: %d calls in %s, at most %d waiting at once, pools peaked at %d threads:"
                            + " %s%n",
                    CALLS, took, peakInFlight, peak, atPeak);
            assertTrue(inFlightSamples > 10, "the calls were not in flight together long enough to count threads");
            assertTrue(
                    peak <= POOL_THREADS_AT_MOST, "the controller's pools peaked at " + peak + " threads: " + atPeak);
            // served together, not one per handler thread: a thread held per call would keep at most that many
            // operations waiting at once
            assertTrue(
                    peakInFlight > HANDLER_THREADS,
                    "at most " + peakInFlight + " calls waited for their operations at once");
        }
    }
}
