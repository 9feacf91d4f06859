package dev.imagedisk.csisanity;

import static dev.imagedisk.csisanity.Codes.assertCode;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.ControllerModifyVolumeRequest;
import csi.v1.ControllerModifyVolumeResponse;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.Volume;
import io.grpc.Status;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * ControllerModifyVolume (MODIFY_VOLUME): a VolumeAttributesClass's parameters on a volume. This driver takes
 * {@code provisioned-iops}/{@code provisioned-throughput} on Hyperdisk volumes.
 */
class ModifyVolumeTest extends SanityTest {
    @BeforeEach
    void needsModifyVolume() {
        assumeTrue(csi.has(Type.MODIFY_VOLUME), "MODIFY_VOLUME not advertised");
    }

    private ControllerModifyVolumeResponse modify(String id, Map<String, String> parameters) {
        return csi.controller()
                .controllerModifyVolume(ControllerModifyVolumeRequest.newBuilder()
                        .setVolumeId(id)
                        .putAllMutableParameters(parameters)
                        .build());
    }

    @Test
    @DisplayName("no volume_id: INVALID_ARGUMENT; a volume that does not exist: NOT_FOUND; an unknown key:"
            + " INVALID_ARGUMENT")
    void errors() {
        Map<String, String> iops = Map.of("provisioned-iops", "4000");
        assertCode(Status.Code.INVALID_ARGUMENT, () -> modify("", iops), "ControllerModifyVolume without volume_id");
        assertCode(Status.Code.NOT_FOUND, () -> modify(Csi.fakeVolumeId(), iops), "ControllerModifyVolume, fake id");
        Volume v = res.create("modify-bad");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> modify(v.getVolumeId(), Map.of("XXX_FakeKey", "XXX_FakeValue")),
                "ControllerModifyVolume with an unknown key");
        // a Persistent Disk has no provisioned performance
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> modify(v.getVolumeId(), iops),
                "ControllerModifyVolume of provisioned-iops on pd-balanced");
    }

    @Test
    @DisplayName("a Hyperdisk volume takes the class, at creation and later, and again (idempotent)")
    void modifies() {
        Volume v = res.createVolume(res.createRequest("modify-hd")
                        .putParameters("type", "hyperdisk-balanced")
                        .putMutableParams("provisioned-iops", "4000")
                        .build())
                .getVolume();
        modify(v.getVolumeId(), Map.of("provisioned-iops", "5000", "provisioned-throughput", "300"));
        modify(v.getVolumeId(), Map.of("provisioned-iops", "5000", "provisioned-throughput", "300"));
    }
}
