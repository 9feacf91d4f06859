package dev.imagedisk.csi.mount;

import dev.imagedisk.csi.exec.CommandResult;
import dev.imagedisk.csi.exec.CommandRunner;
import dev.imagedisk.csi.exec.Executables;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code resize2fs DEVICE} for ext2/3/4 (offline before mounting, or online) with the superblock (read
 * directly, {@code dumpe2fs -h} when it cannot be) for the current size, and {@code xfs_growfs -d MOUNTPOINT} for xfs.
 */
public final class ToolFilesystemResizer implements FilesystemResizer {
    private static final Pattern BLOCK_COUNT = Pattern.compile("(?m)^Block count:\\s+(\\d+)\\s*$");
    private static final Pattern BLOCK_SIZE = Pattern.compile("(?m)^Block size:\\s+(\\d+)\\s*$");

    private final CommandRunner runner;
    private final Executables executables;

    public ToolFilesystemResizer(CommandRunner runner, Executables executables) {
        this.runner = runner;
        this.executables = executables;
    }

    private static boolean ext(String fsType) {
        return fsType.equals("ext2") || fsType.equals("ext3") || fsType.equals("ext4");
    }

    @Override
    public boolean supports(String fsType) {
        if (ext(fsType)) {
            return executables.has("resize2fs");
        }
        return fsType.equals("xfs") && executables.has("xfs_growfs");
    }

    @Override
    public boolean growsOffline(String fsType) {
        return ext(fsType);
    }

    @Override
    public long filesystemBytes(String fsType, Path device) {
        if (!ext(fsType)) {
            throw new IllegalArgumentException("no offline size for a " + fsType + " filesystem");
        }
        long fromSuperblock = ExtSuperblock.sizeBytes(device);
        if (fromSuperblock > 0) {
            return fromSuperblock;
        }
        CommandResult r = runner.run("dumpe2fs", "-h", device.toString());
        Matcher count = BLOCK_COUNT.matcher(r.stdout());
        Matcher size = BLOCK_SIZE.matcher(r.stdout());
        if (!r.ok() || !count.find() || !size.find()) {
            throw new IllegalStateException(
                    "reading the size of the " + fsType + " filesystem on " + device + " failed: " + r.describe());
        }
        return Long.parseLong(count.group(1)) * Long.parseLong(size.group(1));
    }

    @Override
    public void growOffline(String fsType, Path device) {
        if (!ext(fsType)) {
            throw new IllegalArgumentException("cannot grow an unmounted " + fsType + " filesystem");
        }
        check(fsType, device, runner.run("resize2fs", device.toString()));
    }

    @Override
    public void grow(String fsType, Path device, Path mountPoint) {
        CommandResult r;
        if (ext(fsType)) {
            r = runner.run("resize2fs", device.toString());
        } else if (fsType.equals("xfs")) {
            r = runner.run("xfs_growfs", "-d", mountPoint.toString());
        } else {
            throw new IllegalArgumentException("cannot grow a " + fsType + " filesystem");
        }
        check(fsType, device, r);
    }

    private static void check(String fsType, Path device, CommandResult r) {
        if (!r.ok()) {
            String hint = r.stderr().contains("Permission denied to resize")
                    ? " (growing a mounted ext filesystem needs CAP_SYS_RESOURCE)"
                    : "";
            throw new IllegalStateException(
                    "growing the " + fsType + " filesystem on " + device + " failed: " + r.describe() + hint);
        }
    }
}
