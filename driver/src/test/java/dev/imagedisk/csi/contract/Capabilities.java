package dev.imagedisk.csi.contract;

import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;

/** Volume capabilities as tests write them: an access mode, and block or mount. */
public final class Capabilities {
    private Capabilities() {}

    /** Block, or mount with no filesystem type named. */
    public static VolumeCapability cap(Mode mode, boolean block) {
        return cap(mode, block, "");
    }

    /** Block, or mount of {@code fsType} ("" names none). */
    public static VolumeCapability cap(Mode mode, boolean block, String fsType) {
        VolumeCapability.Builder b = VolumeCapability.newBuilder()
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode));
        return block
                ? b.setBlock(VolumeCapability.BlockVolume.getDefaultInstance()).build()
                : b.setMount(VolumeCapability.MountVolume.newBuilder().setFsType(fsType))
                        .build();
    }
}
