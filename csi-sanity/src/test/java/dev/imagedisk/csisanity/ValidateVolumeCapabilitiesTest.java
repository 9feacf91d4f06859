package dev.imagedisk.csisanity;

import static dev.imagedisk.csisanity.Codes.assertCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.ValidateVolumeCapabilitiesRequest;
import csi.v1.ValidateVolumeCapabilitiesResponse;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.imagedisk.csi.requests.CsiRequests;
import io.grpc.Status;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** ValidateVolumeCapabilities. */
class ValidateVolumeCapabilitiesTest extends SanityTest {
    private ValidateVolumeCapabilitiesResponse validate(ValidateVolumeCapabilitiesRequest r) {
        return csi.controller().validateVolumeCapabilities(r);
    }

    private static ValidateVolumeCapabilitiesRequest.Builder request(String id, VolumeCapability... caps) {
        return ValidateVolumeCapabilitiesRequest.newBuilder().setVolumeId(id).addAllVolumeCapabilities(List.of(caps));
    }

    @Test
    @DisplayName("no volume_id; no volume_capabilities: INVALID_ARGUMENT (upstream)")
    void requiredFields() {
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> validate(request("", CsiRequests.RWO).build()),
                "ValidateVolumeCapabilities without volume_id");
        Volume v = res.create("validate-nocaps");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> validate(request(v.getVolumeId()).build()),
                "ValidateVolumeCapabilities without volume_capabilities");
    }

    @Test
    @DisplayName("a volume that does not exist: NOT_FOUND (upstream)")
    void unknownVolume() {
        assertCode(
                Status.Code.NOT_FOUND,
                () -> validate(request(Csi.fakeVolumeId(), CsiRequests.RWO).build()),
                "ValidateVolumeCapabilities, fake id");
        assertCode(
                Status.Code.NOT_FOUND,
                () -> validate(request(csi.goneVolumeId(), CsiRequests.RWO).build()),
                "ValidateVolumeCapabilities of a deleted volume");
    }

    @Test
    @DisplayName("supported capabilities are confirmed (with the capabilities); unsupported ones or other parameters "
            + "are not, with a message")
    void confirms() {
        Volume v = res.create("validate");
        for (VolumeCapability cap : List.of(
                CsiRequests.RWO,
                CsiRequests.mount(Mode.SINGLE_NODE_READER_ONLY),
                CsiRequests.block(Mode.SINGLE_NODE_WRITER),
                CsiRequests.mount(Mode.SINGLE_NODE_WRITER, "ext4"))) {
            ValidateVolumeCapabilitiesResponse r =
                    validate(request(v.getVolumeId(), cap).build());
            assertTrue(r.hasConfirmed(), "not confirmed: " + Codes.oneLine(cap) + ": " + r.getMessage());
            assertEquals(
                    List.of(cap), r.getConfirmed().getVolumeCapabilitiesList(), "confirmed must list the capabilities");
        }
        ValidateVolumeCapabilitiesResponse same = validate(request(v.getVolumeId(), CsiRequests.RWO)
                .putParameters("image", csi.image)
                .putParameters("type", "pd-balanced")
                .build());
        assertTrue(same.hasConfirmed(), "the volume's own parameters were not confirmed: " + same.getMessage());

        ValidateVolumeCapabilitiesResponse multi = validate(request(
                        v.getVolumeId(),
                        CsiRequests.RWO,
                        CsiRequests.mount(VolumeCapability.AccessMode.Mode.MULTI_NODE_MULTI_WRITER))
                .build());
        assertFalse(multi.hasConfirmed(), "MULTI_NODE_MULTI_WRITER confirmed for a zonal disk");
        assertFalse(multi.getMessage().isEmpty(), "an unconfirmed answer should say why");

        Optional<String> other = csi.secondImage();
        if (other.isPresent()) {
            ValidateVolumeCapabilitiesResponse otherImage = validate(request(v.getVolumeId(), CsiRequests.RWO)
                    .putParameters("image", other.get())
                    .build());
            assertFalse(otherImage.hasConfirmed(), "parameters naming another image were confirmed");
        }
    }

    @Test
    @DisplayName("mutable_parameters without MODIFY_VOLUME are not confirmed")
    void mutableParameters() {
        assumeTrue(!csi.has(Type.MODIFY_VOLUME), "MODIFY_VOLUME advertised");
        Volume v = res.create("validate-mutable");
        ValidateVolumeCapabilitiesResponse r = validate(request(v.getVolumeId(), CsiRequests.RWO)
                .putMutableParams("iops", "3000")
                .build());
        assertFalse(r.hasConfirmed(), "mutable_parameters confirmed without MODIFY_VOLUME");
    }

    @Test
    @DisplayName("mutable_parameters with an unknown key are not confirmed")
    void mutableParametersUnknownKey() {
        assumeTrue(csi.has(Type.MODIFY_VOLUME), "MODIFY_VOLUME not advertised");
        Volume v = res.create("validate-mutable-unknown");
        ValidateVolumeCapabilitiesResponse r = validate(request(v.getVolumeId(), CsiRequests.RWO)
                .putMutableParams("XXX_FakeKey", "1")
                .build());
        assertFalse(r.hasConfirmed(), "an unknown mutable parameter was confirmed");
        assertFalse(r.getMessage().isEmpty(), "no message says why");
    }
}
