package dev.imagedisk.csi.contract;

import csi.v1.VolumeCapability;
import java.util.List;
import java.util.Optional;

/**
 * The filesystems a mount volume may ask for ({@code volume_capability.mount.fs_type}), decided once for controller
 * and node: ext4, ext3 and xfs, the ones the node can make, check, grow and mount. An empty fs_type is the node's
 * default ({@code --default-fs-type}, one of them). Anything else (a StorageClass's
 * {@code csi.storage.k8s.io/fstype: ntfs}) would make a disk no node can mount, so it is refused before any disk is
 * made.
 */
public final class FsTypes {
    /** In the order the messages list them. */
    public static final List<String> SUPPORTED = List.of("ext4", "ext3", "xfs");

    private FsTypes() {}

    public static boolean supported(String fsType) {
        return SUPPORTED.contains(fsType);
    }

    /** Why {@code cap}'s fs_type cannot be had, naming it and the supported ones; empty when it can (or is block). */
    public static Optional<String> unsupported(VolumeCapability cap) {
        if (cap.getAccessTypeCase() != VolumeCapability.AccessTypeCase.MOUNT) {
            return Optional.empty();
        }
        String fsType = cap.getMount().getFsType();
        if (fsType.isEmpty() || supported(fsType)) {
            return Optional.empty();
        }
        return Optional.of("mount.fs_type \"" + fsType + "\" is not supported: this driver mounts "
                + String.join(", ", SUPPORTED.subList(0, SUPPORTED.size() - 1)) + " or "
                + SUPPORTED.get(SUPPORTED.size() - 1));
    }

    /** The first reason of any of {@code caps}, or empty. */
    public static Optional<String> unsupported(List<VolumeCapability> caps) {
        return caps.stream().map(FsTypes::unsupported).flatMap(Optional::stream).findFirst();
    }
}
