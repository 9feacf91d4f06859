package dev.imagedisk.csi.sys;

/**
 * A {@code struct statvfs}: block counts are in units of {@code fragmentSize} ({@code f_frsize}).
 *
 * @param flags {@code f_flag} (ST_RDONLY = 1, ST_NOSUID = 2, ...)
 */
public record StatVfs(
        long blockSize,
        long fragmentSize,
        long blocks,
        long freeBlocks,
        long availableBlocks,
        long files,
        long freeFiles,
        long flags) {
    public long totalBytes() {
        return blocks * fragmentSize;
    }

    public long freeBytes() {
        return freeBlocks * fragmentSize;
    }

    public long availableBytes() {
        return availableBlocks * fragmentSize;
    }
}
