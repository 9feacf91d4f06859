package dev.imagedisk.csisanity;

import static dev.imagedisk.csisanity.Codes.assertCode;
import static dev.imagedisk.csisanity.Codes.assertCodeIn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.imagedisk.csi.requests.CsiRequests;
import dev.imagedisk.gce.emulator.GceEmulator;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** ControllerPublishVolume and ControllerUnpublishVolume. */
class ControllerPublishTest extends SanityTest {
    @BeforeEach
    void needsPublish() {
        assumeTrue(csi.has(Type.PUBLISH_UNPUBLISH_VOLUME), "PUBLISH_UNPUBLISH_VOLUME not advertised");
    }

    private ControllerPublishVolumeRequest.Builder publishRequest(String volumeId, String nodeId) {
        return ControllerPublishVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .setNodeId(nodeId)
                .setVolumeCapability(CsiRequests.RWO);
    }

    private void unpublish(String volumeId, String nodeId) {
        csi.controller()
                .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(volumeId)
                        .setNodeId(nodeId)
                        .build());
    }

    private List<String> publishedNodes(String volumeId) {
        return csi.controller()
                .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                        .setVolumeId(volumeId)
                        .build())
                .getStatus()
                .getPublishedNodeIdsList();
    }

    @Test
    @DisplayName("no volume_id, no node_id, no volume_capability: INVALID_ARGUMENT (upstream)")
    void requiredFields() {
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.controller().controllerPublishVolume(ControllerPublishVolumeRequest.getDefaultInstance()),
                "ControllerPublishVolume without volume_id");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.controller()
                        .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                                .setVolumeId(Csi.fakeVolumeId())
                                .build()),
                "ControllerPublishVolume without node_id");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.controller()
                        .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                                .setVolumeId(Csi.fakeVolumeId())
                                .setNodeId(Csi.fakeNodeId())
                                .build()),
                "ControllerPublishVolume without volume_capability");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.controller()
                        .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                                .setVolumeId(csi.goneVolumeId())
                                .setNodeId(csi.nodeId)
                                .build()),
                "ControllerPublishVolume without volume_capability (well-formed ids)");
    }

    @Test
    @DisplayName("a volume that does not exist: NOT_FOUND (upstream)")
    void unknownVolume() {
        assertCode(
                Status.Code.NOT_FOUND,
                () -> csi.controller()
                        .controllerPublishVolume(publishRequest(Csi.fakeVolumeId(), Csi.fakeNodeId())
                                .build()),
                "ControllerPublishVolume, fake ids");
        assertCode(
                Status.Code.NOT_FOUND,
                () -> csi.controller()
                        .controllerPublishVolume(
                                publishRequest(csi.goneVolumeId(), csi.nodeId).build()),
                "ControllerPublishVolume of a deleted volume");
    }

    @Test
    @DisplayName("a node that does not exist: NOT_FOUND (upstream)")
    void unknownNode() {
        Volume v = res.create("nonode");
        assertCode(
                Status.Code.NOT_FOUND,
                () -> res.controllerPublish(
                        publishRequest(v.getVolumeId(), Csi.fakeNodeId()).build()),
                "ControllerPublishVolume to a fake node id");
        assertCode(
                Status.Code.NOT_FOUND,
                () -> res.controllerPublish(
                        publishRequest(v.getVolumeId(), csi.missingNodeId()).build()),
                "ControllerPublishVolume to a node that does not exist");
    }

    @Test
    @DisplayName("an access mode the disk cannot offer: INVALID_ARGUMENT or FAILED_PRECONDITION")
    void unsupportedCapability() {
        Volume v = res.create("badcap");
        assertCodeIn(
                "ControllerPublishVolume MULTI_NODE_MULTI_WRITER",
                () -> res.controllerPublish(publishRequest(v.getVolumeId(), csi.nodeId)
                        .setVolumeCapability(
                                CsiRequests.mount(VolumeCapability.AccessMode.Mode.MULTI_NODE_MULTI_WRITER))
                        .build()),
                Status.Code.INVALID_ARGUMENT,
                Status.Code.FAILED_PRECONDITION);
    }

    @Test
    @DisplayName("publish: the same call ten times answers the same publish_context; the node is listed; "
            + "unpublish twice: OK, and the node is no longer listed")
    void publishUnpublishIdempotent() {
        Volume v = res.create("pubidem");
        Map<String, String> first = res.controllerPublish(v, CsiRequests.RWO, false);
        for (int i = 0; i < 9; i++) {
            assertEquals(
                    first, res.controllerPublish(v, CsiRequests.RWO, false), "a repeated publish answered differently");
        }
        if (csi.has(Type.GET_VOLUME)) {
            assertEquals(List.of(csi.nodeId), publishedNodes(v.getVolumeId()));
        }
        if (csi.has(Type.LIST_VOLUMES_PUBLISHED_NODES)) {
            assertEquals(List.of(csi.nodeId), listed(v).getStatus().getPublishedNodeIdsList());
        }
        csi.emulator()
                .ifPresent(
                        emu -> assertTrue(attachedLoop(emu, v).isPresent(), "no loop device backs the attached disk"));
        unpublish(v.getVolumeId(), csi.nodeId);
        unpublish(v.getVolumeId(), csi.nodeId);
        if (csi.has(Type.GET_VOLUME)) {
            assertEquals(List.of(), publishedNodes(v.getVolumeId()));
        }
        if (csi.has(Type.LIST_VOLUMES_PUBLISHED_NODES)) {
            assertEquals(List.of(), listed(v).getStatus().getPublishedNodeIdsList());
        }
        csi.emulator()
                .ifPresent(emu ->
                        assertTrue(attachedLoop(emu, v).isEmpty(), "the detached disk's loop device is still bound"));
    }

    @Test
    @DisplayName("published read-write, then asked read-only: ALREADY_EXISTS (upstream, PUBLISH_READONLY)")
    void incompatibleRepublish() {
        assumeTrue(csi.has(Type.PUBLISH_READONLY), "PUBLISH_READONLY not advertised");
        Volume v = res.create("incompat");
        res.controllerPublish(v, CsiRequests.RWO, false);
        assertCode(
                Status.Code.ALREADY_EXISTS,
                () -> res.controllerPublish(v, CsiRequests.RWO, true),
                "ControllerPublishVolume readonly after read-write");
    }

    @Test
    @DisplayName("a read-write volume published to another node: FAILED_PRECONDITION")
    void publishedToAnotherNode() {
        Optional<String> node2 = csi.secondNodeId();
        assumeTrue(node2.isPresent(), "needs a second node (-Dcsi.nodeId2 with an external endpoint)");
        Volume v = res.create("twonodes");
        res.controllerPublish(v, CsiRequests.RWO, false);
        assertCode(
                Status.Code.FAILED_PRECONDITION,
                () -> res.controllerPublish(
                        publishRequest(v.getVolumeId(), node2.get()).build()),
                "ControllerPublishVolume read-write to a second node");
    }

    @Test
    @DisplayName("MULTI_NODE_READER_ONLY: published read-only to two nodes; unpublish without node_id detaches both")
    void readOnlyOnTwoNodes() {
        assumeTrue(csi.has(Type.PUBLISH_READONLY), "PUBLISH_READONLY not advertised");
        Optional<String> node2 = csi.secondNodeId();
        assumeTrue(node2.isPresent(), "needs a second node (-Dcsi.nodeId2 with an external endpoint)");
        Volume v = res.createVolume(res.createRequest("ronodes")
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(CsiRequests.mount(Mode.MULTI_NODE_READER_ONLY))
                        .build())
                .getVolume();
        res.controllerPublish(v, CsiRequests.mount(Mode.MULTI_NODE_READER_ONLY), true);
        res.controllerPublish(publishRequest(v.getVolumeId(), node2.get())
                .setVolumeCapability(CsiRequests.mount(Mode.MULTI_NODE_READER_ONLY))
                .setReadonly(true)
                .build());
        if (csi.has(Type.GET_VOLUME)) {
            assertEquals(
                    List.of(csi.nodeId, node2.get()).stream().sorted().toList(),
                    publishedNodes(v.getVolumeId()).stream().sorted().toList());
        }
        unpublish(v.getVolumeId(), "");
        if (csi.has(Type.GET_VOLUME)) {
            assertEquals(
                    List.of(),
                    publishedNodes(v.getVolumeId()),
                    "ControllerUnpublishVolume without node_id " + "must unpublish from every node");
        }
    }

    @Test
    @DisplayName("unpublish: no volume_id: INVALID_ARGUMENT (upstream); unknown volume or node: OK")
    void unpublishUnknown() {
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.controller()
                        .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                                .setNodeId(csi.nodeId)
                                .build()),
                "ControllerUnpublishVolume without volume_id");
        unpublish(Csi.fakeVolumeId(), csi.nodeId);
        unpublish(csi.goneVolumeId(), csi.nodeId);
        unpublish(csi.goneVolumeId(), "");
        Volume v = res.create("unpubnode");
        unpublish(v.getVolumeId(), Csi.fakeNodeId());
        unpublish(v.getVolumeId(), csi.missingNodeId());
        unpublish(v.getVolumeId(), csi.nodeId); // never published
    }

    private ListVolumesResponse.Entry listed(Volume v) {
        return csi.controller().listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
                .filter(e -> e.getVolume().getVolumeId().equals(v.getVolumeId()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("ListVolumes does not list " + v.getVolumeId()));
    }

    private Optional<Path> attachedLoop(GceEmulator emu, Volume v) {
        var o = csi.local().orElseThrow().options();
        Optional<Path> file = emu.diskFile(o.project(), o.zone(), DeleteVolumeTest.diskName(v));
        assertFalse(file.isEmpty(), "the emulator has no file for " + v.getVolumeId());
        return emu.boundLoopDevices().values().stream()
                .filter(p -> p.equals(file.get()))
                .findFirst();
    }
}
