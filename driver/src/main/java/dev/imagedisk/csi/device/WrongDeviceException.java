package dev.imagedisk.csi.device;

/**
 * The device found for a disk is not that disk, or cannot be shown to be: its link points at a device reporting
 * another device name (a stale udev link on a reused device node), the device reports no name, or several
 * devices report the name. Nothing on any of them has been touched.
 */
public final class WrongDeviceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public WrongDeviceException(String message) {
        super(message);
    }
}
