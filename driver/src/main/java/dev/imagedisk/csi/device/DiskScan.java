package dev.imagedisk.csi.device;

import java.util.List;

/** The whole disks a node could find an attached disk among, when its link is missing. */
@FunctionalInterface
public interface DiskScan {
    List<BlockDevice> disks();

    /**
     * Whether {@code disk} is (still) one of this scan's disks, read afresh: a finder asks again after reading a
     * disk's name, so a loop device released and rebound (to another run's file) between the two reads is not
     * taken for one of ours.
     */
    default boolean stillOneOfUs(BlockDevice disk) {
        return disks().contains(disk);
    }

    DiskScan NONE = List::of;
}
