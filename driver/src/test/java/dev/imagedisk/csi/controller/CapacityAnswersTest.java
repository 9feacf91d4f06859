package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.ControllerFixture.NODE_1;
import static dev.imagedisk.csi.controller.ControllerFixture.create;
import static dev.imagedisk.csi.controller.ControllerFixture.mountWriter;
import static dev.imagedisk.csi.controller.ControllerFixture.nodeId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.ControllerPublishVolumeRequest;
import dev.imagedisk.csi.controller.ExternalProvisioner.Decision;
import dev.imagedisk.gce.emulator.ComputeFailure;
import dev.imagedisk.gce.emulator.Faults;
import dev.imagedisk.gce.emulator.Faults.Delivery;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The table of capacity and readiness answers: each failure, injected in the emulator in Compute Engine's shape
 * (in the operation, or as the call's HTTP error), reaches the CSI caller over the plugin's socket with the code in
 * the table and a message saying where and whether moving helps; and that code leads external-provisioner to the
 * decision in the table ({@link ExternalProvisioner#decide}, restated from its {@code checkError}): a stockout or a
 * zonal quota reschedules a WaitForFirstConsumer claim (another zone may work), a region-wide quota reschedules too
 * but says moving will not help, and what may still finish (a disk still CREATING/RESTORING, a 5xx) is retried.
 */
@Tag("integration")
class CapacityAnswersTest {
    @RegisterExtension
    static final ControllerFixture f = ControllerFixture.perClass(Duration.ofMillis(20), "--api-retries", "0");

    static final String ZONE = ControllerFixture.ZONE;
    static final String REGION = "us-central1";

    enum Call {
        CREATE_VOLUME,
        CONTROLLER_PUBLISH
    }

    /**
     * One row: what Compute Engine answers, which CSI call meets it, the code the caller gets, what
     * external-provisioner then does for a WaitForFirstConsumer claim with a selected node and for an Immediate one,
     * and what the message must say.
     */
    record Row(
            String answer,
            Consumer<Faults> inject,
            Call call,
            Status.Code code,
            Decision waitForFirstConsumer,
            Decision immediate,
            List<String> says) {
        @Override
        public String toString() {
            return answer + " at " + call;
        }
    }

    private static Row capacity(ComputeFailure failure, Delivery how, Status.Code code, String... says) {
        return new Row(
                failure + (how == Delivery.OPERATION ? " (operation)" : " (HTTP call)"),
                faults -> faults.failNext("disks.insert", failure, how, 1),
                Call.CREATE_VOLUME,
                code,
                Decision.RESCHEDULE,
                Decision.FINAL,
                List.of(says));
    }

    static final List<Row> TABLE = List.of(
            capacity(
                    ComputeFailure.ZONE_RESOURCE_POOL_EXHAUSTED,
                    Delivery.OPERATION,
                    Status.Code.RESOURCE_EXHAUSTED,
                    "zone " + ZONE,
                    "ZONE_RESOURCE_POOL_EXHAUSTED",
                    "another zone may"),
            capacity(
                    ComputeFailure.ZONE_RESOURCE_POOL_EXHAUSTED,
                    Delivery.CALL,
                    Status.Code.RESOURCE_EXHAUSTED,
                    "zone " + ZONE,
                    "ZONE_RESOURCE_POOL_EXHAUSTED",
                    "another zone may"),
            capacity(
                    ComputeFailure.ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS,
                    Delivery.OPERATION,
                    Status.Code.RESOURCE_EXHAUSTED,
                    "zone " + ZONE,
                    "ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS",
                    "another zone may"),
            capacity(
                    ComputeFailure.ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS,
                    Delivery.CALL,
                    Status.Code.RESOURCE_EXHAUSTED,
                    "zone " + ZONE,
                    "ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS",
                    "another zone may"),
            capacity(
                    ComputeFailure.ZONAL_QUOTA_EXCEEDED,
                    Delivery.OPERATION,
                    Status.Code.RESOURCE_EXHAUSTED,
                    "zone " + ZONE,
                    "QUOTA_EXCEEDED",
                    "another zone may"),
            capacity(
                    ComputeFailure.ZONAL_QUOTA_EXCEEDED,
                    Delivery.CALL,
                    Status.Code.RESOURCE_EXHAUSTED,
                    "zone " + ZONE,
                    "quotaExceeded",
                    "another zone may"),
            capacity(
                    ComputeFailure.REGIONAL_QUOTA_EXCEEDED,
                    Delivery.OPERATION,
                    Status.Code.RESOURCE_EXHAUSTED,
                    "region " + REGION,
                    "QUOTA_EXCEEDED",
                    "will not help"),
            capacity(
                    ComputeFailure.REGIONAL_QUOTA_EXCEEDED,
                    Delivery.CALL,
                    Status.Code.RESOURCE_EXHAUSTED,
                    "region " + REGION,
                    "quotaExceeded",
                    "will not help"),
            // a disk still CREATING or RESTORING: the attach is answered resourceNotReady; it will work later
            new Row(
                    "RESOURCE_NOT_READY on attach (operation)",
                    faults -> faults.failNext("attachDisk", ComputeFailure.RESOURCE_NOT_READY, Delivery.OPERATION, 1),
                    Call.CONTROLLER_PUBLISH,
                    Status.Code.ABORTED,
                    Decision.RETRY_IN_BACKGROUND,
                    Decision.RETRY_IN_BACKGROUND,
                    List.of("is not ready", "/disks/")),
            new Row(
                    "resourceNotReady on attach (HTTP call)",
                    faults -> faults.failNext(
                            "instances.attachDisk", ComputeFailure.RESOURCE_NOT_READY, Delivery.CALL, 1),
                    Call.CONTROLLER_PUBLISH,
                    Status.Code.ABORTED,
                    Decision.RETRY_IN_BACKGROUND,
                    Decision.RETRY_IN_BACKGROUND,
                    List.of("is not ready", "/disks/")),
            // a clone whose source is still CREATING/RESTORING
            new Row(
                    "resourceNotReady on disks.insert (HTTP call)",
                    faults -> faults.failNext("disks.insert", ComputeFailure.RESOURCE_NOT_READY, Delivery.CALL, 1),
                    Call.CREATE_VOLUME,
                    Status.Code.ABORTED,
                    Decision.RETRY_IN_BACKGROUND,
                    Decision.RETRY_IN_BACKGROUND,
                    List.of("is not ready")),
            // what may still finish keeps its code
            new Row(
                    "backendError 503 on disks.insert (HTTP call)",
                    faults -> faults.injectError("disks.insert", 503, "backendError", 1),
                    Call.CREATE_VOLUME,
                    Status.Code.UNAVAILABLE,
                    Decision.RETRY_IN_BACKGROUND,
                    Decision.RETRY_IN_BACKGROUND,
                    List.of("backendError")),
            new Row(
                    "INTERNAL_ERROR 503 (operation)",
                    faults -> faults.failNextOperations("insert", "INTERNAL_ERROR", "Internal error", 503, 1),
                    Call.CREATE_VOLUME,
                    Status.Code.UNAVAILABLE,
                    Decision.RETRY_IN_BACKGROUND,
                    Decision.RETRY_IN_BACKGROUND,
                    List.of("INTERNAL_ERROR")),
            // an API's request quota, after the retries (here none): RESOURCE_EXHAUSTED, as before
            new Row(
                    "rateLimitExceeded 403 on disks.insert (HTTP call)",
                    faults -> faults.injectError("disks.insert", 403, "rateLimitExceeded", 1),
                    Call.CREATE_VOLUME,
                    Status.Code.RESOURCE_EXHAUSTED,
                    Decision.RESCHEDULE,
                    Decision.FINAL,
                    List.of("rateLimitExceeded")));

    static Stream<Row> table() {
        return TABLE.stream();
    }

    private static final List<String> SEEN = new ArrayList<>();
    private static int serial;

    @AfterEach
    void clearFaults() {
        f.emulator.faults().clear();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void eachAnswerGivesTheCodeInTheTableOverTheSocket(Row row) {
        String name = "cap-" + (++serial);
        Runnable call;
        if (row.call() == Call.CREATE_VOLUME) {
            call = () -> f.stub().createVolume(create(name).build());
        } else {
            String volume = f.volume(name);
            call = () -> f.stub()
                    .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                            .setVolumeId(volume)
                            .setNodeId(nodeId(NODE_1))
                            .setVolumeCapability(mountWriter())
                            .build());
        }
        row.inject().accept(f.emulator.faults());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run, row.toString());
        Status.Code code = e.getStatus().getCode();
        String message = e.getStatus().getDescription();
        assertEquals(row.code(), code, row + ": " + message);
        for (String s : row.says()) {
            assertTrue(message.contains(s), row + " should say '" + s + "': " + message);
        }
        assertEquals(row.waitForFirstConsumer(), ExternalProvisioner.decide(code, true), row.toString());
        assertEquals(row.immediate(), ExternalProvisioner.decide(code, false), row.toString());
        synchronized (SEEN) {
            SEEN.add("| " + row.answer() + " | " + row.call() + " | " + code + " | " + row.waitForFirstConsumer()
                    + " | " + row.immediate() + " | " + message.replace("|", "/") + " |");
        }
    }

    @Test
    void theDecisionsAreExternalProvisionersCheckError() {
        // the restated function itself: what can still be running is retried, RESOURCE_EXHAUSTED reschedules only
        // a claim with a selected node, anything else is final
        assertEquals(Decision.RESCHEDULE, ExternalProvisioner.decide(Status.Code.RESOURCE_EXHAUSTED, true));
        assertEquals(Decision.FINAL, ExternalProvisioner.decide(Status.Code.RESOURCE_EXHAUSTED, false));
        for (Status.Code c : List.of(
                Status.Code.ABORTED, Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED, Status.Code.CANCELLED)) {
            assertEquals(Decision.RETRY_IN_BACKGROUND, ExternalProvisioner.decide(c, true), c.toString());
        }
        for (Status.Code c : List.of(
                Status.Code.INVALID_ARGUMENT,
                Status.Code.NOT_FOUND,
                Status.Code.FAILED_PRECONDITION,
                Status.Code.INTERNAL,
                Status.Code.PERMISSION_DENIED)) {
            assertEquals(Decision.FINAL, ExternalProvisioner.decide(c, true), c.toString());
        }
    }

    @AfterAll
    static void printTable() {
        System.out.println("| Compute Engine answer | CSI call | code | WaitForFirstConsumer | Immediate | message |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        SEEN.forEach(System.out::println);
    }
}
