package dev.imagedisk.csi.mount;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Mounts and unmounts, and lists what is mounted. Holds no CSI logic. */
public interface Mounter {
    /** Mounts the filesystem on {@code device} at {@code target}; a null fsType lets the kernel detect it. */
    void mount(Path device, Path target, String fsType, List<String> options);

    /**
     * Bind-mounts {@code source} on {@code target}; when readOnly, the bind is remounted read-only and that
     * is verified, else the bind is undone and this throws.
     */
    void bindMount(Path source, Path target, boolean readOnly);

    /** Unmounts the topmost mount at {@code target}; throws a busy {@link MountException} on EBUSY. */
    void unmount(Path target);

    /** What is mounted now, in {@code /proc/self/mountinfo} order. */
    List<MountInfo> mounts();

    /** The visible (topmost) mount whose mount point is exactly {@code path}. */
    default Optional<MountInfo> mountAt(Path path) {
        MountInfo found = null;
        for (MountInfo m : mounts()) {
            if (m.mountPoint().equals(path)) {
                found = m;
            }
        }
        return Optional.ofNullable(found);
    }
}
