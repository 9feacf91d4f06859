package dev.imagedisk.csi.device;

/** Asks udev to process a device again, so it (re)makes the device's links. Never throws; bounded in time. */
public interface UdevTrigger {
    /** Triggers a change event for {@code device}; returns what happened, for the log. */
    String trigger(BlockDevice device);

    UdevTrigger NONE = d -> "no udev trigger configured";
}
