package dev.imagedisk.csi.node;

import static dev.imagedisk.csi.node.DeviceLab.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.contract.PartitionChoice;
import dev.imagedisk.csi.device.BlkidInspector;
import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.DeviceFinder;
import dev.imagedisk.csi.device.DeviceNodes;
import dev.imagedisk.csi.device.E2fsckChecker;
import dev.imagedisk.csi.device.MkfsFormatter;
import dev.imagedisk.csi.device.SfdiskPartitionTables;
import dev.imagedisk.csi.device.SysfsBlockDevices;
import dev.imagedisk.csi.exec.CommandRunner;
import dev.imagedisk.csi.exec.Executables;
import dev.imagedisk.csi.mount.SyscallMounter;
import dev.imagedisk.csi.mount.ToolFilesystemResizer;
import dev.imagedisk.csi.mount.UtilLinuxMounter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The programs one NodeStageVolume runs, counted by an observer of the real adapters' CommandRunner on a loop
 * device: a boot-disk GPT image on a larger disk has its table read once and each device probed once.
 */
@Tag("integration")
class StageToolRunsTest {
    static final long MIB = 1L << 20;

    @RegisterExtension
    final DeviceLab lab = DeviceLab.perTest(
            "sfdisk, partx and mkfs.vfat (fdisk, util-linux, dosfstools) are needed", "sfdisk", "partx", "mkfs.vfat");

    @Test
    void aBootDiskStageReadsItsTableOnceAndProbesEachDeviceOnce() throws Exception {
        Path tree = Files.createDirectories(lab.files.resolve("tree"));
        Files.writeString(tree.resolve("VERSION"), "runtime 1\n");
        Path file = lab.files.resolve("boot.img");
        TestImages.bootDisk(file, 256 * MIB, tree);
        sh("truncate", "-s", Long.toString(512 * MIB), file.toString());
        BlockDevice disk = DeviceNodes.blockDevice(lab.attach(file, "boot")).orElseThrow();

        List<List<String>> ran = Collections.synchronizedList(new ArrayList<>());
        CommandRunner runner = new CommandRunner(Duration.ofSeconds(60), (command, ok, took) -> ran.add(command));
        SysfsBlockDevices devices = new SysfsBlockDevices();
        SfdiskPartitionTables partitions = new SfdiskPartitionTables(runner, devices);
        MkfsFormatter formatter = new MkfsFormatter(runner, Executables.fromEnvironment());
        DeviceFinder finder = new DeviceFinder() {
            @Override
            public Optional<BlockDevice> find(String deviceName) {
                return Optional.of(disk);
            }

            @Override
            public List<String> candidates(String deviceName) {
                return List.of(disk.path().toString());
            }
        };
        Stager stager = new Stager(
                new DeviceLocator(finder, Duration.ofSeconds(1)),
                new FilesystemPlanner(new BlkidInspector(runner, devices), partitions, formatter, "ext4"),
                devices,
                partitions,
                formatter,
                new E2fsckChecker(runner),
                new SyscallMounter(new UtilLinuxMounter(runner), (command, ok, took) -> {}),
                new ToolFilesystemResizer(runner, Executables.fromEnvironment()),
                new Directories());
        Path staging = lab.staging("pv-boot");
        String volume = "projects/p/zones/us-central1-a/disks/boot";
        stager.stage(volume, "boot", staging, new VolumeSpec(false, "", List.of(), false, false), PartitionChoice.AUTO);
        try {
            assertTrue(Files.exists(staging.resolve("VERSION")), "partition 1 is mounted");
            assertEquals(1, count(ran, "sfdisk", "--dump"), "sfdisk --dump runs: " + ran);
            assertEquals(4, count(ran, "blkid", null), "blkid runs (the disk and its 3 partitions): " + ran);
            assertEquals(1, count(ran, "sfdisk", "-N"), "the partition is resized once: " + ran);
        } finally {
            stager.unstage(volume, staging);
        }
    }

    private static long count(List<List<String>> ran, String program, String argument) {
        synchronized (ran) {
            return ran.stream()
                    .filter(c -> Path.of(c.get(0)).getFileName().toString().equals(program))
                    .filter(c -> argument == null || c.contains(argument))
                    .count();
        }
    }
}
