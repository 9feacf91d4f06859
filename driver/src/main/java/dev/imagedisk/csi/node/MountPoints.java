package dev.imagedisk.csi.node;

import dev.imagedisk.csi.mount.MountInfo;
import dev.imagedisk.csi.mount.Mounter;
import dev.imagedisk.csi.server.CsiErrors;
import java.nio.file.Path;
import java.util.Optional;

/** Takes the driver's mounts off a staging or target path. */
final class MountPoints {
    private MountPoints() {}

    /**
     * The one "already mounted, but read-only or read-write?" check: a repeated stage or publish must ask for
     * the access the existing mount has (ALREADY_EXISTS otherwise).
     */
    static void requireSameAccess(String volumeId, String what, Path path, MountInfo m, boolean readOnly) {
        if (m.readOnly() != readOnly) {
            throw CsiErrors.alreadyExists(
                    "volume %s is already %s at %s %s; the request asks for %s",
                    volumeId,
                    what,
                    path,
                    m.readOnly() ? "read-only" : "read-write",
                    readOnly ? "read-only" : "read-write");
        }
    }

    /**
     * Unmounts every mount stacked at {@code path}, refusing mounts not backed by a block device (which the
     * driver never makes there).
     */
    static void unmountAll(String volumeId, String field, Path path, Mounter mounter) {
        for (int i = 0; i < 16; i++) {
            Optional<MountInfo> m = Failures.call("reading the mount table", () -> mounter.mountAt(path));
            if (m.isEmpty()) {
                return;
            }
            if (m.get().major() == 0 && !field.equals("target_path")) {
                throw CsiErrors.failedPrecondition(
                        "volume %s: %s %s has a %s mount (%s) that this driver did not " + "make; not unmounting it",
                        volumeId, field, path, m.get().fsType(), m.get().source());
            }
            Failures.run("unmounting " + path, () -> mounter.unmount(path));
        }
        throw CsiErrors.internal("volume %s: %s %s still has mounts after 16 unmounts", volumeId, field, path);
    }
}
