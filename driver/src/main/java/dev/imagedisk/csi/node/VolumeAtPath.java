package dev.imagedisk.csi.node;

import dev.imagedisk.csi.contract.VolumeId;
import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.BlockDevices;
import dev.imagedisk.csi.device.DeviceFinder;
import dev.imagedisk.csi.server.CsiErrors;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Checks that the volume a request names is the one at the path it gives: when the volume's disk is attached
 * here ({@code google-<disk name>}) and the device under the path is a different one, the volume is not at that
 * path (NOT_FOUND). When the disk is not attached, the caller's condition check reports the device gone.
 */
public final class VolumeAtPath {
    private final DeviceFinder finder;
    private final BlockDevices devices;

    public VolumeAtPath(DeviceFinder finder, BlockDevices devices) {
        this.finder = finder;
        this.devices = devices;
    }

    /** Throws NOT_FOUND when {@code volumeId}'s disk is attached and is not device {@code major:minor}. */
    void require(String volumeId, int major, int minor, Path path) {
        Optional<VolumeId> id = VolumeId.parse(volumeId);
        if (id.isEmpty()) {
            return; // not a volume id this driver made: nothing to compare against
        }
        Optional<BlockDevice> disk = Failures.call(
                "looking up the device of " + volumeId,
                () -> finder.find(id.get().name()));
        if (disk.isEmpty() || disk.get().sameDevice(major, minor)) {
            return;
        }
        for (BlockDevice partition :
                Failures.call("reading the partitions of " + disk.get(), () -> devices.partitions(disk.get()))) {
            if (partition.sameDevice(major, minor)) {
                return;
            }
        }
        throw CsiErrors.notFound(
                "volume %s is not at %s: its disk is %s, but %s holds device %d:%d",
                volumeId, path, disk.get(), path, major, minor);
    }
}
