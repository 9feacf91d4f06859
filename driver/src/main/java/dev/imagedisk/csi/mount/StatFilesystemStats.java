package dev.imagedisk.csi.mount;

import dev.imagedisk.csi.exec.CommandResult;
import dev.imagedisk.csi.exec.CommandRunner;
import java.nio.file.Path;

/**
 * statvfs through coreutils {@code stat --file-system} with a fixed format: fragment size, blocks, free
 * blocks, blocks available to users, inodes, free inodes. (The JDK's FileStore has no inode counts.)
 */
public final class StatFilesystemStats implements FilesystemStats {
    private final CommandRunner runner;

    public StatFilesystemStats(CommandRunner runner) {
        this.runner = runner;
    }

    @Override
    public FilesystemUsage usage(Path path) {
        CommandResult r = runner.run("stat", "--file-system", "--format=%S %b %f %a %c %d", "--", path.toString());
        if (!r.ok()) {
            throw new IllegalStateException("statvfs of " + path + " failed: " + r.describe());
        }
        String[] f = r.stdout().trim().split("\\s+");
        if (f.length != 6) {
            throw new IllegalStateException(
                    "unexpected statvfs output for " + path + ": " + r.stdout().trim());
        }
        long frsize = Long.parseLong(f[0]);
        return new FilesystemUsage(
                Long.parseLong(f[1]) * frsize,
                Long.parseLong(f[2]) * frsize,
                Long.parseLong(f[3]) * frsize,
                Long.parseLong(f[4]),
                Long.parseLong(f[5]));
    }
}
