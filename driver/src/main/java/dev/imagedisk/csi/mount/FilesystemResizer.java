package dev.imagedisk.csi.mount;

import java.nio.file.Path;

/**
 * Grows a filesystem to fill its device: ext2/3/4 offline (before it is mounted, the cheap case, and the
 * one that needs no CAP_SYS_RESOURCE) or online; xfs only online, on its mount point.
 */
public interface FilesystemResizer {
    /** Whether this resizer can grow {@code fsType}, and its tool is installed. */
    boolean supports(String fsType);

    /** Whether {@code fsType} is grown while unmounted ({@link #growOffline}) rather than once mounted. */
    boolean growsOffline(String fsType);

    /** The size the unmounted {@code fsType} filesystem on {@code device} spans, in bytes. */
    long filesystemBytes(String fsType, Path device);

    /** Grows the unmounted filesystem on {@code device}; it must have been fully checked first. */
    void growOffline(String fsType, Path device);

    /** Grows the {@code fsType} filesystem on {@code device}, mounted at {@code mountPoint}, to the device's size. */
    void grow(String fsType, Path device, Path mountPoint);
}
