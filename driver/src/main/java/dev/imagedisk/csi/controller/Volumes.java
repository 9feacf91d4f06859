package dev.imagedisk.csi.controller;

import csi.v1.Topology;
import csi.v1.Volume;
import csi.v1.VolumeCondition;
import dev.imagedisk.csi.DriverConfig;
import dev.imagedisk.csi.cloud.Disk;
import dev.imagedisk.csi.cloud.InstanceRef;
import java.util.ArrayList;
import java.util.List;

/** How a disk is described to the CO: its CSI volume, publication and condition. */
public final class Volumes {
    /** volume_context key: self link of the image the disk was created from. */
    public static final String CONTEXT_IMAGE = "image";
    /** volume_context key: the disk type. */
    public static final String CONTEXT_TYPE = "type";

    private Volumes() {}

    public static Volume volume(Disk disk) {
        Volume.Builder v = Volume.newBuilder()
                .setVolumeId(VolumeId.of(disk.ref()))
                .setCapacityBytes(disk.sizeGb() * VolumeSize.GIB)
                .addAccessibleTopology(Topology.newBuilder()
                        .putSegments(DriverConfig.TOPOLOGY_ZONE_KEY, disk.ref().zone()));
        if (disk.sourceImage() != null) {
            v.putVolumeContext(CONTEXT_IMAGE, disk.sourceImage());
        }
        if (disk.type() != null && !disk.type().isEmpty()) {
            v.putVolumeContext(CONTEXT_TYPE, disk.type());
        }
        return v.build();
    }

    public static List<String> publishedNodeIds(Disk disk) {
        List<String> ids = new ArrayList<>();
        for (InstanceRef user : disk.users()) {
            ids.add(NodeId.of(user));
        }
        return ids;
    }

    /** Abnormal unless the disk is READY. */
    public static VolumeCondition condition(Disk disk) {
        if (disk.ready()) {
            return VolumeCondition.newBuilder().setAbnormal(false).setMessage("disk is READY").build();
        }
        return VolumeCondition.newBuilder().setAbnormal(true)
                .setMessage("disk " + disk.ref() + " is " + disk.status() + ", not READY").build();
    }
}
