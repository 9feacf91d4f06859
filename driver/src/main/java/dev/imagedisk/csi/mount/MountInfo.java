package dev.imagedisk.csi.mount;

import java.nio.file.Path;
import java.util.List;

/**
 * One line of {@code /proc/self/mountinfo}: which device ({@code major:minor}) and which directory of it
 * ({@code root}) is mounted where, with the per-mount options, the filesystem type, the source and the
 * superblock options.
 */
public record MountInfo(
        int id,
        int parentId,
        int major,
        int minor,
        String root,
        Path mountPoint,
        List<String> mountOptions,
        String fsType,
        String source,
        List<String> superOptions) {

    public MountInfo {
        mountOptions = List.copyOf(mountOptions);
        superOptions = List.copyOf(superOptions);
    }

    /** Read-only for this mount (the per-mount flag, which is what a bind mount's {@code ro} sets). */
    public boolean readOnly() {
        return mountOptions.contains("ro");
    }

    public String device() {
        return major + ":" + minor;
    }
}
