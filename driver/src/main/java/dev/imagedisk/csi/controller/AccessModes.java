package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.common.CsiErrors.invalidArgument;

import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Which volume capabilities a zonal disk supports: mount or block, attached read-write to one node
 * (single-node writer modes), read-only to one node, or read-only to many.
 */
public final class AccessModes {
    public static final Set<Mode> SUPPORTED = EnumSet.of(Mode.SINGLE_NODE_WRITER, Mode.SINGLE_NODE_SINGLE_WRITER,
            Mode.SINGLE_NODE_MULTI_WRITER, Mode.SINGLE_NODE_READER_ONLY, Mode.MULTI_NODE_READER_ONLY);

    private AccessModes() {}

    /** INVALID_ARGUMENT unless {@code caps} is non-empty and every entry is supported. */
    public static void require(List<VolumeCapability> caps, String field) {
        if (caps.isEmpty()) {
            throw invalidArgument("%s is required", field);
        }
        for (VolumeCapability c : caps) {
            String reason = unsupported(c);
            if (reason != null) {
                throw invalidArgument("%s: %s", field, reason);
            }
        }
    }

    /** INVALID_ARGUMENT unless {@code cap} is set and supported. */
    public static void require(VolumeCapability cap, boolean present, String field) {
        if (!present) {
            throw invalidArgument("%s is required", field);
        }
        String reason = unsupported(cap);
        if (reason != null) {
            throw invalidArgument("%s: %s", field, reason);
        }
    }

    /** Why {@code caps} cannot be met, or null when every one can. */
    public static String unsupported(List<VolumeCapability> caps) {
        for (VolumeCapability c : caps) {
            String reason = unsupported(c);
            if (reason != null) {
                return reason;
            }
        }
        return null;
    }

    /** Why {@code cap} cannot be met, or null. */
    public static String unsupported(VolumeCapability cap) {
        if (cap.getAccessTypeCase() == VolumeCapability.AccessTypeCase.ACCESSTYPE_NOT_SET) {
            return "access type (mount or block) is required";
        }
        if (!cap.hasAccessMode()) {
            return "access_mode is required";
        }
        Mode mode = cap.getAccessMode().getMode();
        if (!SUPPORTED.contains(mode)) {
            return "access mode " + mode + " is not supported: a zonal disk is read-write on one node"
                    + " or read-only on one or many (supported: " + SUPPORTED + ")";
        }
        return null;
    }

    /** Whether the mode allows reads only, so the disk is attached READ_ONLY. */
    public static boolean readOnly(VolumeCapability cap) {
        Mode m = cap.getAccessMode().getMode();
        return m == Mode.SINGLE_NODE_READER_ONLY || m == Mode.MULTI_NODE_READER_ONLY;
    }
}
