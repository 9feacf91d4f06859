package dev.imagedisk.csi.node;

import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.BlockDevices;
import dev.imagedisk.csi.device.DeviceNodes;
import dev.imagedisk.csi.device.PartitionOf;
import dev.imagedisk.csi.mount.FilesystemStats;
import dev.imagedisk.csi.mount.FilesystemUsage;
import dev.imagedisk.csi.mount.MountInfo;
import dev.imagedisk.csi.mount.Mounter;
import dev.imagedisk.csi.server.CsiErrors;
import java.nio.file.Path;
import java.util.Optional;

/**
 * NodeGetVolumeStats: bytes and inodes of a mounted volume (statvfs), the size of a block volume, and
 * the volume's condition: abnormal when the path is not mounted or its device is gone.
 */
public final class VolumeStatsReader {
    /** Usage (null when it could not be read) and condition. */
    public record Stats(FilesystemUsage usage, long blockBytes, boolean block, VolumeHealth health) {}

    private final Mounter mounter;
    private final FilesystemStats filesystemStats;
    private final BlockDevices devices;
    private final Directories directories;
    private final VolumeAtPath volumeAtPath;

    public VolumeStatsReader(
            Mounter mounter,
            FilesystemStats filesystemStats,
            BlockDevices devices,
            Directories directories,
            VolumeAtPath volumeAtPath) {
        this.volumeAtPath = volumeAtPath;
        this.mounter = mounter;
        this.filesystemStats = filesystemStats;
        this.devices = devices;
        this.directories = directories;
    }

    public Stats read(String volumeId, Path volumePath) {
        if (!directories.exists(volumePath)) {
            throw CsiErrors.notFound("volume %s: volume_path %s does not exist", volumeId, volumePath);
        }
        Optional<MountInfo> mount = Failures.call("reading the mount table", () -> mounter.mountAt(volumePath));
        if (mount.isEmpty()) {
            return new Stats(null, -1, false, VolumeHealth.abnormal("volume_path " + volumePath + " is not mounted"));
        }
        Optional<BlockDevice> bound = DeviceNodes.blockDevice(volumePath);
        if (bound.isPresent()) {
            BlockDevice device = bound.get();
            volumeAtPath.require(volumeId, device.major(), device.minor(), volumePath);
            long size = devices.sizeBytes(device.major(), device.minor());
            return new Stats(null, size, true, health(device.major(), device.minor(), volumePath));
        }
        MountInfo m = mount.get();
        volumeAtPath.require(volumeId, m.major(), m.minor(), volumePath);
        VolumeHealth health = health(m.major(), m.minor(), volumePath);
        try {
            FilesystemUsage usage =
                    Failures.call("reading filesystem usage of " + volumePath, () -> filesystemStats.usage(volumePath));
            return new Stats(usage, -1, false, health);
        } catch (RuntimeException e) {
            String why = e.getMessage();
            return new Stats(
                    null,
                    -1,
                    false,
                    VolumeHealth.abnormal(
                            health.abnormal()
                                    ? health.message()
                                    : "filesystem at " + volumePath + " cannot be read: " + why));
        }
    }

    private VolumeHealth health(int major, int minor, Path path) {
        String absent = devices.absenceReason(major, minor);
        if (absent != null) {
            return VolumeHealth.abnormal("the device under " + path + " is unusable: " + absent);
        }
        String note = notLastPartition(major, minor);
        return note == null
                ? VolumeHealth.normal()
                : new VolumeHealth(false, VolumeHealth.normal().message() + "; " + note);
    }

    /**
     * For a partition that another partition of its disk follows: says it is mounted at its own size (it is never
     * grown), from the kernel's view of the disk. Null otherwise.
     */
    private String notLastPartition(int major, int minor) {
        try {
            Optional<BlockDevice> device = devices.byNumber(major, minor);
            Optional<PartitionOf> of = device.flatMap(devices::partitionOf);
            if (of.isEmpty()) {
                return null;
            }
            long start = of.get().start512();
            for (BlockDevice other : devices.partitions(of.get().disk())) {
                Optional<PartitionOf> o = devices.partitionOf(other);
                if (o.isPresent() && o.get().start512() > start) {
                    return "partition " + of.get().number() + " of "
                            + of.get().disk().path() + " is not the last on "
                            + "the disk, so it keeps its own size (" + devices.sizeBytes(device.get()) + " of "
                            + devices.sizeBytes(of.get().disk()) + " bytes) and is never grown";
                }
            }
            return null;
        } catch (RuntimeException e) {
            return null; // the condition says what it can; a partition note is no reason to fail the call
        }
    }
}
