package dev.imagedisk.csi.cloud.gce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.CloudException.Kind;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.cloud.DiskSpec;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.cloud.InstanceRef;
import dev.imagedisk.gce.emulator.GceEmulator;
import java.time.Duration;
import java.util.Map;
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
        clients.close();
        emulator.close();
    }

    private GoogleComputeCloud cloud(Duration operationTimeout) {
        return EmulatorClouds.google(clients, P, Z, operationTimeout);
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
        cloud.createDisk(spec("d1"), "key-d1");
        assertEquals(1, emulator.requestCount("zoneOperations.wait"), "one long poll for a 300 ms operation");
        assertEquals(0, emulator.requestCount("zoneOperations.get"));
        assertTrue(cloud.getDisk(new DiskRef(P, Z, "d1")).orElseThrow().ready());
        cloud.attachDisk(new InstanceRef(P, Z, "vm"), new DiskRef(P, Z, "d1"), "d1", true);
        assertTrue(cloud.getInstance(new InstanceRef(P, Z, "vm"))
                .orElseThrow()
                .attachment(new DiskRef(P, Z, "d1"))
                .orElseThrow()
                .readOnly());
    }

    @Test
    void sameIdempotencyKeyIsTheSameOperation() {
        GoogleComputeCloud cloud = cloud(Duration.ofSeconds(30));
        cloud.createDisk(spec("d2"), "key-d2");
        cloud.createDisk(spec("d2"), "key-d2"); // answered with the first operation, not alreadyExists
        assertEquals(2, emulator.requestCount("disks.insert"));
        CloudException e = assertThrows(CloudException.class, () -> cloud.createDisk(spec("d2"), "another-key"));
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
        GoogleComputeCloud cloud = EmulatorClouds.google(clients, P, Z, Duration.ofMillis(500), now::get);
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            java.util.concurrent.CompletableFuture<?> create =
                    java.util.concurrent.CompletableFuture.runAsync(() -> cloud.createDisk(spec("slow"), "key-slow"));
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
        cloud.createDisk(spec("l1"), "key-l1");
        cloud.createDisk(
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
                "key-l2");
        emulator.resetRequestCounts();
        assertEquals(2, cloud.listDisks(Map.of("imagedisk-csi", "managed")).size());
        assertEquals(0, cloud.listDisks(Map.of("imagedisk-csi", "other")).size());
        assertEquals(2, emulator.requestCount("disks.aggregatedList"));
        assertEquals(0, emulator.requestCount("disks.list"));
    }
}
