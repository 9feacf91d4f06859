package dev.imagedisk.csi.mount;

import dev.imagedisk.csi.exec.CommandResult;
import dev.imagedisk.csi.exec.CommandRunner;
import dev.imagedisk.csi.exec.Executables;
import java.nio.file.Path;

/** Online growth with {@code resize2fs DEVICE} (ext2/3/4) and {@code xfs_growfs MOUNTPOINT} (xfs). */
public final class ToolFilesystemResizer implements FilesystemResizer {
    private final CommandRunner runner;
    private final Executables executables;

    public ToolFilesystemResizer(CommandRunner runner, Executables executables) {
        this.runner = runner;
        this.executables = executables;
    }

    @Override
    public boolean supports(String fsType) {
        return switch (fsType) {
            case "ext2", "ext3", "ext4" -> executables.has("resize2fs");
            case "xfs" -> executables.has("xfs_growfs");
            default -> false;
        };
    }

    @Override
    public void grow(String fsType, Path device, Path mountPoint) {
        CommandResult r = switch (fsType) {
            case "ext2", "ext3", "ext4" -> runner.run("resize2fs", device.toString());
            case "xfs" -> runner.run("xfs_growfs", "-d", mountPoint.toString());
            default -> throw new IllegalArgumentException("cannot grow a " + fsType + " filesystem");
        };
        if (!r.ok()) {
            throw new IllegalStateException("growing the " + fsType + " filesystem on " + device + " failed: "
                    + r.describe());
        }
    }
}
