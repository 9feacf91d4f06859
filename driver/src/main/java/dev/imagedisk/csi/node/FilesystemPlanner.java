package dev.imagedisk.csi.node;

import dev.imagedisk.csi.common.CsiErrors;
import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.BlockDeviceInspector;
import dev.imagedisk.csi.device.BlockDevices;
import dev.imagedisk.csi.device.DeviceContent;
import dev.imagedisk.csi.device.Formatter;
import dev.imagedisk.csi.common.CsiFailure;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides, from what a disk holds, which device to mount with which filesystem, and whether it must be
 * formatted first. Only a disk with no signature at all is ever formatted; a disk whose content cannot be
 * read is refused.
 */
public final class FilesystemPlanner {
    /** The device to mount, its filesystem type, and whether it is blank and must be formatted first. */
    public record Plan(BlockDevice device, String fsType, boolean format) {}

    private final BlockDeviceInspector inspector;
    private final BlockDevices devices;
    private final Formatter formatter;
    private final String defaultFsType;

    public FilesystemPlanner(BlockDeviceInspector inspector, BlockDevices devices, Formatter formatter,
            String defaultFsType) {
        this.inspector = inspector;
        this.devices = devices;
        this.formatter = formatter;
        this.defaultFsType = defaultFsType;
    }

    public Plan plan(String volumeId, BlockDevice disk, VolumeSpec spec) {
        DeviceContent content = inspect(disk);
        String requested = spec.fsType();
        if (content instanceof DeviceContent.Blank) {
            String fsType = requested.isEmpty() ? defaultFsType : requested;
            if (spec.readOnly()) {
                throw CsiErrors.failedPrecondition("volume %s: device %s is blank, and a read-only volume cannot be "
                        + "formatted", volumeId, disk);
            }
            if (!formatter.supports(fsType)) {
                throw CsiErrors.failedPrecondition("volume %s: device %s is blank and must be formatted as %s, but "
                        + "this node cannot make %s filesystems (is %s installed?)", volumeId, disk, fsType, fsType,
                        formatter.tool(fsType));
            }
            return new Plan(disk, fsType, true);
        }
        if (content instanceof DeviceContent.Filesystem fs) {
            return existing(volumeId, disk, fs.type(), requested, "device");
        }
        if (content instanceof DeviceContent.PartitionTable table) {
            return partition(volumeId, disk, table.type(), requested);
        }
        DeviceContent.Other other = (DeviceContent.Other) content;
        throw CsiErrors.failedPrecondition("volume %s: device %s holds %s, neither a filesystem nor a partition "
                + "table; refusing to mount or format it", volumeId, disk, other.description());
    }

    private Plan partition(String volumeId, BlockDevice disk, String tableType, String requested) {
        List<BlockDevice> parts = Failures.call("listing the partitions of " + disk, () -> devices.partitions(disk));
        List<BlockDevice> withFs = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (BlockDevice part : parts) {
            DeviceContent c = inspect(part);
            if (c instanceof DeviceContent.Filesystem fs) {
                withFs.add(part);
                types.add(fs.type());
            }
        }
        if (withFs.size() != 1) {
            throw CsiErrors.failedPrecondition("volume %s: device %s has a %s partition table with %d partition(s) "
                    + "known to the kernel, %d of them with a filesystem; only a disk with exactly one filesystem "
                    + "partition can be staged", volumeId, disk, tableType, parts.size(), withFs.size());
        }
        return existing(volumeId, withFs.get(0), types.get(0), requested, "partition");
    }

    private static Plan existing(String volumeId, BlockDevice device, String onDevice, String requested,
            String what) {
        if (!requested.isEmpty() && !requested.equals(onDevice)) {
            throw CsiErrors.failedPrecondition("volume %s: fs_type %s was requested but %s %s holds a %s filesystem",
                    volumeId, requested, what, device, onDevice);
        }
        return new Plan(device, onDevice, false);
    }

    private DeviceContent inspect(BlockDevice device) {
        try {
            return Failures.call("probing " + device, () -> inspector.inspect(device));
        } catch (CsiFailure e) {
            if (e.code() == CsiFailure.Code.DEADLINE_EXCEEDED) {
                throw e;
            }
            throw CsiErrors.failedPrecondition("could not tell what device %s holds, so it is left untouched: %s",
                    device, e.getMessage());
        }
    }
}
