package dev.imagedisk.csi.mount;

import dev.imagedisk.csi.sys.LinuxSystem;
import dev.imagedisk.csi.sys.StatVfs;
import dev.imagedisk.csi.sys.SyscallException;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * statvfs(2) of the filesystem holding a path, called in-process ({@link LinuxSystem}): no process per
 * NodeGetVolumeStats. Where libc cannot be bound it asks coreutils {@code stat} ({@link StatFilesystemStats}).
 * A failed call is an {@link IllegalStateException} naming the path and the errno.
 */
public final class StatvfsFilesystemStats implements FilesystemStats {
    private final Supplier<LinuxSystem> system;
    private final FilesystemStats fallback;

    public StatvfsFilesystemStats(FilesystemStats fallback) {
        this(LinuxSystem::get, fallback);
    }

    StatvfsFilesystemStats(Supplier<LinuxSystem> system, FilesystemStats fallback) {
        this.system = system;
        this.fallback = fallback;
    }

    @Override
    public FilesystemUsage usage(Path path) {
        LinuxSystem libc = system.get();
        if (libc == null) {
            return fallback.usage(path);
        }
        StatVfs s;
        try {
            s = libc.statvfs(path);
        } catch (SyscallException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        return new FilesystemUsage(s.totalBytes(), s.freeBytes(), s.availableBytes(), s.files(), s.freeFiles());
    }
}
