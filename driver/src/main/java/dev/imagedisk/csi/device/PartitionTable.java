package dev.imagedisk.csi.device;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A disk's partition table as written on the disk (not as the kernel knows it).
 *
 * @param label {@code gpt} or {@code dos}
 * @param sectorSize bytes per sector
 * @param diskSectors the disk's size in sectors
 * @param lastUsableSector the last sector a partition may use as the table stands: for GPT its last usable LBA
 *     (which stays where the image put it until the backup header is moved), for MBR the disk's last sector
 * @param partitions the partitions, by number
 */
public record PartitionTable(
        String label, int sectorSize, long diskSectors, long lastUsableSector, List<Partition> partitions) {
    /** MBR entries hold 32-bit sector numbers: no partition ends past 2^32 sectors. */
    public static final long MBR_LIMIT_SECTORS = 1L << 32;
    /** The sectors GPT keeps at the end of a disk for the backup header and entries. */
    public static final long GPT_BACKUP_SECTORS = 33;

    public PartitionTable {
        partitions = partitions.stream()
                .sorted(Comparator.comparingInt(Partition::number))
                .toList();
    }

    /** One partition entry: number, first sector, length in sectors, type (GUID or MBR id) and GPT name. */
    public record Partition(int number, long start, long sectors, String type, String name) {
        public long end() {
            return start + sectors - 1;
        }
    }

    public boolean gpt() {
        return label.equals("gpt");
    }

    public Optional<Partition> partition(int number) {
        return partitions.stream().filter(p -> p.number() == number).findFirst();
    }

    /** The partition that ends last on the disk. */
    public Optional<Partition> last() {
        return partitions.stream().max(Comparator.comparingLong(Partition::end));
    }

    /** The last sector a partition may end at once the table spans the whole disk (GPT) or its limit (MBR). */
    public long lastSectorAtFullSize() {
        if (gpt()) {
            return diskSectors - GPT_BACKUP_SECTORS - 1;
        }
        return Math.min(diskSectors, MBR_LIMIT_SECTORS) - 1;
    }

    /** This table once a GPT's backup header is at the disk's end: partitions may then use the whole disk. */
    public PartitionTable withBackupHeaderAtEnd() {
        return new PartitionTable(label, sectorSize, diskSectors, lastSectorAtFullSize(), partitions);
    }

    /** This table with partition {@code number} {@code sectors} long, from the same start; the others as they are. */
    public PartitionTable withSectors(int number, long sectors) {
        Partition p = partition(number).orElseThrow(() -> new IllegalArgumentException("no partition " + number));
        List<Partition> changed = partitions.stream()
                .map(q -> q == p ? new Partition(p.number(), p.start(), sectors, p.type(), p.name()) : q)
                .toList();
        return new PartitionTable(label, sectorSize, diskSectors, lastUsableSector, changed);
    }

    public long bytes(long sectors) {
        return sectors * sectorSize;
    }

    /** A one-line description for logs and messages. */
    public String describe() {
        StringBuilder b = new StringBuilder(label)
                .append(" table on ")
                .append(bytes(diskSectors))
                .append(" bytes:");
        for (Partition p : partitions) {
            b.append(" #")
                    .append(p.number())
                    .append(" [sectors ")
                    .append(p.start())
                    .append('-')
                    .append(p.end())
                    .append(", ")
                    .append(bytes(p.sectors()))
                    .append(" bytes, type ")
                    .append(p.type());
            if (!p.name().isEmpty()) {
                b.append(", \"").append(p.name()).append('"');
            }
            b.append(']');
        }
        if (partitions.isEmpty()) {
            b.append(" no partitions");
        }
        return b.toString();
    }
}
