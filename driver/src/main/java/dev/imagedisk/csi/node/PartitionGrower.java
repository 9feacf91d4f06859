package dev.imagedisk.csi.node;

import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.PartitionTable;
import dev.imagedisk.csi.device.PartitionTables;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that decides whether a filesystem's partition grows, for NodeStageVolume and NodeExpandVolume
 * alike, working from the table already read: a partition that ends last on the disk grows to the disk's end
 * (a GPT's backup header moved there first); one that is not last keeps its size; one within
 * {@link #SLACK_BYTES} of the end is left as it is. The kernel is then told the table (it may still hold the
 * old sizes after a crash between the two steps).
 */
public final class PartitionGrower {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionGrower.class);
    /** A partition ending within this many bytes of where it could end is not grown (alignment slack). */
    static final long SLACK_BYTES = 1L << 20;

    private final PartitionTables partitions;

    public PartitionGrower(PartitionTables partitions) {
        this.partitions = partitions;
    }

    /**
     * What became of the partition: its device as the kernel now knows it, and whether it is the disk's last
     * (only a last partition follows the disk's size; another keeps its own).
     */
    public record Grown(BlockDevice device, boolean last) {}

    /**
     * Grows partition {@code placement.number()} when it is the last; {@code device} is its device as the kernel
     * knew it when {@code placement.table()} was read.
     */
    public Grown grow(String volumeId, FilesystemPlanner.Placement placement, BlockDevice device) {
        PartitionTable table = placement.table();
        PartitionTable.Partition p = placement.partition();
        BlockDevice disk = placement.disk();
        if (!placement.last()) {
            LOG.info(
                    "volume {}: partition {} of {} is not the last one on the disk, so it keeps its own size "
                            + "({} of {} bytes); the disk's other space is left as it is",
                    volumeId,
                    p.number(),
                    disk,
                    table.bytes(p.sectors()),
                    table.bytes(table.diskSectors()));
            return new Grown(device, false);
        }
        PartitionTable grown = table;
        if (table.gpt() && table.lastUsableSector() < table.lastSectorAtFullSize()) {
            // the backup header of an image sits where the image ended: move it to the disk's end first
            grown = Failures.call(
                    "moving the GPT backup header of " + disk + " to the disk's end",
                    () -> partitions.relocateBackupHeader(disk, table));
        }
        long end = Math.min(grown.lastUsableSector(), grown.lastSectorAtFullSize());
        if (table.bytes(end - p.end()) > SLACK_BYTES) {
            PartitionTable relocated = grown;
            long sectors = end - p.start() + 1;
            grown = Failures.call(
                    "growing partition " + p.number() + " of " + disk + " to the disk's end",
                    () -> partitions.resize(disk, relocated, p.number(), sectors));
            LOG.info(
                    "volume {}: grew partition {} of {} from {} to {} bytes ({} table{})",
                    volumeId,
                    p.number(),
                    disk,
                    table.bytes(p.sectors()),
                    grown.bytes(sectors),
                    table.label(),
                    table.gpt() ? ", backup header at the disk's end" : "");
        }
        PartitionTable now = grown;
        Map<Integer, BlockDevice> kernel = Failures.call(
                "telling the kernel the size of partition " + p.number() + " of " + disk,
                () -> partitions.syncKernel(disk, now));
        return new Grown(kernel.getOrDefault(p.number(), device), true);
    }
}
