package dev.imagedisk.csi.mount;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;
import dev.imagedisk.csi.exec.CommandRunner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Mounter} that calls mount(2) and umount2(2) directly (libc through jffi) instead of starting
 * util-linux {@code mount}/{@code umount} for each step: a mount costs the kernel's work only, not a process
 * spawn plus libmount reading fstab and mountinfo. Anything it does not handle exactly as util-linux would
 * goes to the wrapped {@link UtilLinuxMounter}: mount options other than the plain kernel flags, and every
 * failure (the command runs again and reports the error, so error messages and the busy check stay the
 * util-linux ones). When libc cannot be bound (no jffi native library for this platform) it is
 * util-linux throughout. Each syscall is reported to the runner's observer like the program it replaces.
 */
public final class SyscallMounter implements Mounter {
    private static final Logger LOG = LoggerFactory.getLogger(SyscallMounter.class);

    // linux/mount.h
    static final long MS_RDONLY = 1;
    static final long MS_NOSUID = 2;
    static final long MS_NODEV = 4;
    static final long MS_NOEXEC = 8;
    static final long MS_SYNCHRONOUS = 16;
    static final long MS_REMOUNT = 32;
    static final long MS_DIRSYNC = 128;
    static final long MS_NOATIME = 1024;
    static final long MS_NODIRATIME = 2048;
    static final long MS_BIND = 4096;
    static final long MS_RELATIME = 1 << 21;
    static final long MS_STRICTATIME = 1 << 24;

    /** Mount options that are plain kernel flags (as util-linux maps them); others go to util-linux. */
    static final Map<String, Long> FLAGS = Map.ofEntries(Map.entry("ro", MS_RDONLY), Map.entry("rw", 0L),
            Map.entry("defaults", 0L), Map.entry("nosuid", MS_NOSUID), Map.entry("nodev", MS_NODEV),
            Map.entry("noexec", MS_NOEXEC), Map.entry("sync", MS_SYNCHRONOUS), Map.entry("dirsync", MS_DIRSYNC),
            Map.entry("noatime", MS_NOATIME), Map.entry("nodiratime", MS_NODIRATIME),
            Map.entry("relatime", MS_RELATIME), Map.entry("strictatime", MS_STRICTATIME));

    private final UtilLinuxMounter fallback;
    private final CommandRunner.Observer observer;
    private final Libc libc;

    public SyscallMounter(UtilLinuxMounter fallback, CommandRunner.Observer observer) {
        this(fallback, observer, Libc.load());
    }

    SyscallMounter(UtilLinuxMounter fallback, CommandRunner.Observer observer, Libc libc) {
        this.fallback = fallback;
        this.observer = observer;
        this.libc = libc;
    }

    /** Whether mount(2) is called directly (false: every call goes to util-linux). */
    public boolean direct() {
        return libc != null;
    }

    @Override
    public void mount(Path device, Path target, String fsType, List<String> options) {
        Long flags = flags(options);
        if (libc == null || flags == null || fsType == null || fsType.isEmpty()) {
            fallback.mount(device, target, fsType, options);
            return;
        }
        List<String> shown = new ArrayList<>(List.of("mount", "-t", fsType));
        if (!options.isEmpty()) {
            shown.add("-o");
            shown.add(String.join(",", options));
        }
        shown.add(device.toString());
        shown.add(target.toString());
        if (!call(shown, device.toString(), target.toString(), fsType, flags)) {
            fallback.mount(device, target, fsType, options); // reports why, as util-linux does
        }
    }

    @Override
    public void bindMount(Path source, Path target, boolean readOnly) {
        if (libc == null) {
            fallback.bindMount(source, target, readOnly);
            return;
        }
        if (!call(List.of("mount", "--bind", source.toString(), target.toString()), source.toString(),
                target.toString(), null, MS_BIND)) {
            fallback.bindMount(source, target, readOnly);
            return;
        }
        if (!readOnly) {
            return;
        }
        // A bind mount takes "ro" only from a remount of the bind (MS_REMOUNT|MS_BIND|MS_RDONLY).
        boolean remounted = call(List.of("mount", "-o", "remount,bind,ro", target.toString()), null,
                target.toString(), null, MS_REMOUNT | MS_BIND | MS_RDONLY);
        boolean ro = remounted && mountAt(target).map(MountInfo::readOnly).orElse(false);
        if (!ro) {
            unmount(target);
            throw new MountException("could not make the bind mount of " + source + " at " + target + " read-only"
                    + (remounted ? ": the mount is still writable" : ": remount failed, errno " + libc.lastErrno()),
                    false);
        }
    }

    @Override
    public void unmount(Path target) {
        if (libc == null) {
            fallback.unmount(target);
            return;
        }
        long t0 = System.nanoTime();
        int rc = libc.umount2(target.toString(), 0);
        observer.ran(List.of("umount", target.toString()), rc == 0, Duration.ofNanos(System.nanoTime() - t0));
        if (rc != 0) {
            fallback.unmount(target); // EBUSY, EINVAL, ...: util-linux tells which, and the busy check stays its
        }
    }

    @Override
    public List<MountInfo> mounts() {
        return fallback.mounts();
    }

    /** Kernel flags for the options, or null when one is not a plain flag (util-linux must handle them). */
    static Long flags(List<String> options) {
        long flags = 0;
        for (String o : options) {
            Long f = FLAGS.get(o);
            if (f == null) {
                return null;
            }
            flags |= f;
        }
        return flags;
    }

    private boolean call(List<String> shown, String source, String target, String fsType, long flags) {
        long t0 = System.nanoTime();
        int rc = libc.mount(source, target, fsType, flags);
        boolean ok = rc == 0;
        if (!ok) {
            LOG.debug("{}: mount(2) failed with errno {}; running util-linux for the error", String.join(" ", shown),
                    libc.lastErrno());
        } else {
            observer.ran(shown, true, Duration.ofNanos(System.nanoTime() - t0));
        }
        return ok;
    }

    /** mount(2) and umount2(2) from libc, through jffi. */
    static final class Libc {
        private final Invoker invoker = Invoker.getInstance();
        private final MemoryIO memory = MemoryIO.getInstance();
        private final long mountFn;
        private final long umount2Fn;
        private final CallContext mountCtx;
        private final CallContext umount2Ctx;

        private Libc(long mountFn, long umount2Fn) {
            this.mountFn = mountFn;
            this.umount2Fn = umount2Fn;
            this.mountCtx = CallContext.getCallContext(Type.SINT, new Type[] {Type.POINTER, Type.POINTER,
                Type.POINTER, Type.ULONG, Type.POINTER}, CallingConvention.DEFAULT, true);
            this.umount2Ctx = CallContext.getCallContext(Type.SINT, new Type[] {Type.POINTER, Type.SINT},
                    CallingConvention.DEFAULT, true);
        }

        /** Null when libc or jffi's native part cannot be loaded here. */
        static Libc load() {
            if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
                return null;
            }
            try {
                Library libc = Library.getCachedInstance("libc.so.6", Library.LAZY | Library.GLOBAL);
                if (libc == null) {
                    LOG.info("mount(2) not bound ({}); using util-linux mount", Library.getLastError());
                    return null;
                }
                long mount = libc.getSymbolAddress("mount");
                long umount2 = libc.getSymbolAddress("umount2");
                if (mount == 0 || umount2 == 0) {
                    return null;
                }
                return new Libc(mount, umount2);
            } catch (Throwable t) { // UnsatisfiedLinkError when no jffi native library fits this platform
                LOG.info("mount(2) not bound ({}); using util-linux mount", t.toString());
                return null;
            }
        }

        int mount(String source, String target, String fsType, long flags) {
            long s = cString(source);
            long t = cString(target);
            long f = cString(fsType);
            try {
                return (int) invoker.invokeN5(mountCtx, mountFn, s, t, f, flags, 0L);
            } finally {
                free(s);
                free(t);
                free(f);
            }
        }

        int umount2(String target, int flags) {
            long t = cString(target);
            try {
                return (int) invoker.invokeN2(umount2Ctx, umount2Fn, t, flags);
            } finally {
                free(t);
            }
        }

        int lastErrno() {
            return LastError.getInstance().get();
        }

        private long cString(String s) {
            if (s == null) {
                return 0;
            }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            long address = memory.allocateMemory(b.length + 1, true);
            if (address == 0) {
                throw new OutOfMemoryError("native memory for a path");
            }
            memory.putZeroTerminatedByteArray(address, b, 0, b.length);
            return address;
        }

        private void free(long address) {
            if (address != 0) {
                memory.freeMemory(address);
            }
        }
    }
}
