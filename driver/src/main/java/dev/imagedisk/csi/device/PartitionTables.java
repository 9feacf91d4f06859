package dev.imagedisk.csi.device;

import java.util.Map;
import java.util.Optional;

/**
 * Reads and changes partition tables, and tells the kernel about them. Holds no CSI logic and decides nothing:
 * the caller says what to change, from the table it read; never changes any partition but the one it is asked to.
 */
public interface PartitionTables {
    /** The table on {@code disk}, or empty when it carries none. Throws when the disk cannot be read. */
    Optional<PartitionTable> read(BlockDevice disk);

    /**
     * Moves the backup header (and entries) of {@code table}, a GPT read from {@code disk}, to the disk's end.
     * Returns the table as it is afterwards ({@link PartitionTable#withBackupHeaderAtEnd()}), without reading it.
     */
    PartitionTable relocateBackupHeader(BlockDevice disk, PartitionTable table);

    /**
     * Makes partition {@code number} of {@code table} (read from {@code disk}) {@code sectors} long, keeping its
     * start; does not tell the kernel ({@link #syncKernel} does). Returns the table as it is afterwards
     * ({@link PartitionTable#withSectors}), without reading it.
     */
    PartitionTable resize(BlockDevice disk, PartitionTable table, int number, long sectors);

    /**
     * Makes the kernel's partitions of {@code disk} match {@code table} (BLKPG, also for a disk in use): adds the
     * ones it lacks, updates the size of those it has at another size. Returns the partition devices by number.
     */
    Map<Integer, BlockDevice> syncKernel(BlockDevice disk, PartitionTable table);
}
