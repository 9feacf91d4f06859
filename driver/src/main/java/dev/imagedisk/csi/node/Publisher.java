package dev.imagedisk.csi.node;

import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.DeviceNodes;
import dev.imagedisk.csi.mount.MountInfo;
import dev.imagedisk.csi.mount.Mounter;
import dev.imagedisk.csi.server.CsiErrors;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NodePublishVolume and NodeUnpublishVolume: binds the staged filesystem (or, for a block volume, the
 * device itself) onto the target path, read-only when asked, and takes it away again.
 */
public final class Publisher {
    private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

    private final DeviceLocator locator;
    private final Mounter mounter;
    private final Directories directories;

    public Publisher(DeviceLocator locator, Mounter mounter, Directories directories) {
        this.locator = locator;
        this.mounter = mounter;
        this.directories = directories;
    }

    public void publish(
            String volumeId, String deviceName, Path staging, Path target, VolumeSpec spec, boolean readOnly) {
        if (spec.block()) {
            publishBlock(volumeId, deviceName, target, readOnly, spec.singleTarget());
        } else {
            publishMount(volumeId, staging, target, readOnly, spec.singleTarget());
        }
    }

    /**
     * SINGLE_NODE_SINGLE_WRITER: a filesystem volume already bound at another target may not be published again
     * (the staging mount and this target are not counted).
     */
    private void requireNoOtherTarget(String volumeId, int major, int minor, String root, Path staging, Path target) {
        for (MountInfo m : Failures.call("reading the mount table", mounter::mounts)) {
            boolean sameVolume =
                    m.major() == major && m.minor() == minor && m.root().equals(root);
            if (sameVolume && !m.mountPoint().equals(target) && !m.mountPoint().equals(staging)) {
                throw CsiErrors.failedPrecondition(
                        "volume %s has access mode SINGLE_NODE_SINGLE_WRITER and is already "
                                + "published at %s; it cannot be published at %s too",
                        volumeId, m.mountPoint(), target);
            }
        }
    }

    private void publishMount(String volumeId, Path staging, Path target, boolean readOnly, boolean singleTarget) {
        MountInfo staged = Failures.call("reading the mount table", () -> mounter.mountAt(staging))
                .orElseThrow(() -> CsiErrors.failedPrecondition(
                        "volume %s is not staged: nothing is mounted at " + "staging_target_path %s",
                        volumeId, staging));
        Optional<MountInfo> current = Failures.call("reading the mount table", () -> mounter.mountAt(target));
        if (current.isPresent()) {
            MountInfo m = current.get();
            boolean same = m.major() == staged.major()
                    && m.minor() == staged.minor()
                    && m.root().equals(staged.root());
            if (!same) {
                throw CsiErrors.alreadyExists(
                        "volume %s: target_path %s already has %s (device %s, %s) mounted, not "
                                + "the volume staged at %s",
                        volumeId, target, m.source(), m.device(), m.root(), staging);
            }
            requireSameReadOnly(volumeId, target, m, readOnly);
            return;
        }
        if (singleTarget) {
            requireNoOtherTarget(volumeId, staged.major(), staged.minor(), staged.root(), staging, target);
        }
        boolean created = directories.ensureDirectory("target_path", target);
        bind(volumeId, staging, target, readOnly, created);
    }

    private void publishBlock(String volumeId, String deviceName, Path target, boolean readOnly, boolean singleTarget) {
        // singleTarget is not enforced for raw block: a device node's bind shows /dev's numbers in mountinfo
        BlockDevice device = locator.locate(deviceName);
        Optional<MountInfo> current = Failures.call("reading the mount table", () -> mounter.mountAt(target));
        if (current.isPresent()) {
            Optional<BlockDevice> there = DeviceNodes.blockDevice(target);
            if (there.isEmpty() || !there.get().sameDevice(device.major(), device.minor())) {
                throw CsiErrors.alreadyExists(
                        "volume %s: target_path %s already has %s mounted, not device %s",
                        volumeId,
                        target,
                        there.map(Object::toString).orElse(current.get().source()),
                        device);
            }
            requireSameReadOnly(volumeId, target, current.get(), readOnly);
            return;
        }
        boolean created = directories.ensureFile("target_path", target);
        bind(volumeId, device.path(), target, readOnly, created);
    }

    private void bind(String volumeId, Path source, Path target, boolean readOnly, boolean created) {
        try {
            Failures.run(
                    "bind-mounting " + source + " at " + target, () -> mounter.bindMount(source, target, readOnly));
        } catch (RuntimeException e) {
            if (created) {
                directories.removeIfEmpty("target_path", target);
            }
            throw e;
        }
        LOG.info("volume {}: published {} at {}{}", volumeId, source, target, readOnly ? " read-only" : "");
    }

    private static void requireSameReadOnly(String volumeId, Path target, MountInfo m, boolean readOnly) {
        MountPoints.requireSameAccess(volumeId, "published", target, m, readOnly);
    }

    public void unpublish(String volumeId, Path target) {
        if (!directories.exists(target)) {
            return;
        }
        MountPoints.unmountAll(volumeId, "target_path", target, mounter);
        directories.removeIfEmpty("target_path", target);
    }
}
