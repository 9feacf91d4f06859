package dev.imagedisk.csi.node;

import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.BlockDevices;
import dev.imagedisk.csi.device.DeviceNodes;
import dev.imagedisk.csi.device.PartitionOf;
import dev.imagedisk.csi.device.PartitionTable;
import dev.imagedisk.csi.device.PartitionTables;
import dev.imagedisk.csi.mount.FilesystemResizer;
import dev.imagedisk.csi.mount.MountInfo;
import dev.imagedisk.csi.mount.Mounter;
import dev.imagedisk.csi.server.CsiErrors;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NodeExpandVolume: picks up the disk's new size and grows the mounted filesystem into it; a filesystem on the
 * disk's last partition is grown with its partition (a partition that is not last keeps its size).
 */
public final class Expander {
    private static final Logger LOG = LoggerFactory.getLogger(Expander.class);

    private final Mounter mounter;
    private final BlockDevices devices;
    private final FilesystemResizer resizer;
    private final Directories directories;
    private final PartitionTables partitions;
    private final PartitionGrower grower;
    private final VolumeAtPath volumeAtPath;

    public Expander(
            Mounter mounter,
            BlockDevices devices,
            PartitionTables partitions,
            FilesystemResizer resizer,
            Directories directories,
            VolumeAtPath volumeAtPath) {
        this.volumeAtPath = volumeAtPath;
        this.partitions = partitions;
        this.grower = new PartitionGrower(partitions);
        this.mounter = mounter;
        this.devices = devices;
        this.resizer = resizer;
        this.directories = directories;
    }

    /** Returns the volume's capacity in bytes after growing; at least {@code requiredBytes} when that is set. */
    public long expand(String volumeId, Path volumePath, long requiredBytes) {
        if (!directories.exists(volumePath)) {
            throw CsiErrors.notFound("volume %s: volume_path %s does not exist", volumeId, volumePath);
        }
        MountInfo m = Failures.call("reading the mount table", () -> mounter.mountAt(volumePath))
                .orElseThrow(() -> CsiErrors.failedPrecondition(
                        "volume %s: nothing is mounted at volume_path %s", volumeId, volumePath));
        Optional<BlockDevice> bound = DeviceNodes.blockDevice(volumePath);
        if (bound.isPresent()) {
            // A raw block volume: the consumer sees the new size once the kernel has it.
            BlockDevice device = bound.get();
            volumeAtPath.require(volumeId, device.major(), device.minor(), volumePath);
            Failures.run("re-reading the size of " + device, () -> devices.refreshSize(device));
            return atLeast(
                    volumeId,
                    device,
                    Failures.call("reading the size of " + device, () -> devices.sizeBytes(device)),
                    requiredBytes);
        }
        volumeAtPath.require(volumeId, m.major(), m.minor(), volumePath);
        BlockDevice device = devices.byNumber(m.major(), m.minor())
                .orElseThrow(() -> CsiErrors.failedPrecondition(
                        "volume %s: the device %s under %s is gone", volumeId, m.device(), volumePath));
        Optional<PartitionOf> partition =
                Failures.call("finding the disk of " + device, () -> devices.partitionOf(device));
        BlockDevice disk = partition.map(PartitionOf::disk).orElse(device);
        Failures.run("re-reading the size of " + disk, () -> devices.refreshSize(disk));
        long diskSize = atLeast(
                volumeId,
                disk,
                Failures.call("reading the size of " + disk, () -> devices.sizeBytes(disk)),
                requiredBytes);
        if (m.readOnly()) {
            throw CsiErrors.failedPrecondition(
                    "volume %s: %s is mounted read-only at %s; a read-only filesystem " + "cannot be grown",
                    volumeId, device, volumePath);
        }
        long size = diskSize;
        if (partition.isPresent()) {
            PartitionGrower.Grown grown =
                    growPartition(volumeId, disk, partition.get().number(), device);
            size = Failures.call("reading the size of " + device, () -> devices.sizeBytes(grown.device()));
            if (!grown.last()) {
                return size;
            }
        }
        long grownSize = size;
        if (!resizer.supports(m.fsType())) {
            throw CsiErrors.failedPrecondition(
                    "volume %s: cannot grow the %s filesystem on %s (unsupported type, or "
                            + "its tool is not installed)",
                    volumeId, m.fsType(), device);
        }
        Failures.run(
                "growing the " + m.fsType() + " filesystem on " + device + " to " + grownSize + " bytes",
                () -> resizer.grow(m.fsType(), device.path(), volumePath));
        LOG.info("volume {}: grew the {} filesystem on {} to {} bytes", volumeId, m.fsType(), device, size);
        return size;
    }

    /** The partition, grown by {@link PartitionGrower} from the table on the disk now. */
    private PartitionGrower.Grown growPartition(String volumeId, BlockDevice disk, int number, BlockDevice device) {
        PartitionTable table = Failures.call("reading the partition table of " + disk, () -> partitions.read(disk))
                .orElseThrow(() -> CsiErrors.failedPrecondition(
                        "volume %s: %s no longer carries a partition table", volumeId, disk));
        if (table.partition(number).isEmpty()) {
            throw CsiErrors.failedPrecondition(
                    "volume %s: the partition table of %s no longer has partition %d: %s",
                    volumeId, disk, number, table.describe());
        }
        return grower.grow(volumeId, new FilesystemPlanner.Placement(disk, table, number), device);
    }

    private static long atLeast(String volumeId, BlockDevice device, long size, long requiredBytes) {
        if (requiredBytes > 0 && size < requiredBytes) {
            throw CsiErrors.failedPrecondition(
                    "volume %s: device %s is %d bytes, less than the required %d; the " + "disk has not grown (yet)",
                    volumeId, device, size, requiredBytes);
        }
        return size;
    }
}
