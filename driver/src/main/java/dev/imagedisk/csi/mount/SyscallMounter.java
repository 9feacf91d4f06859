package dev.imagedisk.csi.mount;

import dev.imagedisk.csi.exec.CommandRunner;
import dev.imagedisk.csi.sys.LinuxSystem;
import dev.imagedisk.csi.sys.SyscallException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Mounter} that calls mount(2) and umount2(2) directly ({@link LinuxSystem}: libc through jnr-ffi)
 * instead of starting util-linux {@code mount}/{@code umount} for each step: a mount costs the kernel's work
 * only, not a process spawn plus libmount reading fstab and mountinfo. Anything it does not handle exactly as util-linux would
 * goes to the wrapped {@link UtilLinuxMounter}: mount options other than the plain kernel flags, and every
 * failure (the command runs again and reports the error, so error messages and the busy check stay the
 * util-linux ones). When libc cannot be bound (no jffi native library for this platform) it is
 * util-linux throughout. libc is bound on the first mount, not at start. Each syscall is reported to the
 * runner's observer like the program it replaces.
 */
public final class SyscallMounter implements Mounter {
    private static final Logger LOG = LoggerFactory.getLogger(SyscallMounter.class);

    // linux/mount.h
    static final long MS_RDONLY = LinuxSystem.MS_RDONLY;
    static final long MS_NOSUID = LinuxSystem.MS_NOSUID;
    static final long MS_NODEV = LinuxSystem.MS_NODEV;
    static final long MS_NOEXEC = LinuxSystem.MS_NOEXEC;
    static final long MS_SYNCHRONOUS = LinuxSystem.MS_SYNCHRONOUS;
    static final long MS_REMOUNT = LinuxSystem.MS_REMOUNT;
    static final long MS_DIRSYNC = LinuxSystem.MS_DIRSYNC;
    static final long MS_NOATIME = LinuxSystem.MS_NOATIME;
    static final long MS_NODIRATIME = LinuxSystem.MS_NODIRATIME;
    static final long MS_BIND = LinuxSystem.MS_BIND;
    static final long MS_RELATIME = LinuxSystem.MS_RELATIME;
    static final long MS_STRICTATIME = LinuxSystem.MS_STRICTATIME;

    /** Mount options that are plain kernel flags (as util-linux maps them); others go to util-linux. */
    static final Map<String, Long> FLAGS = Map.ofEntries(
            Map.entry("ro", MS_RDONLY),
            Map.entry("rw", 0L),
            Map.entry("defaults", 0L),
            Map.entry("nosuid", MS_NOSUID),
            Map.entry("nodev", MS_NODEV),
            Map.entry("noexec", MS_NOEXEC),
            Map.entry("sync", MS_SYNCHRONOUS),
            Map.entry("dirsync", MS_DIRSYNC),
            Map.entry("noatime", MS_NOATIME),
            Map.entry("nodiratime", MS_NODIRATIME),
            Map.entry("relatime", MS_RELATIME),
            Map.entry("strictatime", MS_STRICTATIME));

    private final UtilLinuxMounter fallback;
    private final CommandRunner.Observer observer;
    private final java.util.function.Supplier<LinuxSystem> system;

    public SyscallMounter(UtilLinuxMounter fallback, CommandRunner.Observer observer) {
        this(fallback, observer, LinuxSystem::get);
    }

    SyscallMounter(
            UtilLinuxMounter fallback,
            CommandRunner.Observer observer,
            java.util.function.Supplier<LinuxSystem> system) {
        this.fallback = fallback;
        this.observer = observer;
        this.system = system;
    }

    /** Whether mount(2) is called directly (false: every call goes to util-linux). Binds libc if not yet. */
    public boolean direct() {
        return system.get() != null;
    }

    @Override
    public void mount(Path device, Path target, String fsType, List<String> options) {
        Long flags = flags(options);
        LinuxSystem libc = system.get();
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
        if (!call(libc, shown, device.toString(), target.toString(), fsType, flags)) {
            fallback.mount(device, target, fsType, options); // reports why, as util-linux does
        }
    }

    @Override
    public void bindMount(Path source, Path target, boolean readOnly) {
        LinuxSystem libc = system.get();
        if (libc == null) {
            fallback.bindMount(source, target, readOnly);
            return;
        }
        if (!call(
                libc,
                List.of("mount", "--bind", source.toString(), target.toString()),
                source.toString(),
                target.toString(),
                null,
                MS_BIND)) {
            fallback.bindMount(source, target, readOnly);
            return;
        }
        if (!readOnly) {
            return;
        }
        // A bind mount takes "ro" only from a remount of the bind (MS_REMOUNT|MS_BIND|MS_RDONLY).
        SyscallException[] why = new SyscallException[1];
        boolean remounted = call(
                libc,
                List.of("mount", "-o", "remount,bind,ro", target.toString()),
                null,
                target.toString(),
                null,
                MS_REMOUNT | MS_BIND | MS_RDONLY,
                why);
        boolean ro = remounted && mountAt(target).map(MountInfo::readOnly).orElse(false);
        if (!ro) {
            unmount(target);
            throw new MountException(
                    "could not make the bind mount of " + source + " at " + target + " read-only"
                            + (remounted ? ": the mount is still writable" : ": " + why[0].getMessage()),
                    false);
        }
    }

    @Override
    public void unmount(Path target) {
        LinuxSystem libc = system.get();
        if (libc == null) {
            fallback.unmount(target);
            return;
        }
        long t0 = System.nanoTime();
        try {
            libc.umount2(target.toString(), 0);
            observer.ran(List.of("umount", target.toString()), true, Duration.ofNanos(System.nanoTime() - t0));
        } catch (SyscallException e) {
            observer.ran(List.of("umount", target.toString()), false, Duration.ofNanos(System.nanoTime() - t0));
            LOG.debug("{}; running util-linux for the error", e.getMessage());
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

    private boolean call(
            LinuxSystem libc, List<String> shown, String source, String target, String fsType, long flags) {
        return call(libc, shown, source, target, fsType, flags, new SyscallException[1]);
    }

    private boolean call(
            LinuxSystem libc,
            List<String> shown,
            String source,
            String target,
            String fsType,
            long flags,
            SyscallException[] why) {
        long t0 = System.nanoTime();
        try {
            libc.mount(source, target, fsType, flags);
        } catch (SyscallException e) {
            why[0] = e;
            LOG.debug("{}: {}; running util-linux for the error", String.join(" ", shown), e.getMessage());
            return false;
        }
        observer.ran(shown, true, Duration.ofNanos(System.nanoTime() - t0));
        return true;
    }
}
