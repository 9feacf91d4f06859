package dev.imagedisk.csi.node;

import dev.imagedisk.csi.contract.PartitionChoice;
import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.BlockDevices;
import dev.imagedisk.csi.device.FilesystemChecker;
import dev.imagedisk.csi.device.Formatter;
import dev.imagedisk.csi.device.PartitionTable;
import dev.imagedisk.csi.device.PartitionTables;
import dev.imagedisk.csi.mount.FilesystemResizer;
import dev.imagedisk.csi.mount.MountInfo;
import dev.imagedisk.csi.mount.Mounter;
import dev.imagedisk.csi.server.CsiErrors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NodeStageVolume and NodeUnstageVolume: mounts the disk's filesystem at the staging path, and takes it
 * away again. {@link FilesystemPlanner} chooses the device (whole disk or partition); a writable volume's
 * partition, when it is the last on the disk, is grown to the disk's end first; then the {@link StagePlan}
 * decided from what was found is carried out (format a blank disk, check, grow, mount).
 */
public final class Stager {
    private static final Logger LOG = LoggerFactory.getLogger(Stager.class);
    /** A partition ending within this many bytes of where it could end is not grown (alignment slack). */
    static final long PARTITION_SLACK_BYTES = 1L << 20;

    private final DeviceLocator locator;
    private final FilesystemPlanner planner;
    private final BlockDevices devices;
    private final PartitionTables partitions;
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
        this.partitions = partitions;
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
            device = growPartition(volumeId, chosen.placement(), device);
        }
        StagePlan plan = StagePlan.decide(volumeId, device.toString(), spec, facts(chosen, device, spec));
        execute(volumeId, device, chosen.fsType(), staging, plan);
        LOG.info(
                "volume {}: staged {} ({}{}) at {}",
                volumeId,
                device,
                chosen.fsType(),
                spec.readOnly() ? ", read-only" : "",
                staging);
    }

    /** The partition grown to the disk's end when it is the last one; otherwise left at its own size. */
    private BlockDevice growPartition(String volumeId, FilesystemPlanner.Placement placement, BlockDevice device) {
        PartitionTable table = placement.table();
        PartitionTable.Partition p = placement.partition();
        BlockDevice disk = placement.disk();
        if (!placement.last()) {
            LOG.info(
                    "volume {}: partition {} of {} is not the last one on the disk, so it is mounted at its own size "
                            + "({} of {} bytes); the disk's other space is left as it is",
                    volumeId,
                    p.number(),
                    disk,
                    table.bytes(p.sectors()),
                    table.bytes(table.diskSectors()));
            return device;
        }
        long room = table.bytes(table.lastSectorAtFullSize() - p.end());
        if (room <= PARTITION_SLACK_BYTES && table.lastUsableSector() >= table.lastSectorAtFullSize()) {
            return device;
        }
        PartitionTable grown = Failures.call(
                "growing partition " + p.number() + " of " + disk + " to the disk's end",
                () -> partitions.growToEnd(disk, p.number()));
        Map<Integer, BlockDevice> kernel = Failures.call(
                "telling the kernel the new size of partition " + p.number() + " of " + disk,
                () -> partitions.syncKernel(disk, grown));
        long to = grown.partition(p.number()).map(q -> grown.bytes(q.sectors())).orElse(-1L);
        LOG.info(
                "volume {}: grew partition {} of {} from {} to {} bytes ({} table{})",
                volumeId,
                p.number(),
                disk,
                table.bytes(p.sectors()),
                to,
                table.label(),
                table.gpt() ? ", backup header at the disk's end" : "");
        return kernel.getOrDefault(p.number(), device);
    }

    private StagePlan.Facts facts(FilesystemPlanner.Plan chosen, BlockDevice device, VolumeSpec spec) {
        String fs = chosen.fsType();
        boolean offline = resizer.growsOffline(fs);
        boolean resizable = resizer.supports(fs);
        long deviceBytes = -1;
        long fsBytes = -1;
        if (!spec.readOnly() && !chosen.format() && offline && resizable && checker.handles(fs)) {
            deviceBytes = Failures.call("reading the size of " + device, () -> devices.sizeBytes(device));
            fsBytes = Failures.call(
                    "reading the size of the filesystem on " + device,
                    () -> resizer.filesystemBytes(fs, device.path()));
        }
        return new StagePlan.Facts(fs, chosen.format(), checker.handles(fs), resizable, offline, deviceBytes, fsBytes);
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
