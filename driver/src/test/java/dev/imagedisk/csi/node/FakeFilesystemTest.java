package dev.imagedisk.csi.node;

import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.BlockDeviceInspector;
import dev.imagedisk.csi.device.FilesystemChecker;
import dev.imagedisk.csi.device.Formatter;
import dev.imagedisk.csi.fake.FakeDisks;
import dev.imagedisk.csi.fake.FakeMounter;
import dev.imagedisk.csi.mount.FilesystemResizer;
import dev.imagedisk.csi.mount.Mounter;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The filesystem and mount contract on the in-memory fake. */
class FakeFilesystemTest extends FilesystemContract {
    @TempDir
    Path dir;

    final FakeDisks disks = new FakeDisks();
    final FakeMounter mounter = new FakeMounter(disks);

    @Override
    Formatter formatter() {
        return disks;
    }

    @Override
    FilesystemChecker checker() {
        return disks;
    }

    @Override
    FilesystemResizer resizer() {
        return disks;
    }

    @Override
    Mounter mounter() {
        return mounter;
    }

    @Override
    BlockDeviceInspector inspector() {
        return disks;
    }

    @Override
    Path dir() {
        return dir;
    }

    @Override
    BlockDevice blankDisk(String name, long bytes) {
        return disks.disk(name, bytes).device;
    }

    @Override
    void growDisk(BlockDevice disk, long bytes) {
        disks.get(disk.name().substring("fake-".length())).grow(bytes);
    }

    @Override
    void damage(BlockDevice disk) {
        disks.fs(disk).damaged = true;
    }
}
