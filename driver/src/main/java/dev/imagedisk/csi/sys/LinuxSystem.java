package dev.imagedisk.csi.sys;

import java.nio.file.Path;
import java.util.Locale;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Typed system calls on 64-bit Linux through {@link Libc}: each either succeeds or throws
 * {@link SyscallException} naming the call, its object and the errno. Bound lazily, on the first call (the
 * binding generates classes; a plugin that never mounts never pays for it), and only once per process.
 * {@link #get()} is null where libc cannot be bound (not Linux, not 64-bit, no jffi native library), and
 * the callers fall back to util-linux there.
 */
public final class LinuxSystem {
    private static final Logger LOG = LoggerFactory.getLogger(LinuxSystem.class);

    // linux/mount.h
    public static final long MS_RDONLY = 1;
    public static final long MS_NOSUID = 2;
    public static final long MS_NODEV = 4;
    public static final long MS_NOEXEC = 8;
    public static final long MS_SYNCHRONOUS = 16;
    public static final long MS_REMOUNT = 32;
    public static final long MS_DIRSYNC = 128;
    public static final long MS_NOATIME = 1024;
    public static final long MS_NODIRATIME = 2048;
    public static final long MS_BIND = 4096;
    public static final long MS_RELATIME = 1 << 21;
    public static final long MS_STRICTATIME = 1 << 24;

    // fcntl.h (the same on x86_64 and arm64)
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;

    // linux/fs.h: _IOR(0x12, 114, size_t) and _IO(0x12, 105)
    static final long BLKGETSIZE64 = 0x80081272L;
    static final long BLKPG = 0x1269L;
    // linux/blkpg.h
    static final int BLKPG_ADD_PARTITION = 1;
    static final int BLKPG_DEL_PARTITION = 2;
    static final int BLKPG_RESIZE_PARTITION = 3;

    // linux/nvme_ioctl.h: _IO('N', 0x40) and _IOWR('N', 0x41, struct nvme_passthru_cmd)
    static final long NVME_IOCTL_ID = 0x4E40L;
    static final long NVME_IOCTL_ADMIN_CMD = 0xC0484E41L;
    /** struct nvme_passthru_cmd (= nvme_admin_cmd): 72 bytes. */
    static final int NVME_PASSTHRU_SIZE = 72;

    static final int NVME_ADMIN_IDENTIFY = 0x06;
    static final int NVME_IDENTIFY_DATA_SIZE = 4096;

    /** sizeof(struct statvfs) on 64-bit glibc (and musl): 11 longs and 6 spare ints. */
    static final int STATVFS_SIZE = 112;
    /** struct blkpg_ioctl_arg { int op; int flags; int datalen; void *data; }: 24 bytes on LP64. */
    static final int BLKPG_ARG_SIZE = 24;
    /** struct blkpg_partition { long long start, length; int pno; char devname[64], volname[64]; }: 152. */
    static final int BLKPG_PARTITION_SIZE = 152;

    private static volatile LinuxSystem instance;
    private static volatile boolean tried;

    private final Libc libc;
    private final Runtime runtime;

    LinuxSystem(Libc libc) {
        this.libc = libc;
        this.runtime = Runtime.getRuntime(libc);
    }

    /** The bound system calls, or null where libc cannot be bound here (logged once). */
    public static LinuxSystem get() {
        if (!tried) {
            synchronized (LinuxSystem.class) {
                if (!tried) {
                    instance = bind();
                    tried = true;
                }
            }
        }
        return instance;
    }

    private static LinuxSystem bind() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux")) {
            LOG.info("system calls not bound: {} is not Linux", os);
            return null;
        }
        try {
            Libc libc = LibraryLoader.create(Libc.class).load("c");
            LinuxSystem s = new LinuxSystem(libc);
            if (s.runtime.addressSize() != 8) {
                LOG.info("system calls not bound: a {}-bit runtime (64-bit structs only)", s.runtime.addressSize() * 8);
                return null;
            }
            return s;
        } catch (Throwable t) { // UnsatisfiedLinkError/LinkageError: no jffi native library for this platform
            LOG.info("system calls not bound ({}); util-linux programs are used instead", t.toString());
            return null;
        }
    }

    /** mount(2) with no filesystem data; {@code fsType} null for a bind or remount. */
    public void mount(String source, String target, String fsType, long flags) {
        if (libc.mount(source, target, fsType, flags, null) != 0) {
            throw new SyscallException("mount(2)", (source == null ? "" : source + " at ") + target, errno());
        }
    }

    public void umount2(String target, int flags) {
        if (libc.umount2(target, flags) != 0) {
            throw new SyscallException("umount2(2)", target, errno());
        }
    }

    /** statvfs(2) of the filesystem holding {@code path}. */
    public StatVfs statvfs(Path path) {
        Pointer buf = Memory.allocateDirect(runtime, STATVFS_SIZE, true);
        if (libc.statvfs(path.toString(), buf) != 0) {
            throw new SyscallException("statvfs(2)", path.toString(), errno());
        }
        return new StatVfs(
                buf.getLong(0),
                buf.getLong(8),
                buf.getLong(16),
                buf.getLong(24),
                buf.getLong(32),
                buf.getLong(40),
                buf.getLong(48),
                buf.getLong(72));
    }

    /** The size of a block device in bytes (ioctl BLKGETSIZE64). */
    public long blockDeviceSize(Path device) {
        int fd = open(device);
        try {
            Pointer size = Memory.allocateDirect(runtime, 8, true);
            if (libc.ioctl(fd, BLKGETSIZE64, size) != 0) {
                throw new SyscallException("ioctl(BLKGETSIZE64)", device.toString(), errno());
            }
            return size.getLong(0);
        } finally {
            libc.close(fd);
        }
    }

    /**
     * The Identify Namespace data (CNS 0, 4096 bytes) of an NVMe namespace block device: NVME_IOCTL_ID gives the
     * namespace id, then NVME_IOCTL_ADMIN_CMD sends the Identify admin command for it (needs CAP_SYS_ADMIN).
     */
    public byte[] nvmeIdentifyNamespace(Path device) {
        int fd = open(device);
        try {
            int nsid = libc.ioctl(fd, NVME_IOCTL_ID, null);
            if (nsid < 0) {
                throw new SyscallException("ioctl(NVME_IOCTL_ID)", device.toString(), errno());
            }
            Pointer data = Memory.allocateDirect(runtime, NVME_IDENTIFY_DATA_SIZE, true);
            Pointer cmd = Memory.allocateDirect(runtime, NVME_PASSTHRU_SIZE, true);
            cmd.putByte(0, (byte) NVME_ADMIN_IDENTIFY); // opcode
            cmd.putInt(4, nsid); // nsid
            cmd.putPointer(24, data); // addr
            cmd.putInt(36, NVME_IDENTIFY_DATA_SIZE); // data_len
            cmd.putInt(40, 0); // cdw10: CNS 0, identify namespace
            int status = libc.ioctl(fd, NVME_IOCTL_ADMIN_CMD, cmd);
            if (status < 0) {
                throw new SyscallException(
                        "ioctl(NVME_IOCTL_ADMIN_CMD, identify namespace " + nsid + ")", device.toString(), errno());
            }
            if (status > 0) { // the controller answered with an NVMe status code
                throw new IllegalStateException("NVMe identify namespace " + nsid + " of " + device
                        + " answered status 0x" + Integer.toHexString(status));
            }
            byte[] out = new byte[NVME_IDENTIFY_DATA_SIZE];
            data.get(0, out, 0, out.length);
            return out;
        } finally {
            libc.close(fd);
        }
    }

    /** Tells the kernel of a new partition {@code number} of {@code device} (ioctl BLKPG, BLKPG_ADD_PARTITION). */
    public void addPartition(Path device, int number, long startBytes, long lengthBytes) {
        blkpg(device, BLKPG_ADD_PARTITION, "BLKPG_ADD_PARTITION", number, startBytes, lengthBytes);
    }

    /** Changes the length of partition {@code number} in the kernel (BLKPG_RESIZE_PARTITION; the start stays). */
    public void resizePartition(Path device, int number, long startBytes, long lengthBytes) {
        blkpg(device, BLKPG_RESIZE_PARTITION, "BLKPG_RESIZE_PARTITION", number, startBytes, lengthBytes);
    }

    /** Removes partition {@code number} from the kernel's view (BLKPG_DEL_PARTITION; EBUSY while in use). */
    public void deletePartition(Path device, int number) {
        blkpg(device, BLKPG_DEL_PARTITION, "BLKPG_DEL_PARTITION", number, 0, 0);
    }

    private void blkpg(Path device, int op, String opName, int number, long start, long length) {
        if (number < 1) {
            throw new IllegalArgumentException("partition numbers start at 1, not " + number);
        }
        Pointer part = Memory.allocateDirect(runtime, BLKPG_PARTITION_SIZE, true);
        part.putLong(0, start);
        part.putLong(8, length);
        part.putInt(16, number);
        Pointer arg = Memory.allocateDirect(runtime, BLKPG_ARG_SIZE, true);
        arg.putInt(0, op);
        arg.putInt(4, 0);
        arg.putInt(8, BLKPG_PARTITION_SIZE);
        arg.putPointer(16, part);
        int fd = open(device);
        try {
            if (libc.ioctl(fd, BLKPG, arg) != 0) {
                throw new SyscallException("ioctl(BLKPG, " + opName + ")", device + " partition " + number, errno());
            }
        } finally {
            libc.close(fd);
        }
    }

    private int open(Path device) {
        int fd = libc.open(device.toString(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            throw new SyscallException("open(2)", device.toString(), errno());
        }
        return fd;
    }

    private int errno() {
        return runtime.getLastError();
    }
}
