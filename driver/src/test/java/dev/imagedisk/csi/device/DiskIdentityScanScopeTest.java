package dev.imagedisk.csi.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The identity scan takes only loop devices really inside --loop-disk-dir, and only when they still are. */
class DiskIdentityScanScopeTest {
    @TempDir
    Path tmp;

    @Test
    void aBackingFileIsInsideADirOnlyByWholePathComponents() {
        List<Path> dirs = List.of(Path.of("/tmp/lab-1/attached"));
        assertTrue(SysfsDiskScan.isInside(Path.of("/tmp/lab-1/attached/3/disk-slow"), dirs));
        assertFalse(SysfsDiskScan.isInside(Path.of("/tmp/lab-1/attached-2/3/disk-slow"), dirs), "prefix only");
        assertFalse(SysfsDiskScan.isInside(Path.of("/tmp/lab-10/attached/3/disk-slow"), dirs), "prefix only");
        assertFalse(SysfsDiskScan.isInside(Path.of("/tmp/lab-1/attached/../x/disk-slow"), dirs), "not normal");
        assertFalse(SysfsDiskScan.isInside(Path.of("/tmp/lab-1/attached"), dirs), "the dir itself");
        assertFalse(SysfsDiskScan.isInside(Path.of("tmp/lab-1/attached/3/disk-slow"), dirs), "relative");
    }

    @Test
    void aLoopDeviceRescopedBetweenScanAndNameReadIsNotTaken() {
        BlockDevice loop = new BlockDevice(Path.of("/dev/loop7"), "loop7", 7, 7);
        // at the scan the loop was ours; by the time its name is read it is bound to another run's disk-slow
        List<String> events = new ArrayList<>();
        DiskScan scan = new DiskScan() {
            @Override
            public List<BlockDevice> disks() {
                events.add("scan");
                return List.of(loop);
            }

            @Override
            public boolean stillOneOfUs(BlockDevice disk) {
                events.add("rescan");
                return false;
            }
        };
        DiskIdentity identity = d -> {
            events.add("name");
            return DiskIdentity.Reading.named("disk-slow", "backing file /tmp/other-run/attached/1/disk-slow");
        };
        ByIdDeviceFinder finder = new ByIdDeviceFinder(tmp, identity, scan, UdevTrigger.NONE);
        assertEquals(Optional.empty(), finder.find("disk-slow"));
        assertEquals(List.of("scan", "name", "rescan"), events, "scope asked again after the name was read");
    }
}
