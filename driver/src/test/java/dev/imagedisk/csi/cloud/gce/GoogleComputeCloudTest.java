package dev.imagedisk.csi.cloud.gce;

import static dev.imagedisk.csi.cloud.ComputeCloudContract.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.cloud.ApiBudgets;
import dev.imagedisk.csi.cloud.Backoff;
import dev.imagedisk.csi.cloud.CloudCallObserver;
import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.CloudException.Kind;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.cloud.DiskSpec;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.cloud.InstanceRef;
import dev.imagedisk.csi.cloud.RateLimiter;
import dev.imagedisk.gce.emulator.GceEmulator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The adapter on the real client over plain HTTP against the emulator. */
@Tag("integration")
class GoogleComputeCloudTest {
    static {
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private static final String P = "proj";
    private static final String Z = "us-central1-a";

    private GceEmulator emulator;
    private ComputeClients clients;
    private final List<GoogleComputeCloud> clouds = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        emulator = GceEmulator.builder()
                .storage(false)
                .operationDuration(Duration.ofMillis(300))
                .waitTimeout(Duration.ofSeconds(10))
                .start();
        emulator.registerImage(P, "img", "fam", 10);
        emulator.addInstance(P, Z, "vm", "e2-small");
        clients = ComputeClients.create(emulator.baseUrl(), "test", Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() {
        clouds.forEach(GoogleComputeCloud::close);
        clients.close();
        emulator.close();
    }

    private GoogleComputeCloud cloud(Duration operationTimeout) {
        return closedAfter(EmulatorClouds.google(clients, P, Z, operationTimeout));
    }

    private GoogleComputeCloud closedAfter(GoogleComputeCloud cloud) {
        clouds.add(cloud);
        return cloud;
    }

    private static DiskSpec spec(String name) {
        return new DiskSpec(
                new DiskRef(P, Z, name),
                10,
                "pd-balanced",
                "projects/" + P + "/global/images/img",
                Map.of("imagedisk-csi", "managed"),
                "",
                null,
                null,
                null);
    }

    @Test
    void plainHttpEndpointWithoutCredentials() {
        assertEquals(emulator.baseUrl(), clients.endpoint());
        GoogleComputeCloud cloud = cloud(Duration.ofSeconds(30));
        cloud.checkAccess();
        assertEquals(
                10,
                cloud.getImageFromFamily(ImageRef.family(P, "fam"))
                        .orElseThrow()
                        .diskSizeGb());
        assertTrue(cloud.getImage(ImageRef.image(P, "nope")).isEmpty());
    }

    @Test
    void operationsAreAwaitedByLongPollNotByPolling() {
        GoogleComputeCloud cloud = cloud(Duration.ofSeconds(30));
        done(cloud.createDiskAsync(spec("d1"), "key-d1"));
        assertEquals(1, emulator.requestCount("zoneOperations.wait"), "one long poll for a 300 ms operation");
        assertEquals(0, emulator.requestCount("zoneOperations.get"));
        assertTrue(cloud.getDisk(new DiskRef(P, Z, "d1")).orElseThrow().ready());
        done(cloud.attachDiskAsync(new InstanceRef(P, Z, "vm"), new DiskRef(P, Z, "d1"), "d1", true));
        assertTrue(cloud.getInstance(new InstanceRef(P, Z, "vm"))
                .orElseThrow()
                .attachment(new DiskRef(P, Z, "d1"))
                .orElseThrow()
                .readOnly());
    }

    @Test
    void sameIdempotencyKeyIsTheSameOperation() {
        GoogleComputeCloud cloud = cloud(Duration.ofSeconds(30));
        done(cloud.createDiskAsync(spec("d2"), "key-d2"));
        done(cloud.createDiskAsync(spec("d2"), "key-d2")); // answered with the first operation, not alreadyExists
        assertEquals(2, emulator.requestCount("disks.insert"));
        CloudException e =
                assertThrows(CloudException.class, () -> done(cloud.createDiskAsync(spec("d2"), "another-key")));
        assertEquals(Kind.ALREADY_EXISTS, e.kind());
    }

    @Test
    void clientLibraryDoesNotRetryOnItsOwn() {
        GoogleComputeCloud cloud = cloud(Duration.ofSeconds(30));
        emulator.faults().injectError("disks.get", 503, "backendError", 1);
        CloudException e = assertThrows(CloudException.class, () -> cloud.getDisk(new DiskRef(P, Z, "x")));
        assertEquals(Kind.UNAVAILABLE, e.kind());
        assertEquals(503, e.httpStatus());
        assertEquals("backendError", e.reason());
        assertEquals(1, emulator.requestCount("disks.get"), "one request: the library's retries are off");
    }

    /**
     * The operation timeout is measured on the adapter's clock (a fake one here): the wait goes on while the
     * clock is short of it, and ends with DEADLINE once the clock reaches it, though the operation is far from
     * DONE. Only the anti-hang bound is wall-clock time.
     */
    @Test
    void operationTimeoutEndsTheWaitOnTime() {
        emulator.faults().setOperationDuration(Duration.ofHours(1));
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(7_000_000_000L);
        GoogleComputeCloud cloud = closedAfter(EmulatorClouds.google(clients, P, Z, Duration.ofMillis(500), now::get));
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            java.util.concurrent.CompletableFuture<?> create = java.util.concurrent.CompletableFuture.runAsync(
                    () -> done(cloud.createDiskAsync(spec("slow"), "key-slow")));
            while (cloud.pendingOperations() == 0) {
                assertFalse(create.isDone(), () -> "ended before its operation was waited for: " + create);
                Thread.sleep(5);
            }
            now.addAndGet(Duration.ofMillis(499).toNanos());
            Thread.sleep(3 * dev.imagedisk.csi.cloud.OperationTracker.TICK.toMillis());
            assertFalse(create.isDone(), "still waiting 1 ms short of the timeout");
            assertEquals(1, cloud.pendingOperations());
            now.addAndGet(Duration.ofMillis(1).toNanos());
            java.util.concurrent.ExecutionException e =
                    assertThrows(java.util.concurrent.ExecutionException.class, create::get);
            CloudException ce = assertInstanceOf(CloudException.class, e.getCause(), e.toString());
            assertEquals(Kind.DEADLINE, ce.kind(), ce.toString());
            assertEquals(0, cloud.pendingOperations());
        });
    }

    @Test
    void listSpansZonesWithOneAggregatedList() {
        GoogleComputeCloud cloud = cloud(Duration.ofSeconds(30));
        emulator.faults().setOperationDuration(Duration.ZERO);
        done(cloud.createDiskAsync(spec("l1"), "key-l1"));
        done(cloud.createDiskAsync(
                new DiskSpec(
                        new DiskRef(P, "europe-west1-b", "l2"),
                        10,
                        "pd-balanced",
                        "projects/" + P + "/global/images/img",
                        Map.of("imagedisk-csi", "managed"),
                        "",
                        null,
                        null,
                        null),
                "key-l2"));
        emulator.resetRequestCounts();
        assertEquals(2, cloud.listDisks(Map.of("imagedisk-csi", "managed")).size());
        assertEquals(0, cloud.listDisks(Map.of("imagedisk-csi", "other")).size());
        assertEquals(2, emulator.requestCount("disks.aggregatedList"));
        assertEquals(0, emulator.requestCount("disks.list"));
    }

    /**
     * Backoffs hold no thread: twelve resizes whose operations are refused for their rate all back off (for minutes),
     * and meanwhile an unrelated insert's operation completes and its caller's next step runs. Asserted by order:
     * every resize is backing off and none has ended when the insert's future completes. (Issue 19: the backoff
     * slept on the thread that completed the failed operation, so two such answers stalled every completion.)
     */
    @Test
    void callsBackingOffHoldNoThreadAnUnrelatedOperationCompletesMeanwhile() throws Exception {
        int backingOff = 12;
        CountDownLatch retriesScheduled = new CountDownLatch(backingOff);
        CloudCallObserver observer = new CloudCallObserver() {
            @Override
            public void request(String method, String outcome) {}

            @Override
            public void retry(String method) {
                retriesScheduled.countDown();
            }

            @Override
            public void rateLimitWait(Duration waited) {}

            @Override
            public void operationDone(String operationType, Duration took) {}
        };
        GoogleComputeCloud cloud = closedAfter(new GoogleComputeCloud(
                clients,
                P,
                Z,
                ApiBudgets.single(RateLimiter.perSecond(1000)),
                new Backoff(1, Duration.ofMinutes(10), Duration.ofMinutes(10), () -> 1.0),
                Duration.ofMinutes(1),
                ComputeClients.WAIT_CALL_TIMEOUT,
                observer,
                System::nanoTime,
                null));
        emulator.faults().setOperationDuration(Duration.ZERO);
        for (int i = 0; i < backingOff; i++) {
            done(cloud.createDiskAsync(spec("r" + i), "key-r" + i));
        }
        emulator.faults().setOperationDuration(Duration.ofMillis(300));
        emulator.faults()
                .failNextOperations("disks.resize", "RESOURCE_OPERATION_RATE_EXCEEDED", "slow down", true, backingOff);
        List<CompletableFuture<Void>> resizes = new ArrayList<>();
        for (int i = 0; i < backingOff; i++) {
            resizes.add(cloud.resizeDiskAsync(new DiskRef(P, Z, "r" + i), 20));
        }
        assertTrue(retriesScheduled.await(60, TimeUnit.SECONDS), "the resizes did not all back off");

        CompletableFuture<Thread> unrelated =
                cloud.createDiskAsync(spec("unrelated"), "key-unrelated").thenApply(ours -> Thread.currentThread());
        Thread nextStep = unrelated.get(60, TimeUnit.SECONDS);
        assertTrue(resizes.stream().noneMatch(CompletableFuture::isDone), "every resize is still backing off");
        assertTrue(nextStep.getName().startsWith("compute-step-"), "the caller's next step ran on " + nextStep);
        assertTrue(cloud.getDisk(new DiskRef(P, Z, "unrelated")).orElseThrow().ready());
    }

    /**
     * Issue 19, bug e: each adapter's operation tracker ticked on a static timer that nothing shut down. Closed, an
     * adapter stops its tracker and ends every thread it started; a mutation sent after that is refused.
     */
    @Test
    void closingTheCloudStopsItsTrackerAndEndsItsThreads() throws Exception {
        Set<Thread> before = computeThreads();
        GoogleComputeCloud cloud = EmulatorClouds.google(clients, P, Z, Duration.ofSeconds(30));
        done(cloud.createDiskAsync(spec("c1"), "key-c1"));
        assertFalse(startedSince(before).isEmpty(), "the adapter's threads ran the insert");

        cloud.close();
        for (Thread t : startedSince(before)) {
            t.join(TimeUnit.SECONDS.toMillis(10));
        }
        assertEquals(
                List.of(), startedSince(before).stream().map(Thread::getName).toList(), "threads left running");
        assertEquals(0, cloud.pendingOperations());
        CloudException refused =
                assertThrows(CloudException.class, () -> done(cloud.resizeDiskAsync(new DiskRef(P, Z, "c1"), 20)));
        assertEquals(Kind.UNAVAILABLE, refused.kind(), refused.toString());
    }

    private static Set<Thread> computeThreads() {
        Set<Thread> out = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith("compute-")) {
                out.add(t);
            }
        }
        return out;
    }

    private static List<Thread> startedSince(Set<Thread> before) {
        return computeThreads().stream().filter(t -> !before.contains(t)).toList();
    }
}
