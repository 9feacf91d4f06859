package dev.imagedisk.csi.controller;

import csi.v1.Topology;
import csi.v1.Volume;
import csi.v1.VolumeCondition;
import dev.imagedisk.csi.cloud.Disk;
import dev.imagedisk.csi.cloud.InstanceRef;
import dev.imagedisk.csi.contract.Keys;
import java.util.ArrayList;
import java.util.List;

/** How a disk is described to the CO: its CSI volume, publication and condition. */
public final class Volumes {
    private Volumes() {}

    public static Volume volume(Disk disk) {
        Volume.Builder v = Volume.newBuilder()
                .setVolumeId(disk.ref().volumeId().path())
                .setCapacityBytes(disk.sizeGb() * VolumeSize.GIB)
                .addAccessibleTopology(Topology.newBuilder()
                        .putSegments(Keys.TOPOLOGY_ZONE, disk.ref().zone()));
        if (disk.sourceImage() != null) {
            v.putVolumeContext(Keys.CONTEXT_IMAGE, disk.sourceImage());
        }
        if (disk.type() != null && !disk.type().isEmpty()) {
            v.putVolumeContext(Keys.CONTEXT_TYPE, disk.type());
        }
        return v.build();
    }

    public static List<String> publishedNodeIds(Disk disk) {
        List<String> ids = new ArrayList<>();
        for (InstanceRef user : disk.users()) {
            ids.add(user.nodeId().path());
        }
        return ids;
    }

    /** Abnormal unless the disk is READY. */
    public static VolumeCondition condition(Disk disk) {
        if (disk.ready()) {
            return VolumeCondition.newBuilder()
                    .setAbnormal(false)
                    .setMessage("disk is READY")
                    .build();
        }
        return VolumeCondition.newBuilder()
                .setAbnormal(true)
                .setMessage("disk " + disk.ref() + " is " + disk.status() + ", not READY")
                .build();
    }
}
