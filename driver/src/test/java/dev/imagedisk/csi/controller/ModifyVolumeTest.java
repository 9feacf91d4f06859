package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.ControllerFixture.GIB;
import static dev.imagedisk.csi.controller.ControllerFixture.NODE_1;
import static dev.imagedisk.csi.controller.ControllerFixture.create;
import static dev.imagedisk.csi.controller.ControllerFixture.mountWriter;
import static dev.imagedisk.csi.controller.ControllerFixture.nodeId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.util.concurrent.ListenableFuture;
import csi.v1.CapacityRange;
import csi.v1.ControllerGetCapabilitiesRequest;
import csi.v1.ControllerGrpc;
import csi.v1.ControllerModifyVolumeRequest;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerServiceCapability;
import csi.v1.CreateVolumeRequest;
import csi.v1.ValidateVolumeCapabilitiesRequest;
import csi.v1.ValidateVolumeCapabilitiesResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ControllerModifyVolume over the plugin's socket against the emulator: a VolumeAttributesClass's
 * {@code provisioned-iops}/{@code provisioned-throughput} reach the Hyperdisk through {@code disks.update} (read back
 * from the emulator's disk), a repeat sends nothing, bad input is INVALID_ARGUMENT naming it, and a call on a volume
 * whose attach is in flight is ABORTED.
 */
@Tag("integration")
class ModifyVolumeTest {
    @RegisterExtension
    static final ControllerFixture f = ControllerFixture.perClass(Duration.ofMillis(20));

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @AfterEach
    void reset() {
        f.emulator.faults().clear();
        f.emulator.faults().setOperationDuration(Duration.ofMillis(20));
    }

    private static CreateVolumeRequest.Builder hyperdisk(String name) {
        return create(name)
                .putParameters("type", "hyperdisk-balanced")
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(100 * GIB));
    }

    private static ControllerModifyVolumeRequest modify(String volume, Map<String, String> parameters) {
        return ControllerModifyVolumeRequest.newBuilder()
                .setVolumeId(volume)
                .putAllMutableParameters(parameters)
                .build();
    }

    /** The disk as the emulator serves it to anyone (disks.get). */
    private static JsonNode emulatorDisk(String volumeId) throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create(f.emulator.baseUrl() + "/compute/v1/" + volumeId))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static Status.Code code(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
    }

    private static String message(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run).getStatus().getDescription();
    }

    @Test
    void advertisesModifyVolume() {
        assertTrue(f
                .stub()
                .controllerGetCapabilities(ControllerGetCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList()
                .stream()
                .anyMatch(c -> c.getRpc().getType() == ControllerServiceCapability.RPC.Type.MODIFY_VOLUME));
    }

    @Test
    void changesTheHyperdisksPerformanceAndARepeatSendsNothing() throws Exception {
        String v = f.stub().createVolume(hyperdisk("mod-1").build()).getVolume().getVolumeId();
        long before = f.emulator.requestCount("disks.update");
        f.stub().controllerModifyVolume(modify(v, Map.of("provisioned-iops", "6000", "provisioned-throughput", "400")));
        JsonNode disk = emulatorDisk(v);
        assertEquals(6000, disk.get("provisionedIops").asLong());
        assertEquals(400, disk.get("provisionedThroughput").asLong());
        assertEquals(before + 1, f.emulator.requestCount("disks.update"));

        // the same class again: nothing to change, no disks.update
        f.stub().controllerModifyVolume(modify(v, Map.of("provisioned-iops", "6000", "provisioned-throughput", "400")));
        assertEquals(before + 1, f.emulator.requestCount("disks.update"));
        // one value: only it changes (keys are case-insensitive; MiB/s may be written out)
        f.stub().controllerModifyVolume(modify(v, Map.of("Provisioned-Throughput", "500Mi")));
        disk = emulatorDisk(v);
        assertEquals(6000, disk.get("provisionedIops").asLong());
        assertEquals(500, disk.get("provisionedThroughput").asLong());
    }

    @Test
    void badInputIsInvalidArgumentNamingIt() {
        String hd =
                f.stub().createVolume(hyperdisk("mod-bad").build()).getVolume().getVolumeId();
        String pd = f.volume("mod-pd");
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> f.stub().controllerModifyVolume(modify("", Map.of()))));
        String unknown = message(() -> f.stub().controllerModifyVolume(modify(hd, Map.of("XXX_FakeKey", "x"))));
        assertTrue(unknown.contains("XXX_FakeKey") && unknown.contains("provisioned-iops"), unknown);
        String notANumber =
                message(() -> f.stub().controllerModifyVolume(modify(hd, Map.of("provisioned-iops", "fast"))));
        assertTrue(notANumber.contains("provisioned-iops") && notANumber.contains("fast"), notANumber);
        // a class without parameters changes nothing (and sends nothing); the volume must still exist
        long updates = f.emulator.requestCount("disks.update");
        f.stub().controllerModifyVolume(modify(hd, Map.of()));
        assertEquals(updates, f.emulator.requestCount("disks.update"));
        assertEquals(
                Status.Code.NOT_FOUND,
                code(() -> f.stub()
                        .controllerModifyVolume(
                                modify("projects/imagedisk-test/zones/us-central1-a/disks/gone", Map.of()))));
        String persistentDisk =
                message(() -> f.stub().controllerModifyVolume(modify(pd, Map.of("provisioned-iops", "4000"))));
        assertTrue(persistentDisk.contains("pd-balanced"), persistentDisk);
        // Compute Engine's own range check: a 100 GB hyperdisk-balanced takes at most 50,000 IOPS
        StatusRuntimeException range = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub().controllerModifyVolume(modify(hd, Map.of("provisioned-iops", "90000"))));
        assertEquals(Status.Code.INVALID_ARGUMENT, range.getStatus().getCode());
        assertTrue(range.getStatus().getDescription().contains("provisionedIops"), range.getMessage());
        assertEquals(
                Status.Code.NOT_FOUND,
                code(() -> f.stub()
                        .controllerModifyVolume(modify("non-existing-volume-id", Map.of("provisioned-iops", "4000")))));
        assertEquals(
                Status.Code.NOT_FOUND,
                code(() -> f.stub()
                        .controllerModifyVolume(modify(
                                "projects/imagedisk-test/zones/us-central1-a/disks/none",
                                Map.of("provisioned-iops", "4000")))));
    }

    @Test
    void createVolumeAppliesTheClassAtCreation() throws Exception {
        String v = f.stub()
                .createVolume(hyperdisk("mod-create")
                        .putMutableParams("provisioned-iops", "7000")
                        .putMutableParams("provisioned-throughput", "300")
                        .build())
                .getVolume()
                .getVolumeId();
        JsonNode disk = emulatorDisk(v);
        assertEquals(7000, disk.get("provisionedIops").asLong());
        assertEquals(300, disk.get("provisionedThroughput").asLong());
        String unknown = message(() -> f.stub()
                .createVolume(hyperdisk("mod-create-2")
                        .putMutableParams("XXX_FakeKey", "XXX_FakeValue")
                        .build()));
        assertTrue(unknown.contains("XXX_FakeKey"), unknown);
        String pd = message(() -> f.stub()
                .createVolume(create("mod-create-3")
                        .putMutableParams("provisioned-iops", "4000")
                        .build()));
        assertTrue(pd.contains("pd-balanced"), pd);

        ValidateVolumeCapabilitiesResponse ok = f.stub()
                .validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest.newBuilder()
                        .setVolumeId(v)
                        .addVolumeCapabilities(mountWriter())
                        .putMutableParams("provisioned-iops", "7000")
                        .build());
        assertTrue(ok.hasConfirmed(), ok.getMessage());
        assertEquals("7000", ok.getConfirmed().getMutableParamsMap().get("provisioned-iops"));
        ValidateVolumeCapabilitiesResponse bad = f.stub()
                .validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest.newBuilder()
                        .setVolumeId(v)
                        .addVolumeCapabilities(mountWriter())
                        .putMutableParams("XXX_FakeKey", "1")
                        .build());
        assertFalse(bad.hasConfirmed());
        assertTrue(bad.getMessage().contains("XXX_FakeKey"), bad.getMessage());
    }

    /** Waits until the emulator has seen {@code atLeast} requests of {@code method} (30 s against a hang). */
    private static void awaitCount(String method, long atLeast) {
        assertTimeoutPreemptively(
                Duration.ofSeconds(30),
                () -> {
                    while (f.emulator.requestCount(method) < atLeast) {
                        Thread.sleep(5);
                    }
                },
                method + " never sent");
    }

    @Test
    void aModifyWhileTheVolumesAttachIsInFlightIsAbortedThenWorks() throws Exception {
        String v =
                f.stub().createVolume(hyperdisk("mod-busy").build()).getVolume().getVolumeId();
        long attaches = f.emulator.requestCount("instances.attachDisk");
        long updates = f.emulator.requestCount("disks.update");
        f.emulator.faults().setOperationDuration(Duration.ofSeconds(3));
        ListenableFuture<?> attach = ControllerGrpc.newFutureStub(f.client.channel())
                .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .setNodeId(nodeId(NODE_1))
                        .setVolumeCapability(mountWriter())
                        .build());
        awaitCount("instances.attachDisk", attaches + 1);
        StatusRuntimeException busy = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub().controllerModifyVolume(modify(v, Map.of("provisioned-iops", "5000"))));
        assertEquals(Status.Code.ABORTED, busy.getStatus().getCode(), busy.getMessage());
        assertEquals(updates, f.emulator.requestCount("disks.update"), "nothing sent while the attach runs");
        f.emulator.faults().setOperationDuration(Duration.ofMillis(20));
        attach.get(30, TimeUnit.SECONDS);
        // attached: the change is made live
        f.stub().controllerModifyVolume(modify(v, Map.of("provisioned-iops", "5000")));
        assertEquals(5000, emulatorDisk(v).get("provisionedIops").asLong());
    }
}
