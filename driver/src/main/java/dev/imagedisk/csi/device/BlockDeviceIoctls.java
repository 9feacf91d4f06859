package dev.imagedisk.csi.device;

import java.nio.file.Path;

/**
 * The kernel's view of a block device and its partitions, changed in place (ioctl BLKGETSIZE64 and BLKPG):
 * no partition table is written, only what the kernel shows as {@code /dev/sdX1} etc. Failures are
 * {@link dev.imagedisk.csi.sys.SyscallException}s naming the call, device, partition and errno; their
 * {@code reason()} tells BUSY (partition in use), EXISTS (number taken or overlap), NOT_FOUND, PERMISSION
 * (not root / no CAP_SYS_ADMIN), INVALID (not a block device, bad range) apart. Sizes and offsets are in
 * bytes and should be multiples of 512.
 */
public interface BlockDeviceIoctls {
    /** Size of the device in bytes. */
    long sizeBytes(Path device);

    /** Adds partition {@code number} (1-based) spanning {@code [startBytes, startBytes + lengthBytes)}. */
    void addPartition(Path device, int number, long startBytes, long lengthBytes);

    /** Changes partition {@code number}'s length; {@code startBytes} must be its current start. */
    void resizePartition(Path device, int number, long startBytes, long lengthBytes);

    /** Removes partition {@code number} from the kernel's view (refused while it is mounted or open). */
    void deletePartition(Path device, int number);

    /**
     * The ioctls through libc ({@link dev.imagedisk.csi.sys.LinuxSystem}); null where libc cannot be bound
     * here (callers then use util-linux {@code partx}/{@code blockdev}).
     */
    static BlockDeviceIoctls linux() {
        dev.imagedisk.csi.sys.LinuxSystem s = dev.imagedisk.csi.sys.LinuxSystem.get();
        if (s == null) {
            return null;
        }
        return new BlockDeviceIoctls() {
            @Override
            public long sizeBytes(Path device) {
                return s.blockDeviceSize(device);
            }

            @Override
            public void addPartition(Path device, int number, long startBytes, long lengthBytes) {
                s.addPartition(device, number, startBytes, lengthBytes);
            }

            @Override
            public void resizePartition(Path device, int number, long startBytes, long lengthBytes) {
                s.resizePartition(device, number, startBytes, lengthBytes);
            }

            @Override
            public void deletePartition(Path device, int number) {
                s.deletePartition(device, number);
            }
        };
    }
}
