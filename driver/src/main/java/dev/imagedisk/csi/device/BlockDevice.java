package dev.imagedisk.csi.device;

import java.nio.file.Path;

/** A block device node, e.g. {@code /dev/sdb} (name {@code sdb}, 8:16). */
public record BlockDevice(Path path, String name, int major, int minor) {
    public String number() {
        return major + ":" + minor;
    }

    public boolean sameDevice(int otherMajor, int otherMinor) {
        return major == otherMajor && minor == otherMinor;
    }

    @Override
    public String toString() {
        return path + " (" + number() + ")";
    }
}
