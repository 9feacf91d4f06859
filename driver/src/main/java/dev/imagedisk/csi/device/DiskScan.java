package dev.imagedisk.csi.device;

import java.util.List;

/** The whole disks a node could find an attached disk among, when its link is missing. */
@FunctionalInterface
public interface DiskScan {
    List<BlockDevice> disks();

    DiskScan NONE = List::of;
}
