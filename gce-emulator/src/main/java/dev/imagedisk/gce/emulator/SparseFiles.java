package dev.imagedisk.gce.emulator;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Sparse file helpers: copies write only non-zero blocks, so holes stay holes. */
final class SparseFiles {
    static final int BLOCK = 4096;
    private static final int CHUNK = 1 << 20;

    private SparseFiles() {}

    /**
     * Copies {@code src} to a new file {@code dst} writing only its non-zero 4 KiB blocks, then
     * sets {@code dst}'s length to {@code max(length, size of src)}. Returns the bytes written (the
     * data, without holes and zero blocks).
     */
    static long copy(Path src, Path dst, long length) throws IOException {
        long written = 0;
        Files.createDirectories(dst.toAbsolutePath().getParent());
        try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(dst, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long size = in.size();
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
            long pos = 0;
            while (pos < size) {
                buf.clear();
                int n = 0;
                while (buf.hasRemaining()) {
                    int r = in.read(buf, pos + n);
                    if (r < 0) {
                        break;
                    }
                    n += r;
                }
                if (n == 0) {
                    break;
                }
                int runStart = -1;
                for (int off = 0; off < n; off += BLOCK) {
                    int end = Math.min(off + BLOCK, n);
                    boolean zero = isZero(buf, off, end);
                    if (!zero && runStart < 0) {
                        runStart = off;
                    } else if (zero && runStart >= 0) {
                        write(out, buf, runStart, off, pos);
                        written += off - runStart;
                        runStart = -1;
                    }
                }
                if (runStart >= 0) {
                    write(out, buf, runStart, n, pos);
                    written += n - runStart;
                }
                pos += n;
            }
        }
        grow(dst, Math.max(length, Files.size(src)));
        return written;
    }

    /** Creates an empty sparse file of the given length. */
    static void create(Path file, long length) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.createFile(file);
        grow(file, length);
    }

    /** Grows a file to {@code length} (a hole), never shrinking it. */
    static void grow(Path file, long length) throws IOException {
        try (var raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            if (raf.length() < length) {
                raf.setLength(length);
            }
        }
    }

    private static boolean isZero(ByteBuffer buf, int from, int to) {
        int i = from;
        for (; i + 8 <= to; i += 8) {
            if (buf.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < to; i++) {
            if (buf.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static void write(FileChannel out, ByteBuffer buf, int from, int to, long base) throws IOException {
        ByteBuffer slice = buf.duplicate();
        slice.limit(to).position(from);
        long p = base + from;
        while (slice.hasRemaining()) {
            p += out.write(slice, p);
        }
    }
}
