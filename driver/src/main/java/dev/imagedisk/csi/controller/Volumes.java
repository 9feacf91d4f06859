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

    /** A reader set: its multi-zone id, every zone it serves, its first disk's size, image and type. */
    public static Volume volume(ReaderSets.View set) {
        Disk t = set.template();
        Volume.Builder v =
                Volume.newBuilder().setVolumeId(set.id().path()).setCapacityBytes(t.sizeGb() * VolumeSize.GIB);
        for (String zone : set.layout().zones()) {
            v.addAccessibleTopology(Topology.newBuilder().putSegments(Keys.TOPOLOGY_ZONE, zone));
        }
        if (t.sourceImage() != null) {
            v.putVolumeContext(Keys.CONTEXT_IMAGE, t.sourceImage());
        }
        v.putVolumeContext(Keys.CONTEXT_TYPE, t.type());
        return v.build();
    }

    /** Every node any disk of the set is attached to. */
    public static List<String> publishedNodeIds(ReaderSets.View set) {
        List<String> ids = new ArrayList<>();
        for (InstanceRef user : set.readers()) {
            ids.add(user.nodeId().path());
        }
        return ids;
    }

    /** Abnormal unless every disk of the set is READY. */
    public static VolumeCondition condition(ReaderSets.View set) {
        for (Disk d : set.disks()) {
            if (!d.ready() && !d.inProgress()) {
                return condition(d);
            }
        }
        return VolumeCondition.newBuilder()
                .setAbnormal(false)
                .setMessage(set.disks().size() + " disks, " + set.readers().size() + " readers")
                .build();
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
