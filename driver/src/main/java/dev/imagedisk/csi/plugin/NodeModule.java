package dev.imagedisk.csi.plugin;

import dev.imagedisk.csi.device.BlkidInspector;
import dev.imagedisk.csi.device.ByIdDeviceFinder;
import dev.imagedisk.csi.device.E2fsckChecker;
import dev.imagedisk.csi.device.IdentityByType;
import dev.imagedisk.csi.device.MkfsFormatter;
import dev.imagedisk.csi.device.SfdiskPartitionTables;
import dev.imagedisk.csi.device.SysfsBlockDevices;
import dev.imagedisk.csi.device.SysfsDiskScan;
import dev.imagedisk.csi.device.UdevadmTrigger;
import dev.imagedisk.csi.exec.CommandRunner;
import dev.imagedisk.csi.exec.Executables;
import dev.imagedisk.csi.metadata.MetadataClient;
import dev.imagedisk.csi.metrics.DriverMetrics;
import dev.imagedisk.csi.metrics.NodeOperationMetrics;
import dev.imagedisk.csi.mount.StatFilesystemStats;
import dev.imagedisk.csi.mount.StatvfsFilesystemStats;
import dev.imagedisk.csi.mount.SyscallMounter;
import dev.imagedisk.csi.mount.ToolFilesystemResizer;
import dev.imagedisk.csi.mount.UtilLinuxMounter;
import dev.imagedisk.csi.node.DeviceLocator;
import dev.imagedisk.csi.node.Directories;
import dev.imagedisk.csi.node.Expander;
import dev.imagedisk.csi.node.FilesystemPlanner;
import dev.imagedisk.csi.node.NodeIdentity;
import dev.imagedisk.csi.node.NodeService;
import dev.imagedisk.csi.node.NodeToolsCheck;
import dev.imagedisk.csi.node.PathPolicy;
import dev.imagedisk.csi.node.Publisher;
import dev.imagedisk.csi.node.Stager;
import dev.imagedisk.csi.node.VolumeAtPath;
import dev.imagedisk.csi.node.VolumeStatsReader;
import dev.imagedisk.csi.server.InFlight;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** Builds the node service and what it stands on. */
public final class NodeModule {
    static final Set<String> FORMATTABLE = Set.copyOf(dev.imagedisk.csi.contract.FsTypes.SUPPORTED);
    /** Longest a udevadm trigger may run (it only asks udev to remake a link). */
    static final Duration UDEV_TRIGGER_LIMIT = Duration.ofSeconds(10);

    private NodeModule() {}

    public static ServicePart create(DriverConfig config, DriverMetrics metrics) {
        NodeOptions options = config.node();
        CloudOptions cloud = config.cloud();
        if (!FORMATTABLE.contains(options.defaultFsType)) {
            throw new IllegalArgumentException(
                    "--default-fs-type must be one of " + FORMATTABLE + ", not " + options.defaultFsType);
        }
        Executables executables = Executables.fromEnvironment();
        NodeOperationMetrics operations = new NodeOperationMetrics(metrics);
        CommandRunner runner = new CommandRunner(options.commandTimeout, operations);
        SysfsBlockDevices devices = new SysfsBlockDevices();
        SyscallMounter mounter = new SyscallMounter(new UtilLinuxMounter(runner), operations);
        MkfsFormatter formatter = new MkfsFormatter(runner, executables);
        ToolFilesystemResizer resizer = new ToolFilesystemResizer(runner, executables);
        Directories directories = new Directories();
        // udev gets a short leash: a trigger only nudges it to (re)make a link
        CommandRunner udevRunner = new CommandRunner(UDEV_TRIGGER_LIMIT, operations);
        ByIdDeviceFinder finder = new ByIdDeviceFinder(
                options.deviceDir,
                IdentityByType.linux(Path.of("/sys")),
                new SysfsDiskScan(Path.of("/sys"), Path.of("/dev"), options.loopDiskDirs),
                new UdevadmTrigger(udevRunner, executables));
        DeviceLocator locator = new DeviceLocator(finder, options.deviceWait);
        VolumeAtPath volumeAtPath = new VolumeAtPath(finder, devices);
        SfdiskPartitionTables partitions = new SfdiskPartitionTables(runner, devices);
        FilesystemPlanner planner = new FilesystemPlanner(
                new BlkidInspector(runner, devices), partitions, formatter, options.defaultFsType);
        Stager stager = new Stager(
                locator,
                planner,
                devices,
                partitions,
                formatter,
                new E2fsckChecker(runner),
                mounter,
                resizer,
                directories);
        Publisher publisher = new Publisher(locator, mounter, directories);
        VolumeStatsReader stats = new VolumeStatsReader(
                mounter,
                new StatvfsFilesystemStats(new StatFilesystemStats(runner)),
                devices,
                directories,
                volumeAtPath);
        Expander expander = new Expander(mounter, devices, partitions, resizer, directories, volumeAtPath);
        NodeIdentity identity = new NodeIdentity(
                options.nodeId,
                cloud.zone,
                options.maxVolumesPerNode,
                new MetadataClient(cloud.metadataEndpoint, Duration.ofSeconds(2)));
        NodeService service = new NodeService(
                new PathPolicy(options.kubeletDir), stager, publisher, stats, expander, identity, new InFlight());
        return new ServicePart(service, List.of(new NodeToolsCheck(executables)), () -> {});
    }
}
