package dev.imagedisk.csi.sys;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.u_int64_t;

/**
 * The libc functions the driver calls, bound by jnr-ffi: the one place the driver declares native calls.
 * Every function returns -1 and sets errno on failure ({@link SaveError}: read with
 * {@code Runtime.getLastError()}). Only {@link LinuxSystem} uses it.
 */
public interface Libc {
    @SaveError
    int mount(String source, String target, String fsType, @u_int64_t long flags, Pointer data);

    @SaveError
    int umount2(String target, int flags);

    /** Fills {@code buf} with a {@code struct statvfs} ({@link LinuxSystem#STATVFS_SIZE} bytes on 64-bit Linux). */
    @SaveError
    int statvfs(String path, Pointer buf);

    @SaveError
    int open(String path, int flags);

    @SaveError
    int close(int fd);

    /** ioctl(2) with a pointer argument (variadic in C; integer and pointer arguments pass alike on 64-bit Linux). */
    @SaveError
    int ioctl(int fd, @u_int64_t long request, Pointer arg);
}
