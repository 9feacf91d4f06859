package dev.imagedisk.csi.device;

import java.util.List;
import java.util.Optional;

/** The kernel's view of block devices: partitions, sizes, presence. */
public interface BlockDevices {
    /** The device node of device {@code major:minor}, or empty when the kernel no longer has it. */
    Optional<BlockDevice> byNumber(int major, int minor);

    /** The partitions the kernel knows on {@code disk}, in partition-number order. */
    List<BlockDevice> partitions(BlockDevice disk);

    /** The disk {@code device} is a partition of, and its number; empty for a whole disk. */
    Optional<PartitionOf> partitionOf(BlockDevice device);

    /** The device's size in bytes as the kernel reports it now. */
    long sizeBytes(BlockDevice device);

    /** The size of device {@code major:minor} in bytes, or -1 when it is gone. */
    long sizeBytes(int major, int minor);

    /** Asks the kernel to re-read the device's capacity where the device supports it (SCSI rescan). */
    void refreshSize(BlockDevice device);

    /**
     * Why device {@code major:minor} is unusable (gone, or a loop device detached from its backing file),
     * or null when it is present.
     */
    String absenceReason(int major, int minor);
}
