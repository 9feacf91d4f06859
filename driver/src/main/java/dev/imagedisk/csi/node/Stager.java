package dev.imagedisk.csi.node;

import dev.imagedisk.csi.common.CsiErrors;
import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.BlockDevices;
import dev.imagedisk.csi.device.FilesystemChecker;
import dev.imagedisk.csi.device.Formatter;
import dev.imagedisk.csi.mount.FilesystemResizer;
import dev.imagedisk.csi.mount.MountInfo;
import dev.imagedisk.csi.mount.Mounter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NodeStageVolume and NodeUnstageVolume: mounts the disk's filesystem at the staging path, and takes it
 * away again. A blank disk is formatted; an existing ext filesystem is checked (preen) before a writable
 * mount and, when the disk is larger, fully checked and grown before it is mounted; xfs grows once mounted.
 */
public final class Stager {
    private static final Logger LOG = LoggerFactory.getLogger(Stager.class);
    /** resize2fs may leave a tail too small for a block group's metadata; smaller differences are not growth. */
    static final long GROWTH_SLACK_BYTES = 4L << 20;

    private final DeviceLocator locator;
    private final FilesystemPlanner planner;
    private final BlockDevices devices;
    private final Formatter formatter;
    private final FilesystemChecker checker;
    private final Mounter mounter;
    private final FilesystemResizer resizer;
    private final Directories directories;

    public Stager(DeviceLocator locator, FilesystemPlanner planner, BlockDevices devices, Formatter formatter,
            FilesystemChecker checker, Mounter mounter, FilesystemResizer resizer, Directories directories) {
        this.locator = locator;
        this.planner = planner;
        this.devices = devices;
        this.formatter = formatter;
        this.checker = checker;
        this.mounter = mounter;
        this.resizer = resizer;
        this.directories = directories;
    }

    public void stage(String volumeId, String deviceName, Path staging, VolumeSpec spec) {
        BlockDevice disk = locator.locate(deviceName);
        if (spec.block()) {
            return; // a raw block volume is bound straight from the device at publish
        }
        Optional<MountInfo> current = Failures.call("reading the mount table", () -> mounter.mountAt(staging));
        if (current.isPresent()) {
            alreadyStaged(volumeId, disk, staging, spec, current.get());
            return;
        }
        FilesystemPlanner.Plan plan = planner.plan(volumeId, disk, spec);
        if (plan.format()) {
            LOG.info("volume {}: device {} is blank; formatting it as {}", volumeId, plan.device(), plan.fsType());
            Failures.run("formatting " + plan.device() + " as " + plan.fsType(),
                    () -> formatter.format(plan.device(), plan.fsType()));
        }
        boolean writable = !spec.readOnly();
        String fs = plan.fsType();
        if (writable && !plan.format() && fs.equals("xfs") && !resizer.supports(fs)) {
            throw CsiErrors.failedPrecondition("volume %s: device %s holds xfs, but xfs_growfs is not installed on "
                    + "this node", volumeId, plan.device());
        }
        if (writable && !plan.format() && checker.handles(fs)) {
            boolean growFirst = resizer.growsOffline(fs) && resizer.supports(fs) && needsGrowth(plan);
            check(volumeId, plan, growFirst);
            if (growFirst) {
                Failures.run("growing the " + fs + " filesystem on " + plan.device() + " to "
                        + devices.sizeBytes(plan.device()) + " bytes",
                        () -> resizer.growOffline(fs, plan.device().path()));
            }
        }
        directories.ensureDirectory("staging_target_path", staging);
        List<String> options = new ArrayList<>(spec.mountFlags());
        if (spec.readOnly()) {
            options.add("ro");
        }
        Failures.run("mounting " + plan.device() + " (" + fs + ") at " + staging,
                () -> mounter.mount(plan.device().path(), staging, fs, options));
        if (writable && !plan.format() && !resizer.growsOffline(fs) && resizer.supports(fs)) {
            try {
                Failures.run("growing the " + fs + " filesystem on " + plan.device() + " to "
                        + devices.sizeBytes(plan.device()) + " bytes",
                        () -> resizer.grow(fs, plan.device().path(), staging));
            } catch (RuntimeException e) {
                Failures.run("unmounting " + staging + " after a failed resize", () -> mounter.unmount(staging));
                throw e;
            }
        }
        LOG.info("volume {}: staged {} ({}{}) at {}", volumeId, plan.device(), plan.fsType(),
                spec.readOnly() ? ", read-only" : "", staging);
    }

    /** True when the device is larger than the filesystem by more than a trailing partial group. */
    private boolean needsGrowth(FilesystemPlanner.Plan plan) {
        long device = Failures.call("reading the size of " + plan.device(), () -> devices.sizeBytes(plan.device()));
        long fs = Failures.call("reading the size of the filesystem on " + plan.device(),
                () -> resizer.filesystemBytes(plan.fsType(), plan.device().path()));
        return device - fs > GROWTH_SLACK_BYTES;
    }

    private void check(String volumeId, FilesystemPlanner.Plan plan, boolean full) {
        FilesystemChecker.Result result = Failures.call("checking the filesystem on " + plan.device(),
                () -> checker.check(plan.device(), plan.fsType(), full));
        switch (result.outcome()) {
            case OK -> { }
            case DAMAGED -> throw CsiErrors.failedPrecondition("volume %s: the %s filesystem on %s has errors that a "
                    + "preen check cannot repair; it needs a manual fsck (it is never reformatted): %s", volumeId,
                    plan.fsType(), plan.device(), result.detail());
            case FAILED -> throw CsiErrors.internal("volume %s: checking the %s filesystem on %s failed: %s",
                    volumeId, plan.fsType(), plan.device(), result.detail());
            default -> throw new IllegalStateException(result.outcome().toString());
        }
    }

    private void alreadyStaged(String volumeId, BlockDevice disk, Path staging, VolumeSpec spec, MountInfo m) {
        boolean ours = disk.sameDevice(m.major(), m.minor());
        if (!ours && m.major() != 0) {
            ours = Failures.call("listing the partitions of " + disk, () -> devices.partitions(disk)).stream()
                    .anyMatch(p -> p.sameDevice(m.major(), m.minor()));
        }
        if (!ours) {
            throw CsiErrors.alreadyExists("volume %s: staging_target_path %s already has %s (%s, device %s) mounted, "
                    + "not device %s", volumeId, staging, m.source(), m.fsType(), m.device(), disk);
        }
        if (m.readOnly() != spec.readOnly()) {
            throw CsiErrors.alreadyExists("volume %s is already staged at %s %s; the request asks for %s", volumeId,
                    staging, m.readOnly() ? "read-only" : "read-write", spec.readOnly() ? "read-only" : "read-write");
        }
        if (!spec.fsType().isEmpty() && !spec.fsType().equals(m.fsType())) {
            throw CsiErrors.alreadyExists("volume %s is already staged at %s as %s; the request asks for fs_type %s",
                    volumeId, staging, m.fsType(), spec.fsType());
        }
    }

    public void unstage(String volumeId, Path staging) {
        if (!directories.exists(staging)) {
            return;
        }
        MountPoints.unmountAll(volumeId, "staging_target_path", staging, mounter);
        directories.removeIfEmpty("staging_target_path", staging);
    }
}
