package dev.imagedisk.csi.node;

import static dev.imagedisk.csi.node.DeviceLab.sh;

import dev.imagedisk.csi.device.BlkidInspector;
import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.BlockDeviceInspector;
import dev.imagedisk.csi.device.DeviceNodes;
import dev.imagedisk.csi.device.E2fsckChecker;
import dev.imagedisk.csi.device.FilesystemChecker;
import dev.imagedisk.csi.device.Formatter;
import dev.imagedisk.csi.device.MkfsFormatter;
import dev.imagedisk.csi.device.SysfsBlockDevices;
import dev.imagedisk.csi.exec.CommandRunner;
import dev.imagedisk.csi.exec.Executables;
import dev.imagedisk.csi.mount.FilesystemResizer;
import dev.imagedisk.csi.mount.Mounter;
import dev.imagedisk.csi.mount.SyscallMounter;
import dev.imagedisk.csi.mount.ToolFilesystemResizer;
import dev.imagedisk.csi.mount.UtilLinuxMounter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The filesystem and mount contract on the Linux adapters (mkfs, e2fsck, resize2fs, mount(2)) and loop devices. */
@Tag("integration")
class LinuxFilesystemTest extends FilesystemContract {
    @RegisterExtension
    final DeviceLab lab = DeviceLab.perTest("debugfs and resize2fs (e2fsprogs) are needed", "debugfs", "resize2fs");

    final CommandRunner runner = new CommandRunner(Duration.ofSeconds(60));
    final Executables executables = Executables.fromEnvironment();
    final SyscallMounter mounter = new SyscallMounter(new UtilLinuxMounter(runner), (c, ok, t) -> {});
    final Map<BlockDevice, Path> files = new HashMap<>();

    @Override
    Formatter formatter() {
        return new MkfsFormatter(runner, executables);
    }

    @Override
    FilesystemChecker checker() {
        return new E2fsckChecker(runner);
    }

    @Override
    FilesystemResizer resizer() {
        return new ToolFilesystemResizer(runner, executables);
    }

    @Override
    Mounter mounter() {
        return mounter;
    }

    @Override
    BlockDeviceInspector inspector() {
        return new BlkidInspector(runner, new SysfsBlockDevices());
    }

    @Override
    Path dir() {
        return lab.root.resolve("mnt");
    }

    @Override
    BlockDevice blankDisk(String name, long bytes) throws Exception {
        Path file = lab.sparse(name + ".img", bytes);
        BlockDevice d = DeviceNodes.blockDevice(lab.attach(file, name)).orElseThrow();
        files.put(d, file);
        return d;
    }

    @Override
    void growDisk(BlockDevice disk, long bytes) throws Exception {
        sh("truncate", "-s", Long.toString(bytes), files.get(disk).toString());
        sh("losetup", "--set-capacity", disk.path().toString());
    }

    @Override
    void damage(BlockDevice disk) throws Exception {
        sh("debugfs", "-w", "-R", "clri <2>", disk.path().toString());
        sh("debugfs", "-w", "-R", "ssv state 2", disk.path().toString());
    }
}
