package dev.imagedisk.csi.mount;

/** statvfs(3) of a mounted filesystem, in bytes and inodes. */
public record FilesystemUsage(long totalBytes, long freeBytes, long availableBytes, long totalInodes, long freeInodes) {
    public long usedBytes() {
        return Math.max(0, totalBytes - freeBytes);
    }

    public long usedInodes() {
        return Math.max(0, totalInodes - freeInodes);
    }
}
