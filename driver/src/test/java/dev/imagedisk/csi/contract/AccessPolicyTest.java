package dev.imagedisk.csi.contract;

import static dev.imagedisk.csi.requests.CsiRequests.capability;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What a zonal disk can do, for mount and block alike. */
class AccessPolicyTest {
    @ParameterizedTest
    @CsvSource({
        "SINGLE_NODE_WRITER, true, false, false",
        "SINGLE_NODE_SINGLE_WRITER, true, false, true",
        "SINGLE_NODE_MULTI_WRITER, true, false, false",
        "SINGLE_NODE_READER_ONLY, true, true, false",
        "MULTI_NODE_READER_ONLY, true, true, false",
        "MULTI_NODE_SINGLE_WRITER, false, false, false",
        "MULTI_NODE_MULTI_WRITER, false, false, false",
        "UNKNOWN, false, false, false"
    })
    void modes(Mode mode, boolean supported, boolean readOnly, boolean singleTarget) {
        for (boolean block : new boolean[] {false, true}) {
            Optional<String> reason = AccessPolicy.unsupported(capability(mode, block));
            assertEquals(supported, reason.isEmpty(), mode + (block ? " block: " : " mount: ") + reason);
            if (!supported) {
                assertTrue(reason.get().contains("access_mode") || reason.get().contains(mode.name()), reason.get());
            }
        }
        assertEquals(readOnly, AccessPolicy.readOnly(mode));
        assertEquals(readOnly, AccessPolicy.readOnly(capability(mode, true)));
        assertEquals(readOnly, AccessPolicy.readOnly(capability(mode, false), false));
        assertTrue(
                AccessPolicy.readOnly(capability(mode, false), true), "the readonly flag makes any publish read-only");
        assertEquals(singleTarget, AccessPolicy.singleTarget(mode));
    }

    @Test
    void missingParts() {
        assertTrue(AccessPolicy.unsupported(VolumeCapability.newBuilder()
                        .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_WRITER))
                        .build())
                .orElseThrow()
                .contains("access_type"));
        assertTrue(AccessPolicy.unsupported(VolumeCapability.newBuilder()
                        .setMount(VolumeCapability.MountVolume.getDefaultInstance())
                        .build())
                .orElseThrow()
                .contains("access_mode"));
        assertEquals(
                Optional.empty(),
                AccessPolicy.unsupported(List.of(
                        capability(Mode.SINGLE_NODE_WRITER, false), capability(Mode.MULTI_NODE_READER_ONLY, true))));
        assertTrue(AccessPolicy.unsupported(List.of(
                        capability(Mode.SINGLE_NODE_WRITER, false), capability(Mode.MULTI_NODE_MULTI_WRITER, true)))
                .orElseThrow()
                .contains("MULTI_NODE_MULTI_WRITER"));
    }
}
