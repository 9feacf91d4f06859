package dev.imagedisk.csi.mount;

import java.nio.file.Path;

/** Reads how full the filesystem holding a path is. */
public interface FilesystemStats {
    FilesystemUsage usage(Path path);
}
