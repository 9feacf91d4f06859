package dev.imagedisk.csi.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.BlockDeviceInspector;
import dev.imagedisk.csi.device.DeviceContent;
import dev.imagedisk.csi.device.FilesystemChecker;
import dev.imagedisk.csi.device.Formatter;
import dev.imagedisk.csi.mount.FilesystemResizer;
import dev.imagedisk.csi.mount.MountInfo;
import dev.imagedisk.csi.mount.Mounter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the node expects of its filesystem and mount ports (Formatter, FilesystemChecker, FilesystemResizer,
 * Mounter), run against the in-memory fake and against the Linux adapters on loop devices.
 */
abstract class FilesystemContract {
    static final long MIB = 1L << 20;

    abstract Formatter formatter();

    abstract FilesystemChecker checker();

    abstract FilesystemResizer resizer();

    abstract Mounter mounter();

    abstract BlockDeviceInspector inspector();

    /** A directory for mount points. */
    abstract Path dir();

    abstract BlockDevice blankDisk(String name, long bytes) throws Exception;

    abstract void growDisk(BlockDevice disk, long bytes) throws Exception;

    /** Damages the (unmounted) ext4 filesystem on {@code disk} beyond what a preen check repairs. */
    abstract void damage(BlockDevice disk) throws Exception;

    @Test
    void aBlankDiskIsFormattedToItsSize() throws Exception {
        BlockDevice disk = blankDisk("fs-format", 64 * MIB);
        assertEquals(new DeviceContent.Blank(), inspector().inspect(disk));
        assertTrue(formatter().supports("ext4"));
        formatter().format(disk, "ext4");
        assertEquals(new DeviceContent.Filesystem("ext4"), inspector().inspect(disk));
        long bytes = resizer().filesystemBytes("ext4", disk.path());
        assertTrue(bytes <= 64 * MIB && bytes > 60 * MIB, "filesystem " + bytes);
        assertEquals(
                FilesystemChecker.Outcome.OK,
                checker().check(disk, "ext4", true).outcome());
    }

    @Test
    void mountsBindsAndUnmountsAsTheKernelDoes() throws Exception {
        BlockDevice disk = blankDisk("fs-mount", 64 * MIB);
        formatter().format(disk, "ext4");
        Path a = Files.createDirectories(dir().resolve("a"));
        Path b = Files.createDirectories(dir().resolve("b"));
        assertThrows(
                RuntimeException.class,
                () -> mounter().mount(disk.path(), dir().resolve("missing"), "ext4", List.of()),
                "a missing mount point");
        assertThrows(
                RuntimeException.class,
                () -> mounter().mount(disk.path(), a, "xfs", List.of()),
                "the wrong filesystem type");
        assertTrue(mounter().mountAt(a).isEmpty());
        mounter().mount(disk.path(), a, "ext4", List.of());
        MountInfo m = mounter().mountAt(a).orElseThrow();
        assertTrue(disk.sameDevice(m.major(), m.minor()), m.toString());
        assertEquals("ext4", m.fsType());
        assertFalse(m.readOnly());
        mounter().bindMount(a, b, true);
        MountInfo bound = mounter().mountAt(b).orElseThrow();
        assertTrue(bound.readOnly());
        assertTrue(disk.sameDevice(bound.major(), bound.minor()));
        assertEquals(m.root(), bound.root());
        mounter().unmount(b);
        mounter().unmount(a);
        assertTrue(mounter().mountAt(a).isEmpty());
        assertTrue(mounter().mountAt(b).isEmpty());
        assertThrows(RuntimeException.class, () -> mounter().unmount(a), "nothing mounted");
    }

    @Test
    void anOfflineGrowAfterAMountAndAFullCheckSpansTheGrownDisk() throws Exception {
        BlockDevice disk = blankDisk("fs-grow", 64 * MIB);
        formatter().format(disk, "ext4");
        Path a = Files.createDirectories(dir().resolve("g"));
        mounter().mount(disk.path(), a, "ext4", List.of());
        mounter().unmount(a);
        growDisk(disk, 128 * MIB);
        assertTrue(resizer().growsOffline("ext4"));
        // resize2fs refuses a filesystem mounted since its last check (when the clock has moved on), so the
        // stager always checks fully first; the fake refuses always
        assertEquals(
                FilesystemChecker.Outcome.OK,
                checker().check(disk, "ext4", true).outcome());
        resizer().growOffline("ext4", disk.path());
        long bytes = resizer().filesystemBytes("ext4", disk.path());
        assertTrue(bytes > 124 * MIB && bytes <= 128 * MIB, "grown to " + bytes);
    }

    @Test
    void damageAPreenCannotRepairIsDamagedAndNamesTheCommand() throws Exception {
        BlockDevice disk = blankDisk("fs-bad", 64 * MIB);
        formatter().format(disk, "ext4");
        damage(disk);
        assertEquals(
                FilesystemChecker.Outcome.DAMAGED,
                checker().check(disk, "ext4", false).outcome());
        assertEquals("e2fsck -f " + disk.path(), checker().manualCommand(disk, "ext4"));
    }
}
