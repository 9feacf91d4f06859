package dev.imagedisk.csi.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Reads a path's stat(2) mode and device number, to tell block devices apart and compare them. */
public final class DeviceNodes {
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    private DeviceNodes() {}

    /** The block device at {@code path} (links followed), or empty when it is missing or no block device. */
    public static Optional<BlockDevice> blockDevice(Path path) {
        try {
            Path real = path.toRealPath();
            Map<String, Object> attrs = Files.readAttributes(real, "unix:mode,rdev");
            int mode = (Integer) attrs.get("mode");
            if ((mode & S_IFMT) != S_IFBLK) {
                return Optional.empty();
            }
            long rdev = (Long) attrs.get("rdev");
            return Optional.of(new BlockDevice(real, real.getFileName().toString(), major(rdev), minor(rdev)));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /** True when {@code path} itself (not following links) is a block device node. */
    public static boolean isBlockDevice(Path path) {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & S_IFMT) == S_IFBLK;
        } catch (IOException e) {
            return false;
        }
    }

    /** glibc's gnu_dev_major. */
    static int major(long dev) {
        return (int) (((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL));
    }

    /** glibc's gnu_dev_minor. */
    static int minor(long dev) {
        return (int) ((dev & 0xff) | ((dev >>> 12) & ~0xffL));
    }
}
