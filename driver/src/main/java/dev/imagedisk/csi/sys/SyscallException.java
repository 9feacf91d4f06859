package dev.imagedisk.csi.sys;

import java.util.Locale;

/**
 * A system call failed: which call, on what, and the errno with its name and text ("mount(2) of /dev/loop3 at
 * /mnt/x: EBUSY (Device or resource busy)"). {@link #reason()} groups errnos the callers tell apart.
 */
public final class SyscallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What kind of failure an errno means to a caller. */
    public enum Reason {
        /** ENOENT, ENXIO, ENODEV: no such file, device or partition. */
        NOT_FOUND,
        /** EBUSY: in use (a mounted filesystem, an open partition). */
        BUSY,
        /** EEXIST: already there (a partition number in use). */
        EXISTS,
        /** EPERM, EACCES: not allowed (not root, no CAP_SYS_ADMIN). */
        PERMISSION,
        /** EINVAL, ENOTTY, ENOTBLK: the call does not apply (bad flags, not a block device, overlap). */
        INVALID,
        /** ENOSPC, ENOMEM: out of room. */
        NO_SPACE,
        /** Any other errno. */
        OTHER
    }

    private final String call;
    private final int errno;

    public SyscallException(String call, String what, int errno) {
        super(call + " of " + what + ": " + describe(errno));
        this.call = call;
        this.errno = errno;
    }

    /** The call that failed, e.g. {@code "mount(2)"}. */
    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }

    /** The errno's name, e.g. {@code "EBUSY"}, or {@code "errno 123"} when unknown here. */
    public String errnoName() {
        return name(errno);
    }

    public Reason reason() {
        switch (name(errno)) {
            case "ENOENT":
            case "ENXIO":
            case "ENODEV":
                return Reason.NOT_FOUND;
            case "EBUSY":
                return Reason.BUSY;
            case "EEXIST":
                return Reason.EXISTS;
            case "EPERM":
            case "EACCES":
                return Reason.PERMISSION;
            case "EINVAL":
            case "ENOTTY":
            case "ENOTBLK":
                return Reason.INVALID;
            case "ENOSPC":
            case "ENOMEM":
                return Reason.NO_SPACE;
            default:
                return Reason.OTHER;
        }
    }

    static String name(int errno) {
        jnr.constants.platform.Errno e = jnr.constants.platform.Errno.valueOf(errno);
        return e == null || e == jnr.constants.platform.Errno.__UNKNOWN_CONSTANT__ ? "errno " + errno : e.name();
    }

    static String describe(int errno) {
        jnr.constants.platform.Errno e = jnr.constants.platform.Errno.valueOf(errno);
        if (e == null || e == jnr.constants.platform.Errno.__UNKNOWN_CONSTANT__) {
            return "errno " + errno;
        }
        String text = e.description();
        return e.name() + (text == null || text.isEmpty() ? "" : " (" + text + ")");
    }

    @Override
    public String toString() {
        return getMessage() + " [" + call.toLowerCase(Locale.ROOT) + "]";
    }
}
