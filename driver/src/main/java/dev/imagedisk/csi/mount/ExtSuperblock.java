package dev.imagedisk.csi.mount;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The size of an ext2/3/4 filesystem, read from its primary superblock (1024 bytes at offset 1024, little
 * endian; e2fsprogs' lib/ext2fs/ext2_fs.h): what {@code dumpe2fs -h} prints as "Block count" × "Block size",
 * without starting a program.
 */
final class ExtSuperblock {
    static final int OFFSET = 1024;
    static final int MAGIC = 0xEF53;
    private static final int INCOMPAT_64BIT = 0x80;

    private ExtSuperblock() {}

    /** Bytes the filesystem on {@code device} spans, or -1 when the superblock cannot be read or is not ext. */
    static long sizeBytes(Path device) {
        try (FileChannel ch = FileChannel.open(device, StandardOpenOption.READ)) {
            ByteBuffer sb = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
            while (sb.hasRemaining()) {
                if (ch.read(sb, OFFSET + sb.position()) <= 0) {
                    return -1;
                }
            }
            return sizeBytes(sb);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** From a superblock's 1024 bytes; -1 when it is not an ext superblock. */
    static long sizeBytes(ByteBuffer sb) {
        sb.order(ByteOrder.LITTLE_ENDIAN);
        if ((sb.getShort(0x38) & 0xFFFF) != MAGIC) {
            return -1;
        }
        int logBlockSize = sb.getInt(0x18);
        if (logBlockSize < 0 || logBlockSize > 6) {
            return -1; // 1 KiB to 64 KiB blocks
        }
        long blockSize = 1024L << logBlockSize;
        long blocks = Integer.toUnsignedLong(sb.getInt(0x04));
        if ((sb.getInt(0x60) & INCOMPAT_64BIT) != 0) {
            blocks |= Integer.toUnsignedLong(sb.getInt(0x150)) << 32;
        }
        return blocks * blockSize;
    }
}
