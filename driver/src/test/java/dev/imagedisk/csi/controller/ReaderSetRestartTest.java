package dev.imagedisk.csi.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.TopologyRequirement;
import csi.v1.VolumeCapability.AccessMode.Mode;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of a reader set against the emulator, through the real adapter: a controller that gives up (its
 * caller's deadline) while a zone's disk is still being created, and is then killed, leaves one disk after a new
 * controller's retry, not two: the retry finds the disk by its deterministic name and its insert by request id.
 */
@Tag("integration")
class ReaderSetRestartTest {
    @TempDir
    Path dir;

    @Test
    void aControllerKilledWhileAZonesDiskIsCreatedLeavesOneDiskAfterTheRetry() throws Exception {
        try (ControllerFixture f = ControllerFixture.start(dir, Duration.ofMillis(20))) {
            f.emulator.addInstance(ControllerFixture.PROJECT, ControllerFixture.OTHER_ZONE, "node-b", "e2-standard-2");
            String nodeB = "projects/" + ControllerFixture.PROJECT + "/zones/" + ControllerFixture.OTHER_ZONE
                    + "/instances/node-b";
            String id = f.stub()
                    .createVolume(CreateVolumeRequest.newBuilder()
                            .setName("pvc-restart")
                            .addVolumeCapabilities(ControllerFixture.cap(Mode.MULTI_NODE_READER_ONLY, false))
                            .putParameters(
                                    "image",
                                    "projects/" + ControllerFixture.PROJECT + "/global/images/"
                                            + ControllerFixture.IMAGE)
                            .putParameters("replicas", "on-demand")
                            .setAccessibilityRequirements(TopologyRequirement.newBuilder()
                                    .addRequisite(FakeController.zone(ControllerFixture.ZONE))
                                    .addRequisite(FakeController.zone(ControllerFixture.OTHER_ZONE))
                                    .addPreferred(FakeController.zone(ControllerFixture.ZONE)))
                            .build())
                    .getVolume()
                    .getVolumeId();
            ControllerPublishVolumeRequest publish = ControllerPublishVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setNodeId(nodeB)
                    .setVolumeCapability(ControllerFixture.cap(Mode.MULTI_NODE_READER_ONLY, false))
                    .setReadonly(true)
                    .build();
            // zone b's disk takes 3 s to make; the caller gives up after 0.5 s, then the controller dies
            f.emulator.faults().setOperationDuration(Duration.ofSeconds(3));
            StatusRuntimeException gaveUp = assertThrows(
                    StatusRuntimeException.class,
                    () -> f.stub().withDeadlineAfter(500, TimeUnit.MILLISECONDS).controllerPublishVolume(publish));
            assertEquals(Status.Code.DEADLINE_EXCEEDED, gaveUp.getStatus().getCode());
            assertEquals(1, f.emulator.requestCount("disks.insert") - 1, "zone b's disk was asked for once");
            f.stopPlugin();
            f.startPlugin();
            f.emulator.faults().setOperationDuration(Duration.ofMillis(20));
            String device = f.stub()
                    .withDeadlineAfter(30, TimeUnit.SECONDS)
                    .controllerPublishVolume(publish)
                    .getPublishContextMap()
                    .get("deviceName");
            assertEquals("pvc-restart", device);
            // the retry's insert carried the same request id: answered with the first one's operation
            java.util.List<com.google.cloud.compute.v1.Disk> inB =
                    listDisks(f, ControllerFixture.OTHER_ZONE).getItemsList().stream()
                            .filter(d -> d.getLabelsMap().containsKey("imagedisk-csi")) // not node-b's boot disk
                            .toList();
            assertEquals(1, inB.size(), inB.toString());
            assertEquals(1, inB.get(0).getUsersCount());
        }
    }

    private static com.google.cloud.compute.v1.DiskList listDisks(ControllerFixture f, String zone) throws Exception {
        try (com.google.cloud.compute.v1.DisksClient disks =
                com.google.cloud.compute.v1.DisksClient.create(com.google.cloud.compute.v1.DisksSettings.newBuilder()
                        .setEndpoint(f.emulator.baseUrl())
                        .setCredentialsProvider(com.google.api.gax.core.NoCredentialsProvider.create())
                        .build())) {
            return disks.list(ControllerFixture.PROJECT, zone).getPage().getResponse();
        }
    }
}
