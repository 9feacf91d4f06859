package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.ControllerFixture.NODE_1;
import static dev.imagedisk.csi.controller.ControllerFixture.NODE_2;
import static dev.imagedisk.csi.controller.ControllerFixture.PROJECT;
import static dev.imagedisk.csi.controller.ControllerFixture.ZONE;
import static dev.imagedisk.csi.controller.ControllerFixture.cap;
import static dev.imagedisk.csi.controller.ControllerFixture.create;
import static dev.imagedisk.csi.controller.ControllerFixture.mountWriter;
import static dev.imagedisk.csi.controller.ControllerFixture.nodeId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerPublishVolumeResponse;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.VolumeCapability.AccessMode.Mode;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ControllerPublishVolume and ControllerUnpublishVolume against the emulator. */
@Tag("integration")
class PublishVolumeTest {
    @RegisterExtension
    static final ControllerFixture f = ControllerFixture.perClass(Duration.ofMillis(20));

    private static ControllerPublishVolumeRequest.Builder publish(String volumeId, String node) {
        return ControllerPublishVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .setNodeId(nodeId(node))
                .setVolumeCapability(mountWriter());
    }

    private static List<String> publishedNodes(String volumeId) {
        return f.stub()
                .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                        .setVolumeId(volumeId)
                        .build())
                .getStatus()
                .getPublishedNodeIdsList();
    }

    @Test
    void publishAttachesUnderTheDiskNameAndIsIdempotent() {
        String v = f.volume("pub-1");
        ControllerPublishVolumeResponse r =
                f.stub().controllerPublishVolume(publish(v, NODE_1).build());
        assertEquals(Map.of("deviceName", "pub-1"), r.getPublishContextMap());
        assertEquals(r, f.stub().controllerPublishVolume(publish(v, NODE_1).build()));
        assertEquals(List.of(nodeId(NODE_1)), publishedNodes(v));
        long attaches = f.emulator.requestCount("instances.attachDisk");
        f.stub().controllerPublishVolume(publish(v, NODE_1).build());
        assertEquals(attaches, f.emulator.requestCount("instances.attachDisk"), "no second attach");

        f.stub()
                .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .setNodeId(nodeId(NODE_1))
                        .build());
        assertEquals(List.of(), publishedNodes(v));
        f.stub()
                .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .setNodeId(nodeId(NODE_1))
                        .build());
    }

    @Test
    void sameNodeDifferentModeIsAlreadyExists() {
        String v = f.volume("pub-mode");
        f.stub().controllerPublishVolume(publish(v, NODE_1).build());
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .controllerPublishVolume(
                                publish(v, NODE_1).setReadonly(true).build()));
        assertEquals(Status.Code.ALREADY_EXISTS, e.getStatus().getCode(), e.getMessage());
        unpublishAll(v);
    }

    @Test
    void readWriteOnAnotherNodeIsFailedPrecondition() {
        String v = f.volume("pub-other");
        f.stub().controllerPublishVolume(publish(v, NODE_1).build());
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub().controllerPublishVolume(publish(v, NODE_2).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains(nodeId(NODE_1)), e.getMessage());
        // and read-only elsewhere is refused by Compute Engine while it is read-write here
        e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .controllerPublishVolume(
                                publish(v, NODE_2).setReadonly(true).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getMessage());
        unpublishAll(v);
    }

    @Test
    void readOnlyManyAttachesReadOnlyToSeveralNodes() {
        String v = f.stub()
                .createVolume(create("pub-rox")
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(cap(Mode.MULTI_NODE_READER_ONLY, false))
                        .build())
                .getVolume()
                .getVolumeId();
        for (String node : List.of(NODE_1, NODE_2)) {
            f.stub()
                    .controllerPublishVolume(publish(v, node)
                            .setVolumeCapability(cap(Mode.MULTI_NODE_READER_ONLY, false))
                            .build());
        }
        assertEquals(List.of(nodeId(NODE_1), nodeId(NODE_2)), publishedNodes(v));
        // Unpublish without a node detaches from all
        f.stub()
                .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .build());
        assertEquals(List.of(), publishedNodes(v));
    }

    @Test
    void missingVolumeOrNodeIsNotFound() {
        String v = f.volume("pub-missing");
        String missingVolume = "projects/" + PROJECT + "/zones/" + ZONE + "/disks/no-such-disk";
        for (ControllerPublishVolumeRequest r : List.of(
                publish(missingVolume, NODE_1).build(),
                publish(v, "no-such-node").build(),
                publish("fake-vol-id", NODE_1).build(),
                publish(v, NODE_1).setNodeId("fake-node-id").build())) {
            StatusRuntimeException e =
                    assertThrows(StatusRuntimeException.class, () -> f.stub().controllerPublishVolume(r));
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), r.toString());
        }
    }

    @Test
    void requiredFieldsAreInvalidArgument() {
        String v = f.volume("pub-fields");
        for (ControllerPublishVolumeRequest r : List.of(
                publish(v, NODE_1).clearVolumeId().build(),
                publish(v, NODE_1).clearNodeId().build(),
                publish(v, NODE_1).clearVolumeCapability().build())) {
            StatusRuntimeException e =
                    assertThrows(StatusRuntimeException.class, () -> f.stub().controllerPublishVolume(r));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), r.toString());
        }
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub().controllerUnpublishVolume(ControllerUnpublishVolumeRequest.getDefaultInstance()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }

    @Test
    void unpublishOfWhatIsNotThereIsOk() {
        String v = f.volume("unpub");
        for (ControllerUnpublishVolumeRequest r : List.of(
                ControllerUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .setNodeId(nodeId(NODE_2))
                        .build(),
                ControllerUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .setNodeId(nodeId("gone"))
                        .build(),
                ControllerUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .setNodeId("garbage")
                        .build(),
                ControllerUnpublishVolumeRequest.newBuilder()
                        .setVolumeId("projects/" + PROJECT + "/zones/" + ZONE + "/disks/gone")
                        .setNodeId(nodeId(NODE_1))
                        .build(),
                ControllerUnpublishVolumeRequest.newBuilder()
                        .setVolumeId("garbage")
                        .build())) {
            f.stub().controllerUnpublishVolume(r);
        }
    }

    private static void unpublishAll(String v) {
        f.stub()
                .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .build());
    }
}
