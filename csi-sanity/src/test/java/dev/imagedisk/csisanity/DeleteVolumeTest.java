package dev.imagedisk.csisanity;

import static dev.imagedisk.csisanity.Codes.assertCode;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.DeleteVolumeRequest;
import csi.v1.DeleteVolumeResponse;
import csi.v1.ListVolumesRequest;
import csi.v1.Volume;
import dev.imagedisk.csi.requests.CsiRequests;
import io.grpc.Status;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** DeleteVolume: required id, idempotency, unknown ids, volumes in use. */
class DeleteVolumeTest extends SanityTest {
    private DeleteVolumeResponse delete(String id) {
        return csi.controller()
                .deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
    }

    @Test
    @DisplayName("no volume_id: INVALID_ARGUMENT (upstream)")
    void missingId() {
        assertCode(Status.Code.INVALID_ARGUMENT, () -> delete(""), "DeleteVolume without volume_id");
    }

    @Test
    @DisplayName("an unknown volume: OK, whether the id has the plugin's form or not (upstream: invalid volume id)")
    void unknownVolume() {
        delete("fake-vol-id");
        delete(Csi.fakeVolumeId());
        delete(csi.goneVolumeId());
    }

    @Test
    @DisplayName("deletes the volume (gone from ControllerGetVolume and ListVolumes); again: OK")
    void deletesIdempotently() {
        Volume v = res.create("delete");
        delete(v.getVolumeId());
        if (csi.has(Type.GET_VOLUME)) {
            assertCode(
                    Status.Code.NOT_FOUND,
                    () -> csi.controller()
                            .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                    .setVolumeId(v.getVolumeId())
                                    .build()),
                    "ControllerGetVolume of a deleted volume");
        }
        if (csi.has(Type.LIST_VOLUMES)) {
            assertFalse(
                    csi.controller().listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
                            .anyMatch(e -> e.getVolume().getVolumeId().equals(v.getVolumeId())),
                    "ListVolumes still lists a deleted volume");
        }
        csi.emulator()
                .ifPresent(emu -> assertTrue(
                        emu.diskFile(project(), zone(), diskName(v)).isEmpty(),
                        "the emulator still has the deleted disk's file"));
        delete(v.getVolumeId());
        delete(v.getVolumeId());
    }

    @Test
    @DisplayName("a volume attached to a node: FAILED_PRECONDITION, and it is still there")
    void volumeInUse() {
        Volume v = res.create("inuse");
        res.controllerPublish(v, CsiRequests.RWO, false);
        assertCode(
                Status.Code.FAILED_PRECONDITION, () -> delete(v.getVolumeId()), "DeleteVolume of an attached volume");
        if (csi.has(Type.GET_VOLUME)) {
            csi.controller()
                    .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                            .setVolumeId(v.getVolumeId())
                            .build());
        }
    }

    private String project() {
        return csi.local().orElseThrow().options().project();
    }

    private String zone() {
        return csi.local().orElseThrow().options().zone();
    }

    static String diskName(Volume v) {
        String id = v.getVolumeId();
        return id.substring(id.lastIndexOf('/') + 1);
    }
}
