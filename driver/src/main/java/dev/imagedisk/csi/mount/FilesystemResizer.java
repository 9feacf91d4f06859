package dev.imagedisk.csi.mount;

import java.nio.file.Path;

/** Grows a mounted filesystem to fill its device. */
public interface FilesystemResizer {
    /** Whether this resizer can grow {@code fsType}, and its tool is installed. */
    boolean supports(String fsType);

    /** Grows the {@code fsType} filesystem on {@code device}, mounted at {@code mountPoint}, to the device's size. */
    void grow(String fsType, Path device, Path mountPoint);
}
