package dev.imagedisk.csi.mount;

/** A mount or unmount failed; {@link #busy()} tells an unmount refused because the mount is in use. */
public class MountException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final boolean busy;

    public MountException(String message, boolean busy) {
        super(message);
        this.busy = busy;
    }

    public boolean busy() {
        return busy;
    }
}
