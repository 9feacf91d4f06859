package dev.imagedisk.csi.node;

import static dev.imagedisk.csi.node.DeviceLab.sh;

import dev.imagedisk.csi.device.BlkidInspector;
import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.BlockDeviceInspector;
import dev.imagedisk.csi.device.BlockDevices;
import dev.imagedisk.csi.device.ByIdDeviceFinder;
import dev.imagedisk.csi.device.DeviceFinder;
import dev.imagedisk.csi.device.DeviceNodes;
import dev.imagedisk.csi.device.IdentityByType;
import dev.imagedisk.csi.device.PartitionTables;
import dev.imagedisk.csi.device.SfdiskPartitionTables;
import dev.imagedisk.csi.device.SysfsBlockDevices;
import dev.imagedisk.csi.device.SysfsDiskScan;
import dev.imagedisk.csi.device.UdevTrigger;
import dev.imagedisk.csi.exec.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The device-layer contract on the Linux adapters (sysfs, blkid, sfdisk/partx) and real loop devices. */
@Tag("integration")
class LinuxDeviceLayerTest extends DeviceLayerContract {
    @RegisterExtension
    final DeviceLab lab = DeviceLab.perTest(
            "sfdisk, partx and mkfs.vfat (fdisk, util-linux, dosfstools) are needed", "sfdisk", "partx", "mkfs.vfat");

    final SysfsBlockDevices devices = new SysfsBlockDevices();
    final CommandRunner runner = new CommandRunner(Duration.ofSeconds(60));
    final Map<BlockDevice, Path> files = new HashMap<>();
    final Map<String, BlockDevice> byName = new HashMap<>();

    @Override
    BlockDevices devices() {
        return devices;
    }

    @Override
    BlockDeviceInspector inspector() {
        return new BlkidInspector(runner, devices);
    }

    @Override
    PartitionTables tables() {
        return new SfdiskPartitionTables(runner, devices);
    }

    private BlockDevice attach(Path file, String name) throws Exception {
        BlockDevice d = DeviceNodes.blockDevice(lab.attach(file, name)).orElseThrow();
        files.put(d, file);
        byName.put(name, d);
        return d;
    }

    @Override
    BlockDevice bootDisk(String name, long imageBytes, long diskBytes) throws Exception {
        Path tree = Files.createDirectories(lab.files.resolve("tree-" + name));
        Files.writeString(tree.resolve("VERSION"), "runtime 1\n");
        Path file = lab.files.resolve(name + ".img");
        TestImages.bootDisk(file, imageBytes, tree);
        sh("truncate", "-s", Long.toString(diskBytes), file.toString());
        return attach(file, name);
    }

    @Override
    BlockDevice mbrDisk(String name, long diskBytes) throws Exception {
        Path tree = Files.createDirectories(lab.files.resolve("tree-" + name));
        Files.writeString(tree.resolve("VERSION"), "runtime 1\n");
        Path file = lab.files.resolve(name + ".img");
        TestImages.mbr(file, 64 * MIB, tree);
        sh("truncate", "-s", Long.toString(diskBytes), file.toString());
        return attach(file, name);
    }

    @Override
    BlockDevice wholeDisk(String name, long bytes) throws Exception {
        Path file = lab.sparse(name + ".img", bytes);
        sh("mkfs.ext4", "-F", "-q", file.toString());
        return attach(file, name);
    }

    @Override
    void growDisk(BlockDevice disk, long bytes) throws Exception {
        sh("truncate", "-s", Long.toString(bytes), files.get(disk).toString());
        sh("losetup", "--set-capacity", disk.path().toString());
    }

    @Override
    DeviceFinder finder() {
        return new ByIdDeviceFinder(
                lab.deviceDir,
                IdentityByType.linux(Path.of("/sys")),
                new SysfsDiskScan(Path.of("/sys"), Path.of("/dev"), List.of(lab.attached)),
                UdevTrigger.NONE);
    }

    @Override
    void misLink(String deviceName, String other) throws Exception {
        lab.link(deviceName, byName.get(other).path());
    }
}
