package dev.imagedisk.csi.device;

/** Tells what a block device holds. Must never call a device blank that it could not read. */
public interface BlockDeviceInspector {
    /** Throws when the device could not be probed; an unreadable device is never blank. */
    DeviceContent inspect(BlockDevice device);
}
