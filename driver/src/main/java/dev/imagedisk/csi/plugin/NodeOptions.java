package dev.imagedisk.csi.plugin;

import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Flags of the node service. */
public final class NodeOptions {
    @Option(
            names = "--node-id",
            paramLabel = "projects/P/zones/Z/instances/NAME",
            description = "This node's instance. Default: from the metadata server.")
    public String nodeId;

    @Option(
            names = "--kubelet-dir",
            paramLabel = "DIR",
            defaultValue = "/var/lib/kubelet",
            description = "Staging and target paths must lie under this directory (default: ${DEFAULT-VALUE}).")
    public Path kubeletDir = Path.of("/var/lib/kubelet");

    @Option(
            names = "--device-dir",
            paramLabel = "DIR",
            defaultValue = "/dev/disk/by-id",
            description = "Where attached disks appear as google-NAME links (default: ${DEFAULT-VALUE}).")
    public Path deviceDir = Path.of("/dev/disk/by-id");

    @Option(
            names = "--device-wait",
            paramLabel = "DURATION",
            defaultValue = "30s",
            converter = DurationConverter.class,
            description =
                    "How long NodeStageVolume waits for an attached disk's device to appear (default: ${DEFAULT-VALUE}).")
    public Duration deviceWait = Duration.ofSeconds(30);

    @Option(
            names = "--loop-disk-dir",
            paramLabel = "DIR",
            description = "Loop devices bound to a file under DIR are attached disks named by their backing file's "
                    + "name, found by that name when a disk's link is missing (the Compute Engine emulator's "
                    + "attachment directory; never needed on Compute Engine). Repeatable.")
    public java.util.List<Path> loopDiskDirs = new java.util.ArrayList<>();

    @Option(
            names = "--max-volumes-per-node",
            paramLabel = "N",
            defaultValue = "0",
            description = "Volumes this node can attach; 0 means by machine type (default: ${DEFAULT-VALUE}).")
    public int maxVolumesPerNode = 0;

    @Option(
            names = "--command-timeout",
            paramLabel = "DURATION",
            defaultValue = "5m",
            converter = DurationConverter.class,
            description = "Longest an external program (mount, mkfs, e2fsck, resize2fs, ...) may run when the call "
                    + "has no earlier deadline (default: ${DEFAULT-VALUE}).")
    public Duration commandTimeout = Duration.ofMinutes(5);

    @Option(
            names = "--default-fs-type",
            paramLabel = "ext4|ext3|xfs",
            defaultValue = "ext4",
            description = "Filesystem made on a blank disk when the volume capability names none "
                    + "(default: ${DEFAULT-VALUE}).")
    public String defaultFsType = "ext4";
}
