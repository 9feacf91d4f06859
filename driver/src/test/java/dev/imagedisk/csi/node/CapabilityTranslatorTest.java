package dev.imagedisk.csi.node;

import static dev.imagedisk.csi.requests.CsiRequests.capability;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.imagedisk.csi.contract.AccessPolicy;
import dev.imagedisk.csi.server.CsiFailure;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The node takes its access-mode decisions from the contract: it refuses exactly what the controller refuses. */
class CapabilityTranslatorTest {
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = "UNRECOGNIZED", mode = EnumSource.Mode.EXCLUDE)
    void sameAnswerAsThePolicyForMountAndBlock(Mode mode) {
        for (boolean block : new boolean[] {false, true}) {
            VolumeCapability c = capability(mode, block);
            if (AccessPolicy.unsupported(c).isPresent()) {
                CsiFailure e = assertThrows(CsiFailure.class, () -> CapabilityTranslator.translate(c, "cap"));
                assertEquals(CsiFailure.Code.INVALID_ARGUMENT, e.code());
                assertTrue(e.getMessage().startsWith("cap: "), e.getMessage());
            } else {
                VolumeSpec spec = CapabilityTranslator.translate(c, "cap");
                assertEquals(block, spec.block());
                assertEquals(AccessPolicy.readOnly(mode), spec.readOnly(), mode.name());
                assertEquals(AccessPolicy.singleTarget(mode), spec.singleTarget(), mode.name());
            }
        }
    }
}
