package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.ControllerFixture.GIB;
import static dev.imagedisk.csi.controller.ControllerFixture.NODE_1;
import static dev.imagedisk.csi.controller.ControllerFixture.PROJECT;
import static dev.imagedisk.csi.controller.ControllerFixture.ZONE;
import static dev.imagedisk.csi.controller.ControllerFixture.cap;
import static dev.imagedisk.csi.controller.ControllerFixture.mountWriter;
import static dev.imagedisk.csi.controller.ControllerFixture.nodeId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.ControllerExpandVolumeResponse;
import csi.v1.ControllerGetCapabilitiesRequest;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerGetVolumeResponse;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.GetCapacityRequest;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import csi.v1.ProbeRequest;
import csi.v1.ValidateVolumeCapabilitiesRequest;
import csi.v1.ValidateVolumeCapabilitiesResponse;
import csi.v1.VolumeCapability.AccessMode.Mode;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Delete, Validate, List, Get, Expand, capabilities and Probe against the emulator. */
@Tag("integration")
class VolumeLifecycleTest {
    @RegisterExtension
    static final ControllerFixture f = ControllerFixture.perClass(Duration.ofMillis(20));

    private static void delete(String id) {
        f.stub().deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
    }

    @Test
    void deleteIsIdempotentAndRefusesWhileAttached() {
        String v = f.volume("del-1");
        f.stub()
                .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .setNodeId(nodeId(NODE_1))
                        .setVolumeCapability(mountWriter())
                        .build());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> delete(v));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains(nodeId(NODE_1)), e.getMessage());
        f.stub()
                .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .setNodeId(nodeId(NODE_1))
                        .build());
        delete(v);
        delete(v);
        delete("fake-volume-id");
        e = assertThrows(StatusRuntimeException.class, () -> delete(""));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                .setVolumeId(v)
                                .build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    @Test
    void deleteRefusesADiskThisDriverDidNotCreate() {
        // the boot disk of an instance has no imagedisk-csi label (and is attached)
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> delete("projects/" + PROJECT + "/zones/" + ZONE + "/disks/" + NODE_1));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    }

    @Test
    void validateConfirmsSupportedCapabilitiesOnly() {
        String v = f.volume("validate-1");
        ValidateVolumeCapabilitiesResponse ok = f.stub()
                .validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest.newBuilder()
                        .setVolumeId(v)
                        .addVolumeCapabilities(mountWriter())
                        .putParameters("image", ControllerFixture.imagePath())
                        .build());
        assertTrue(ok.hasConfirmed(), ok.toString());
        assertEquals(List.of(mountWriter()), ok.getConfirmed().getVolumeCapabilitiesList());

        ValidateVolumeCapabilitiesResponse no = f.stub()
                .validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest.newBuilder()
                        .setVolumeId(v)
                        .addVolumeCapabilities(cap(Mode.MULTI_NODE_MULTI_WRITER, false))
                        .build());
        assertFalse(no.hasConfirmed());
        assertTrue(no.getMessage().contains("MULTI_NODE_MULTI_WRITER"), no.getMessage());

        ValidateVolumeCapabilitiesResponse otherType = f.stub()
                .validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest.newBuilder()
                        .setVolumeId(v)
                        .addVolumeCapabilities(mountWriter())
                        .putParameters("image", ControllerFixture.imagePath())
                        .putParameters("type", "pd-ssd")
                        .build());
        assertFalse(otherType.hasConfirmed());

        for (String id : List.of("projects/" + PROJECT + "/zones/" + ZONE + "/disks/nope", "fake-id")) {
            StatusRuntimeException e = assertThrows(
                    StatusRuntimeException.class,
                    () -> f.stub()
                            .validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest.newBuilder()
                                    .setVolumeId(id)
                                    .addVolumeCapabilities(mountWriter())
                                    .build()));
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        }
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest.newBuilder()
                                .setVolumeId(v)
                                .build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }

    @Test
    void listPagesThroughAllVolumesWithPublishedNodes() {
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            mine.add(f.volume("list-" + i));
        }
        f.stub()
                .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                        .setVolumeId(mine.get(2))
                        .setNodeId(nodeId(NODE_1))
                        .setVolumeCapability(mountWriter())
                        .build());
        List<ListVolumesResponse.Entry> all = new ArrayList<>();
        String token = "";
        int pages = 0;
        do {
            ListVolumesResponse page = f.stub()
                    .listVolumes(ListVolumesRequest.newBuilder()
                            .setMaxEntries(2)
                            .setStartingToken(token)
                            .build());
            assertTrue(page.getEntriesCount() <= 2);
            all.addAll(page.getEntriesList());
            token = page.getNextToken();
            pages++;
        } while (!token.isEmpty());
        Set<String> ids = all.stream().map(e -> e.getVolume().getVolumeId()).collect(Collectors.toSet());
        assertEquals(all.size(), ids.size(), "no duplicates");
        assertTrue(ids.containsAll(mine), ids.toString());
        assertFalse(ids.stream().anyMatch(id -> id.endsWith("/disks/" + NODE_1)), "boot disks are not ours");
        assertTrue(pages >= 3);
        ListVolumesResponse.Entry published = all.stream()
                .filter(e -> e.getVolume().getVolumeId().equals(mine.get(2)))
                .findFirst()
                .orElseThrow();
        assertEquals(List.of(nodeId(NODE_1)), published.getStatus().getPublishedNodeIdsList());
        assertEquals(
                all.size(),
                f.stub().listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesCount());
        f.stub()
                .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(mine.get(2))
                        .build());

        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .listVolumes(ListVolumesRequest.newBuilder()
                                .setStartingToken("invalid-token")
                                .build()));
        assertEquals(Status.Code.ABORTED, e.getStatus().getCode());
    }

    @Test
    void getVolumeReportsConditionAndPublication() {
        String v = f.volume("get-1");
        ControllerGetVolumeResponse r = f.stub()
                .controllerGetVolume(
                        ControllerGetVolumeRequest.newBuilder().setVolumeId(v).build());
        assertEquals(v, r.getVolume().getVolumeId());
        assertEquals(10 * GIB, r.getVolume().getCapacityBytes());
        assertFalse(r.getStatus().getVolumeCondition().getAbnormal());
        for (String id : List.of("projects/" + PROJECT + "/zones/" + ZONE + "/disks/nope", "bogus")) {
            StatusRuntimeException e = assertThrows(
                    StatusRuntimeException.class,
                    () -> f.stub()
                            .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                    .setVolumeId(id)
                                    .build()));
            assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        }
    }

    @Test
    void expandGrowsMountNeedsNodeBlockDoesNotShrinkIsNoOp() {
        String v = f.volume("expand-1");
        ControllerExpandVolumeResponse r = f.stub()
                .controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(12 * GIB + 5))
                        .setVolumeCapability(mountWriter())
                        .build());
        assertEquals(13 * GIB, r.getCapacityBytes());
        assertTrue(r.getNodeExpansionRequired());
        r = f.stub()
                .controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(14 * GIB))
                        .setVolumeCapability(cap(Mode.SINGLE_NODE_WRITER, true))
                        .build());
        assertEquals(14 * GIB, r.getCapacityBytes());
        assertFalse(r.getNodeExpansionRequired());
        long resizes = f.emulator.requestCount("disks.resize");
        r = f.stub()
                .controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(11 * GIB))
                        .build());
        assertEquals(14 * GIB, r.getCapacityBytes(), "shrinking is a no-op answering the current size");
        assertEquals(resizes, f.emulator.requestCount("disks.resize"));
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                                .setVolumeId(v)
                                .setCapacityRange(CapacityRange.newBuilder()
                                        .setRequiredBytes(20 * GIB + 1)
                                        .setLimitBytes(20 * GIB + 100))
                                .build()));
        assertEquals(Status.Code.OUT_OF_RANGE, e.getStatus().getCode());
        e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                                .setVolumeId(v)
                                .build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                                .setVolumeId("projects/" + PROJECT + "/zones/" + ZONE + "/disks/nope")
                                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(GIB))
                                .build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertEquals(
                14 * GIB,
                f.stub()
                        .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                .setVolumeId(v)
                                .build())
                        .getVolume()
                        .getCapacityBytes());
    }

    @Test
    void capabilitiesListWhatWorksAndTheRestIsUnimplemented() {
        Set<Type> caps = f
                .stub()
                .controllerGetCapabilities(ControllerGetCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList()
                .stream()
                .map(c -> c.getRpc().getType())
                .collect(Collectors.toSet());
        assertEquals(
                Set.of(
                        Type.CREATE_DELETE_VOLUME,
                        Type.PUBLISH_UNPUBLISH_VOLUME,
                        Type.LIST_VOLUMES,
                        Type.LIST_VOLUMES_PUBLISHED_NODES,
                        Type.EXPAND_VOLUME,
                        Type.GET_VOLUME,
                        Type.VOLUME_CONDITION,
                        Type.SINGLE_NODE_MULTI_WRITER,
                        Type.PUBLISH_READONLY,
                        Type.CREATE_DELETE_SNAPSHOT,
                        Type.LIST_SNAPSHOTS,
                        Type.CLONE_VOLUME,
                        Type.MODIFY_VOLUME),
                caps);
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class, () -> f.stub().getCapacity(GetCapacityRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
        // advertised: an empty request is bad input, not UNIMPLEMENTED
        e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub().controllerModifyVolume(csi.v1.ControllerModifyVolumeRequest.getDefaultInstance()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }

    @Test
    void probeIsReadyWhenTheApiAnswers() {
        assertTrue(
                f.identity().probe(ProbeRequest.getDefaultInstance()).getReady().getValue());
    }
}
