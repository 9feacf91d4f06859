package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.ControllerFixture.GIB;
import static dev.imagedisk.csi.controller.ControllerFixture.NODE_1;
import static dev.imagedisk.csi.controller.ControllerFixture.create;
import static dev.imagedisk.csi.controller.ControllerFixture.mountWriter;
import static dev.imagedisk.csi.controller.ControllerFixture.nodeId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.DeleteVolumeRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Failed calls and failed operations, injected in the emulator, and the gRPC codes they become. */
@Tag("integration")
class FaultMappingTest {
    @RegisterExtension
    static final ControllerFixture f = ControllerFixture.perClass(Duration.ofMillis(20), "--api-retries", "3");

    @AfterEach
    void clearFaults() {
        f.emulator.faults().clear();
    }

    private static StatusRuntimeException fails(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run);
    }

    @Test
    void zoneResourcePoolExhaustedOperationIsResourceExhaustedAndARetrySucceedsLater() {
        f.emulator
                .faults()
                .failNextOperations(
                        "insert",
                        "ZONE_RESOURCE_POOL_EXHAUSTED",
                        "The zone does not have enough resources available to fulfill the request.",
                        true,
                        1);
        StatusRuntimeException e =
                fails(() -> f.stub().createVolume(create("pool-1").build()));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getMessage());
        assertTrue(e.getStatus().getDescription().contains("ZONE_RESOURCE_POOL_EXHAUSTED"), e.getMessage());
        assertTrue(e.getStatus().getDescription().startsWith("zone us-central1-a "), e.getMessage());
        // Compute Engine answers the same request id with the same failed operation; once that is clearly an
        // old answer (here: the emulator's operations aged past the driver's clock-skew allowance, instead of
        // waiting for it) the driver moves on to a fresh request id
        f.emulator.ageOperations(Duration.ofMinutes(1));
        f.stub().createVolume(create("pool-1").build());
    }

    @Test
    void failedOperationWithoutHttpStatusIsAFailure() {
        f.emulator.faults().failNextOperations("insert", "ZONE_RESOURCE_POOL_EXHAUSTED", "no capacity", false, 1);
        StatusRuntimeException e =
                fails(() -> f.stub().createVolume(create("pool-0").build()));
        // the message names no zone: the operation's zone is the one out of capacity
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getMessage());
        assertTrue(e.getStatus().getDescription().startsWith("zone us-central1-a "), e.getMessage());

        String v = f.stub()
                .createVolume(create("attach-fails").build())
                .getVolume()
                .getVolumeId();
        f.emulator
                .faults()
                .failNextOperations("attachDisk", "RESOURCE_NOT_FOUND", "The resource was not found", false, 1);
        e = fails(() -> f.stub()
                .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .setNodeId(nodeId(NODE_1))
                        .setVolumeCapability(mountWriter())
                        .build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.getMessage());
        assertEquals(
                0,
                f.stub()
                        .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                .setVolumeId(v)
                                .build())
                        .getStatus()
                        .getPublishedNodeIdsCount());
    }

    @Test
    void operationRefusedForItsRateIsSentAgain() {
        String v = f.stub().createVolume(create("op-rate").build()).getVolume().getVolumeId();
        long before = f.emulator.requestCount("disks.resize");
        f.emulator
                .faults()
                .failNextOperations(
                        "resize", "RESOURCE_OPERATION_RATE_EXCEEDED", "Operation rate exceeded for resource", false, 2);
        long size = f.stub()
                .controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(11 * GIB))
                        .build())
                .getCapacityBytes();
        assertEquals(11 * GIB, size);
        assertEquals(before + 3, f.emulator.requestCount("disks.resize"));
    }

    @Test
    void injected5xxIsUnavailable() {
        f.emulator.faults().injectError("disks.insert", 503, "backendError", 1);
        StatusRuntimeException e =
                fails(() -> f.stub().createVolume(create("five-oh-three").build()));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getMessage());
        f.emulator.faults().injectError("images.get", 500, "internalError", 1);
        e = fails(() -> f.stub().createVolume(create("five-hundred").build()));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getMessage());
        f.stub().createVolume(create("five-hundred").build());
    }

    @Test
    void injected404IsNotFound() {
        String v = f.stub()
                .createVolume(create("four-oh-four").build())
                .getVolume()
                .getVolumeId();
        f.emulator.faults().injectError("instances.get", 404, "notFound", 1);
        StatusRuntimeException e = fails(() -> f.stub()
                .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .setNodeId(nodeId(NODE_1))
                        .setVolumeCapability(mountWriter())
                        .build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.getMessage());
        f.emulator.faults().injectError("disks.get", 404, "notFound", 1);
        e = fails(() -> f.stub()
                .controllerGetVolume(
                        ControllerGetVolumeRequest.newBuilder().setVolumeId(v).build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.getMessage());
    }

    @Test
    void rateLimitAnswersAreRetriedThenResourceExhausted() {
        long before = f.emulator.requestCount("images.get");
        f.emulator.faults().injectError("images.get", 403, "rateLimitExceeded", 2);
        f.stub().createVolume(create("rate-ok").build());
        assertEquals(before + 3, f.emulator.requestCount("images.get"), "two retries, then success");

        before = f.emulator.requestCount("images.get");
        f.emulator.faults().injectError("images.get", 429, "rateLimitExceeded", 100);
        StatusRuntimeException e =
                fails(() -> f.stub().createVolume(create("rate-never").build()));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getMessage());
        assertEquals(before + 4, f.emulator.requestCount("images.get"), "--api-retries 3: four attempts in all");

        f.emulator.faults().clear();
        f.emulator.faults().injectError("disks.insert", 403, "quotaExceeded", 100);
        e = fails(() -> f.stub().createVolume(create("quota").build()));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getMessage());
    }

    /**
     * An operation that would take an hour, a 300 ms --operation-timeout, a call without a deadline: the call
     * ends DEADLINE_EXCEEDED by the operation timeout, naming the operation, while the operation still runs.
     * The 30 s bound only guards against a hang; how fast it ends is not the claim.
     */
    @Test
    void operationOutlastingTheTimeoutIsDeadlineExceeded(@TempDir Path own) throws Exception {
        try (ControllerFixture slow =
                ControllerFixture.start(own, Duration.ofHours(1), "--operation-timeout", "300ms")) {
            StatusRuntimeException e = assertTimeoutPreemptively(
                    Duration.ofSeconds(30),
                    () -> fails(() -> slow.stub().createVolume(create("slow").build())));
            assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.getMessage());
            assertTrue(
                    e.getStatus().getDescription().contains("not DONE"),
                    e.getStatus().getDescription());
            assertEquals(1, slow.emulator.requestCount("disks.insert"), "one insert, not retried");
        }
    }

    @Test
    void resourceInUseOnDeleteIsFailedPrecondition() {
        String v = f.stub().createVolume(create("in-use").build()).getVolume().getVolumeId();
        f.emulator
                .faults()
                .injectError(
                        "disks.delete",
                        400,
                        "resourceInUseByAnotherResource",
                        "The disk resource is already being used by 'projects/p/zones/z/instances/x'",
                        1);
        StatusRuntimeException e = fails(() -> f.stub()
                .deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(v).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getMessage());
        f.stub().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(v).build());
    }
}
