package dev.imagedisk.csi.contract;

import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a zonal disk can do, decided once for controller and node: it is attached read-write to one node (the
 * single-node writer modes) or read-only to one or many nodes, for mount and block alike. Multi-node writers
 * are never possible. Answers are reasons (empty when the capability is fine), never RPC errors: the service
 * layer words them as INVALID_ARGUMENT or a {@code confirmed}-less answer.
 */
public final class AccessPolicy {
    public static final Set<Mode> SUPPORTED = EnumSet.of(
            Mode.SINGLE_NODE_WRITER,
            Mode.SINGLE_NODE_SINGLE_WRITER,
            Mode.SINGLE_NODE_MULTI_WRITER,
            Mode.SINGLE_NODE_READER_ONLY,
            Mode.MULTI_NODE_READER_ONLY);

    private AccessPolicy() {}

    /** Why {@code cap} cannot be met by a zonal disk, or empty when it can. */
    public static Optional<String> unsupported(VolumeCapability cap) {
        if (cap.getAccessTypeCase() == VolumeCapability.AccessTypeCase.ACCESSTYPE_NOT_SET) {
            return Optional.of("access_type is required: block or mount");
        }
        if (!cap.hasAccessMode() || cap.getAccessMode().getMode() == Mode.UNKNOWN) {
            return Optional.of("access_mode is required");
        }
        Mode mode = cap.getAccessMode().getMode();
        if (!SUPPORTED.contains(mode)) {
            return Optional.of("access mode " + mode + " is not supported: a zonal disk is read-write on one node"
                    + " or read-only on one or many (supported: " + SUPPORTED + ")");
        }
        return FsTypes.unsupported(cap);
    }

    /** The first reason any of {@code caps} cannot be met, or empty. */
    public static Optional<String> unsupported(List<VolumeCapability> caps) {
        return caps.stream()
                .map(AccessPolicy::unsupported)
                .flatMap(Optional::stream)
                .findFirst();
    }

    /** Whether the mode allows reads only: the disk is attached READ_ONLY and mounted ro, never grown or repaired. */
    public static boolean readOnly(Mode mode) {
        return mode == Mode.SINGLE_NODE_READER_ONLY || mode == Mode.MULTI_NODE_READER_ONLY;
    }

    public static boolean readOnly(VolumeCapability cap) {
        return readOnly(cap.getAccessMode().getMode());
    }

    /**
     * Whether a publish is read-only: its mode allows reads only, or the CO set the request's {@code readonly}
     * flag (ControllerPublishVolume: attach READ_ONLY; NodePublishVolume: mount ro).
     */
    public static boolean readOnly(VolumeCapability cap, boolean readonlyFlag) {
        return readonlyFlag || readOnly(cap);
    }

    /** Whether the volume may be published at one target path only (SINGLE_NODE_SINGLE_WRITER). */
    public static boolean singleTarget(Mode mode) {
        return mode == Mode.SINGLE_NODE_SINGLE_WRITER;
    }
}
