package dev.imagedisk.csi.node;

import dev.imagedisk.csi.contract.PartitionChoice;
import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.BlockDeviceInspector;
import dev.imagedisk.csi.device.DeviceContent;
import dev.imagedisk.csi.device.Formatter;
import dev.imagedisk.csi.device.PartitionTable;
import dev.imagedisk.csi.device.PartitionTables;
import dev.imagedisk.csi.server.CsiErrors;
import dev.imagedisk.csi.server.CsiFailure;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, from what a disk holds, which device to mount with which filesystem, and whether it must be
 * formatted first. Only a disk with no signature and no partition table at all is ever formatted; a disk whose
 * content cannot be read is refused. On a partitioned disk the partition is the one the volume context names,
 * else ({@code auto}) the one partition holding a filesystem the driver mounts, else the largest of several.
 */
public final class FilesystemPlanner {
    private static final Logger LOG = LoggerFactory.getLogger(FilesystemPlanner.class);
    /** The filesystems the driver mounts from a partition. */
    static final Set<String> MOUNTABLE = Set.copyOf(dev.imagedisk.csi.contract.FsTypes.SUPPORTED);

    /** Where the filesystem sits on a partitioned disk: the table seen, the partition's number, and its disk. */
    public record Placement(BlockDevice disk, PartitionTable table, int number) {
        public PartitionTable.Partition partition() {
            return table.partition(number).orElseThrow();
        }

        /** Whether the partition ends last on the disk (only then can it grow). */
        public boolean last() {
            return table.last().map(p -> p.number() == number).orElse(false);
        }
    }

    /**
     * The device to mount, its filesystem type, whether it is blank and must be formatted first, and its
     * partition (null for a whole disk).
     */
    public record Plan(BlockDevice device, String fsType, boolean format, Placement placement) {}

    private final BlockDeviceInspector inspector;
    private final PartitionTables partitions;
    private final Formatter formatter;
    private final String defaultFsType;

    public FilesystemPlanner(
            BlockDeviceInspector inspector, PartitionTables partitions, Formatter formatter, String defaultFsType) {
        this.inspector = inspector;
        this.partitions = partitions;
        this.formatter = formatter;
        this.defaultFsType = defaultFsType;
    }

    public Plan plan(String volumeId, BlockDevice disk, VolumeSpec spec, PartitionChoice choice) {
        DeviceContent content = inspect(disk);
        String requested = spec.fsType();
        if (!choice.auto() && !(content instanceof DeviceContent.PartitionTable)) {
            throw CsiErrors.failedPrecondition(
                    "volume %s: partition %d was asked for (volume context %s), but "
                            + "device %s holds %s, not a partition table",
                    volumeId, choice.number(), "partition", disk, describe(content));
        }
        if (content instanceof DeviceContent.Blank) {
            String fsType = requested.isEmpty() ? defaultFsType : requested;
            if (spec.readOnly()) {
                throw CsiErrors.failedPrecondition(
                        "volume %s: device %s is blank, and a read-only volume cannot be " + "formatted",
                        volumeId, disk);
            }
            if (!formatter.supports(fsType)) {
                throw CsiErrors.failedPrecondition(
                        "volume %s: device %s is blank and must be formatted as %s, but "
                                + "this node cannot make %s filesystems (is %s installed?)",
                        volumeId, disk, fsType, fsType, formatter.tool(fsType));
            }
            return new Plan(disk, fsType, true, null);
        }
        if (content instanceof DeviceContent.Filesystem fs) {
            LOG.info(
                    "volume {}: device {} holds a {} filesystem on the whole disk; using it",
                    volumeId,
                    disk,
                    fs.type());
            return existing(volumeId, disk, fs.type(), requested, "device", null);
        }
        if (content instanceof DeviceContent.PartitionTable) {
            return partition(volumeId, disk, requested, choice);
        }
        DeviceContent.Other other = (DeviceContent.Other) content;
        throw CsiErrors.failedPrecondition(
                "volume %s: device %s holds %s, neither a filesystem nor a partition "
                        + "table; refusing to mount or format it",
                volumeId, disk, other.description());
    }

    private record Seen(PartitionTable.Partition partition, BlockDevice device, DeviceContent content) {
        String fsType() {
            return content instanceof DeviceContent.Filesystem fs ? fs.type() : null;
        }

        @Override
        public String toString() {
            return "#" + partition.number() + " " + device.name() + " (" + partition.sectors() + " sectors, type "
                    + partition.type() + "): " + describe(content);
        }
    }

    private Plan partition(String volumeId, BlockDevice disk, String requested, PartitionChoice choice) {
        PartitionTable table = Failures.call("reading the partition table of " + disk, () -> partitions.read(disk))
                .orElseThrow(() -> CsiErrors.failedPrecondition(
                        "volume %s: blkid sees a partition table on %s " + "but sfdisk reads none; refusing to use it",
                        volumeId, disk));
        Map<Integer, BlockDevice> kernel =
                Failures.call("telling the kernel the partitions of " + disk, () -> partitions.syncKernel(disk, table));
        List<Seen> seen = new ArrayList<>();
        for (PartitionTable.Partition p : table.partitions()) {
            BlockDevice dev = kernel.get(p.number());
            if (dev == null) {
                throw CsiErrors.internal(
                        "volume %s: the kernel has no device for partition %d of %s after adding it",
                        volumeId, p.number(), disk);
            }
            seen.add(new Seen(p, dev, inspect(dev)));
        }
        String found = table.describe() + "; contents: "
                + (seen.isEmpty()
                        ? "none"
                        : String.join("; ", seen.stream().map(Seen::toString).toList()));
        Seen chosen;
        String why;
        if (!choice.auto()) {
            chosen = seen.stream()
                    .filter(s -> s.partition().number() == choice.number())
                    .findFirst()
                    .orElseThrow(() -> CsiErrors.failedPrecondition(
                            "volume %s: partition %d was asked for, but the " + "disk %s has no partition %d: %s",
                            volumeId, choice.number(), disk, choice.number(), found));
            if (chosen.fsType() == null || !MOUNTABLE.contains(chosen.fsType())) {
                throw CsiErrors.failedPrecondition(
                        "volume %s: partition %d of %s holds %s, not a filesystem this "
                                + "driver mounts (%s); it is never formatted: %s",
                        volumeId,
                        choice.number(),
                        disk,
                        describe(chosen.content()),
                        String.join(", ", MOUNTABLE.stream().sorted().toList()),
                        found);
            }
            why = "named by the volume context";
        } else {
            List<Seen> usable = seen.stream()
                    .filter(s -> s.fsType() != null && MOUNTABLE.contains(s.fsType()))
                    .toList();
            if (usable.isEmpty()) {
                throw CsiErrors.failedPrecondition(
                        "volume %s: device %s has a partition table but no partition with "
                                + "a filesystem this driver mounts (%s); it is never formatted. Found: %s",
                        volumeId,
                        disk,
                        String.join(", ", MOUNTABLE.stream().sorted().toList()),
                        found);
            }
            chosen = usable.stream()
                    .max(Comparator.comparingLong((Seen s) -> s.partition().sectors())
                            .thenComparingInt(s -> -s.partition().number()))
                    .orElseThrow();
            why = usable.size() == 1
                    ? "the only partition with a mountable filesystem"
                    : "the largest of " + usable.size() + " partitions with a mountable filesystem";
        }
        LOG.info(
                "volume {}: chose partition {} ({}, {}) of {}: {}. Seen: {}",
                volumeId,
                chosen.partition().number(),
                chosen.device().name(),
                chosen.fsType(),
                disk,
                why,
                found);
        return existing(
                volumeId,
                chosen.device(),
                chosen.fsType(),
                requested,
                "partition",
                new Placement(disk, table, chosen.partition().number()));
    }

    private static String describe(DeviceContent c) {
        if (c instanceof DeviceContent.Blank) {
            return "nothing (blank)";
        }
        if (c instanceof DeviceContent.Filesystem fs) {
            return "a " + fs.type() + " filesystem";
        }
        if (c instanceof DeviceContent.PartitionTable t) {
            return "a " + t.type() + " partition table";
        }
        return ((DeviceContent.Other) c).description();
    }

    private static Plan existing(
            String volumeId, BlockDevice device, String onDevice, String requested, String what, Placement placement) {
        if (!requested.isEmpty() && !requested.equals(onDevice)) {
            throw CsiErrors.failedPrecondition(
                    "volume %s: fs_type %s was requested but %s %s holds a %s filesystem",
                    volumeId, requested, what, device, onDevice);
        }
        return new Plan(device, onDevice, false, placement);
    }

    private DeviceContent inspect(BlockDevice device) {
        try {
            return Failures.call("probing " + device, () -> inspector.inspect(device));
        } catch (CsiFailure e) {
            if (e.code() == CsiFailure.Code.DEADLINE_EXCEEDED) {
                throw e;
            }
            throw CsiErrors.failedPrecondition(
                    "could not tell what device %s holds, so it is left untouched: %s", device, e.getMessage());
        }
    }
}
