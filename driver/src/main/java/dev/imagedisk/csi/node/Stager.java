package dev.imagedisk.csi.node;

import dev.imagedisk.csi.contract.PartitionChoice;
import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.BlockDevices;
import dev.imagedisk.csi.device.FilesystemChecker;
import dev.imagedisk.csi.device.Formatter;
import dev.imagedisk.csi.device.PartitionTables;
import dev.imagedisk.csi.mount.FilesystemResizer;
import dev.imagedisk.csi.mount.MountInfo;
import dev.imagedisk.csi.mount.Mounter;
import dev.imagedisk.csi.server.CsiErrors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NodeStageVolume and NodeUnstageVolume: mounts the disk's filesystem at the staging path, and takes it
 * away again. {@link FilesystemPlanner} chooses the device (whole disk or partition); a writable volume's
 * partition is given to {@link PartitionGrower} first; then the {@link StagePlan} decided from what was found is
 * carried out (format a blank disk, check, grow, mount).
 */
public final class Stager {
    private static final Logger LOG = LoggerFactory.getLogger(Stager.class);

    private final DeviceLocator locator;
    private final FilesystemPlanner planner;
    private final BlockDevices devices;
    private final PartitionGrower grower;
    private final Formatter formatter;
    private final FilesystemChecker checker;
    private final Mounter mounter;
    private final FilesystemResizer resizer;
    private final Directories directories;

    public Stager(
            DeviceLocator locator,
            FilesystemPlanner planner,
            BlockDevices devices,
            PartitionTables partitions,
            Formatter formatter,
            FilesystemChecker checker,
            Mounter mounter,
            FilesystemResizer resizer,
            Directories directories) {
        this.locator = locator;
        this.planner = planner;
        this.devices = devices;
        this.grower = new PartitionGrower(partitions);
        this.formatter = formatter;
        this.checker = checker;
        this.mounter = mounter;
        this.resizer = resizer;
        this.directories = directories;
    }

    public void stage(String volumeId, String deviceName, Path staging, VolumeSpec spec, PartitionChoice choice) {
        BlockDevice disk = locator.locate(deviceName);
        if (spec.block()) {
            return; // a raw block volume is bound straight from the (whole) device at publish
        }
        Optional<MountInfo> current = Failures.call("reading the mount table", () -> mounter.mountAt(staging));
        if (current.isPresent()) {
            alreadyStaged(volumeId, disk, staging, spec, current.get());
            return;
        }
        requireNotStagedElsewhere(volumeId, disk, staging);
        FilesystemPlanner.Plan chosen = planner.plan(volumeId, disk, spec, choice);
        BlockDevice device = chosen.device();
        if (chosen.placement() != null && !spec.readOnly()) {
            device = grower.grow(volumeId, chosen.placement(), device).device();
        }
        StagePlan plan = StagePlan.decide(volumeId, device.toString(), spec, facts(chosen, device));
        execute(volumeId, device, chosen.fsType(), staging, plan);
        LOG.info(
                "volume {}: staged {} ({}{}) at {}",
                volumeId,
                device,
                chosen.fsType(),
                spec.readOnly() ? ", read-only" : "",
                staging);
    }

    /** What {@link StagePlan} may ask about the device: its size and its filesystem's, read only when asked. */
    private StagePlan.Facts facts(FilesystemPlanner.Plan chosen, BlockDevice device) {
        String fs = chosen.fsType();
        return new StagePlan.Facts(
                fs,
                chosen.format(),
                checker.handles(fs),
                resizer.supports(fs),
                resizer.growsOffline(fs),
                new StagePlan.Sizes() {
                    @Override
                    public long deviceBytes() {
                        return Failures.call("reading the size of " + device, () -> devices.sizeBytes(device));
                    }

                    @Override
                    public long filesystemBytes() {
                        return Failures.call(
                                "reading the size of the filesystem on " + device,
                                () -> resizer.filesystemBytes(fs, device.path()));
                    }
                });
    }

    private void execute(String volumeId, BlockDevice device, String fs, Path staging, StagePlan plan) {
        if (plan.format()) {
            LOG.info("volume {}: device {} is blank; formatting it as {}", volumeId, device, fs);
            Failures.run("formatting " + device + " as " + fs, () -> formatter.format(device, fs));
        }
        if (plan.check() != StagePlan.Check.NONE) {
            check(volumeId, device, fs, plan.check() == StagePlan.Check.FULL);
        }
        if (plan.growOffline()) {
            Failures.run(
                    "growing the " + fs + " filesystem on " + device + " to " + devices.sizeBytes(device) + " bytes",
                    () -> resizer.growOffline(fs, device.path()));
        }
        directories.ensureDirectory("staging_target_path", staging);
        Failures.run(
                "mounting " + device + " (" + fs + ") at " + staging,
                () -> mounter.mount(device.path(), staging, fs, plan.mountOptions()));
        if (plan.growOnline()) {
            try {
                Failures.run(
                        "growing the " + fs + " filesystem on " + device + " to " + devices.sizeBytes(device)
                                + " bytes",
                        () -> resizer.grow(fs, device.path(), staging));
            } catch (RuntimeException e) {
                Failures.run("unmounting " + staging + " after a failed resize", () -> mounter.unmount(staging));
                throw e;
            }
        }
    }

    private void check(String volumeId, BlockDevice device, String fs, boolean full) {
        FilesystemChecker.Result result =
                Failures.call("checking the filesystem on " + device, () -> checker.check(device, fs, full));
        switch (result.outcome()) {
            case OK -> {}
            case DAMAGED ->
                throw CsiErrors.failedPrecondition(
                        "volume %s: the %s filesystem on %s has errors left "
                                + "uncorrected by a preen check; it is never reformatted. Repair it by hand on the node (%s), "
                                + "then stage again: %s",
                        volumeId, fs, device, checker.manualCommand(device, fs), result.detail());
            case FAILED ->
                throw CsiErrors.internal(
                        "volume %s: checking the %s filesystem on %s failed: %s",
                        volumeId, fs, device, result.detail());
            default -> throw new IllegalStateException(result.outcome().toString());
        }
    }

    /** A disk (or one of its partitions) mounted at another path is already staged there. */
    private void requireNotStagedElsewhere(String volumeId, BlockDevice disk, Path staging) {
        List<BlockDevice> ours = new ArrayList<>();
        ours.add(disk);
        ours.addAll(Failures.call("listing the partitions of " + disk, () -> devices.partitions(disk)));
        List<String> where = new ArrayList<>();
        for (MountInfo m : Failures.call("reading the mount table", mounter::mounts)) {
            if (!m.mountPoint().equals(staging) && ours.stream().anyMatch(d -> d.sameDevice(m.major(), m.minor()))) {
                where.add(m.mountPoint().toString());
            }
        }
        if (!where.isEmpty()) {
            throw CsiErrors.failedPrecondition(
                    "volume %s: its device %s is already mounted at %s (staged at another "
                            + "path); unstage it there before staging it at %s",
                    volumeId, disk, String.join(", ", where), staging);
        }
    }

    private void alreadyStaged(String volumeId, BlockDevice disk, Path staging, VolumeSpec spec, MountInfo m) {
        boolean ours = disk.sameDevice(m.major(), m.minor());
        if (!ours && m.major() != 0) {
            ours = Failures.call("listing the partitions of " + disk, () -> devices.partitions(disk)).stream()
                    .anyMatch(p -> p.sameDevice(m.major(), m.minor()));
        }
        if (!ours) {
            throw CsiErrors.alreadyExists(
                    "volume %s: staging_target_path %s already has %s (%s, device %s) mounted, " + "not device %s",
                    volumeId, staging, m.source(), m.fsType(), m.device(), disk);
        }
        MountPoints.requireSameAccess(volumeId, "staged", staging, m, spec.readOnly());
        if (!spec.fsType().isEmpty() && !spec.fsType().equals(m.fsType())) {
            throw CsiErrors.alreadyExists(
                    "volume %s is already staged at %s as %s; the request asks for fs_type %s",
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
