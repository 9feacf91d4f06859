package dev.imagedisk.csi.device;

import java.util.Map;
import java.util.Optional;

/**
 * Reads and grows partition tables, and tells the kernel about them. Holds no CSI logic; never changes any
 * partition but the one it is asked to grow.
 */
public interface PartitionTables {
    /** The table on {@code disk}, or empty when it carries none. Throws when the disk cannot be read. */
    Optional<PartitionTable> read(BlockDevice disk);

    /**
     * Grows partition {@code number} of {@code disk} to {@link PartitionTable#lastSectorAtFullSize()}, first
     * moving a GPT backup header to the disk's end. The caller checks that the partition is the last one. Does
     * not tell the kernel ({@link #syncKernel} does). Returns the table as it is afterwards.
     */
    PartitionTable growToEnd(BlockDevice disk, int number);

    /**
     * Makes the kernel's partitions of {@code disk} match {@code table} (BLKPG, also for a disk in use): adds the
     * ones it lacks, updates the size of those it has at another size. Returns the partition devices by number.
     */
    Map<Integer, BlockDevice> syncKernel(BlockDevice disk, PartitionTable table);
}
