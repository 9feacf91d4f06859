package dev.imagedisk.csisanity;

import static dev.imagedisk.csisanity.Codes.assertCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerGetVolumeResponse;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.Volume;
import dev.imagedisk.csi.requests.CsiRequests;
import io.grpc.Status;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** ControllerGetVolume (GET_VOLUME), with VOLUME_CONDITION and the published nodes. */
class ControllerGetVolumeTest extends SanityTest {
    @BeforeEach
    void needsGetVolume() {
        assumeTrue(csi.has(Type.GET_VOLUME), "GET_VOLUME not advertised");
    }

    private ControllerGetVolumeResponse get(String id) {
        return csi.controller()
                .controllerGetVolume(
                        ControllerGetVolumeRequest.newBuilder().setVolumeId(id).build());
    }

    @Test
    @DisplayName("no volume_id: INVALID_ARGUMENT; a volume that does not exist: NOT_FOUND")
    void errors() {
        assertCode(Status.Code.INVALID_ARGUMENT, () -> get(""), "ControllerGetVolume without volume_id");
        assertCode(Status.Code.NOT_FOUND, () -> get(Csi.fakeVolumeId()), "ControllerGetVolume, fake id");
        assertCode(Status.Code.NOT_FOUND, () -> get(csi.goneVolumeId()), "ControllerGetVolume of a deleted volume");
    }

    @Test
    @DisplayName("describes the volume as CreateVolume did, its condition, and the nodes it is published to")
    void describes() {
        Volume v = res.create("getvol");
        ControllerGetVolumeResponse r = get(v.getVolumeId());
        assertEquals(v.getVolumeId(), r.getVolume().getVolumeId());
        assertEquals(v.getCapacityBytes(), r.getVolume().getCapacityBytes());
        assertEquals(v.getAccessibleTopologyList(), r.getVolume().getAccessibleTopologyList());
        assertEquals(List.of(), r.getStatus().getPublishedNodeIdsList());
        if (csi.has(Type.VOLUME_CONDITION)) {
            assertTrue(r.getStatus().hasVolumeCondition(), "VOLUME_CONDITION advertised, no volume_condition");
            assertFalse(
                    r.getStatus().getVolumeCondition().getAbnormal(),
                    "a fresh volume is abnormal: "
                            + r.getStatus().getVolumeCondition().getMessage());
        }
        if (csi.has(Type.PUBLISH_UNPUBLISH_VOLUME)) {
            res.controllerPublish(v, CsiRequests.RWO, false);
            assertEquals(List.of(csi.nodeId), get(v.getVolumeId()).getStatus().getPublishedNodeIdsList());
        }
    }
}
