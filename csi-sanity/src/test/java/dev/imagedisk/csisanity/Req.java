package dev.imagedisk.csisanity;

import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;

/** Request pieces. */
final class Req {
    private Req() {}

    static VolumeCapability mount(Mode mode) {
        return VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.getDefaultInstance())
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode))
                .build();
    }

    static VolumeCapability mount(Mode mode, String fsType) {
        return VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.newBuilder().setFsType(fsType))
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode))
                .build();
    }

    static VolumeCapability block(Mode mode) {
        return VolumeCapability.newBuilder()
                .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode))
                .build();
    }

    /** The capability Kubernetes sends for a ReadWriteOnce filesystem PVC. */
    static final VolumeCapability RWO = mount(Mode.SINGLE_NODE_WRITER);
    /** Read-only on one node. */
    static final VolumeCapability RO = mount(Mode.SINGLE_NODE_READER_ONLY);
    /** A mode a zonal disk cannot offer. */
    static final VolumeCapability MULTI_WRITER = mount(Mode.MULTI_NODE_MULTI_WRITER);
}
