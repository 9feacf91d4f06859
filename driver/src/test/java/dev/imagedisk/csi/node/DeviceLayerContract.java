package dev.imagedisk.csi.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.BlockDeviceInspector;
import dev.imagedisk.csi.device.BlockDevices;
import dev.imagedisk.csi.device.DeviceContent;
import dev.imagedisk.csi.device.DeviceFinder;
import dev.imagedisk.csi.device.PartitionTable;
import dev.imagedisk.csi.device.PartitionTables;
import dev.imagedisk.csi.device.WrongDeviceException;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What the node expects of its device ports (BlockDevices, BlockDeviceInspector, PartitionTables, DeviceFinder), run against
 * the in-memory fake and against the Linux adapters on loop devices, so the fake stays honest.
 */
abstract class DeviceLayerContract {
    static final long MIB = 1L << 20;

    abstract BlockDevices devices();

    abstract BlockDeviceInspector inspector();

    abstract PartitionTables tables();

    /** A boot-disk-like GPT image of {@code imageBytes} (p14 BIOS boot, p15 vfat, p1 ext4) on a larger disk. */
    abstract BlockDevice bootDisk(String name, long imageBytes, long diskBytes) throws Exception;

    /** An MBR disk of {@code diskBytes} whose one Linux partition (from 1 MiB, ext4) ends where a 64 MiB image did. */
    abstract BlockDevice mbrDisk(String name, long diskBytes) throws Exception;

    /** A disk holding an ext4 filesystem on the whole disk. */
    abstract BlockDevice wholeDisk(String name, long bytes) throws Exception;

    /** Grows the disk under {@code disk} (as ControllerExpandVolume does). */
    abstract void growDisk(BlockDevice disk, long bytes) throws Exception;

    /** Finds the disks made above by their names. */
    abstract DeviceFinder finder();

    /** Points {@code deviceName}'s link at disk {@code other}'s device (a stale link on a reused device). */
    abstract void misLink(String deviceName, String other) throws Exception;

    @Test
    void anAttachedDiskIsFoundByItsDeviceNameAndAnUnknownNameIsAbsent() throws Exception {
        BlockDevice disk = wholeDisk("ct-found", 64 * MIB);
        assertEquals(Optional.of(disk), finder().find("ct-found"));
        assertTrue(finder().find("ct-absent").isEmpty());
    }

    @Test
    void aLinkToAnotherDiskIsRefusedNamingTheLinkAndTheOtherDisk() throws Exception {
        wholeDisk("ct-mine", 64 * MIB);
        BlockDevice other = wholeDisk("ct-theirs", 64 * MIB);
        misLink("ct-mine", "ct-theirs");
        WrongDeviceException e = assertThrows(WrongDeviceException.class, () -> finder().find("ct-mine"));
        assertTrue(e.getMessage().contains("google-ct-mine"), e.getMessage());
        assertTrue(e.getMessage().contains("ct-theirs"), e.getMessage());
        assertTrue(e.getMessage().contains(other.path().toString()), e.getMessage());
        assertEquals(Optional.of(other), finder().find("ct-theirs"), "the other disk is still found as itself");
    }

    @Test
    void aBootDiskReadsAsItsTableWithTheBackupHeaderWhereTheImageEnded() throws Exception {
        BlockDevice disk = bootDisk("ct-read", 256 * MIB, 512 * MIB);
        assertEquals(new DeviceContent.PartitionTable("gpt"), inspector().inspect(disk));
        PartitionTable t = tables().read(disk).orElseThrow();
        assertEquals("gpt", t.label());
        assertEquals(512, t.sectorSize());
        assertEquals(512 * MIB / 512, t.diskSectors());
        assertEquals(256 * MIB / 512 - 34, t.lastUsableSector());
        assertEquals(3, t.partitions().size());
        assertEquals(1, t.last().orElseThrow().number());
        assertEquals(2048, t.partition(14).orElseThrow().sectors());
        assertEquals(4096, t.partition(15).orElseThrow().start());
    }

    @Test
    void theKernelIsToldOfThePartitionsAndTheirContentIsSeen() throws Exception {
        BlockDevice disk = bootDisk("ct-sync", 256 * MIB, 256 * MIB);
        PartitionTable t = tables().read(disk).orElseThrow();
        Map<Integer, BlockDevice> parts = tables().syncKernel(disk, t);
        assertEquals(java.util.Set.of(1, 14, 15), parts.keySet());
        assertEquals(3, devices().partitions(disk).size());
        assertEquals(new DeviceContent.Filesystem("ext4"), inspector().inspect(parts.get(1)));
        assertEquals(new DeviceContent.Filesystem("vfat"), inspector().inspect(parts.get(15)));
        assertInstanceOf(DeviceContent.Blank.class, inspector().inspect(parts.get(14)));
        for (PartitionTable.Partition p : t.partitions()) {
            assertEquals(p.sectors() * 512, devices().sizeBytes(parts.get(p.number())));
            assertEquals(
                    disk,
                    devices().partitionOf(parts.get(p.number())).orElseThrow().disk());
            assertEquals(
                    p.number(),
                    devices().partitionOf(parts.get(p.number())).orElseThrow().number());
        }
        assertEquals(parts, tables().syncKernel(disk, t), "a second sync changes nothing");
        assertTrue(devices().partitionOf(disk).isEmpty(), "a whole disk is no partition");
    }

    @Test
    void theBackupHeaderMovesAndTheLastPartitionGrowsAsAskedAndNothingElseChanges() throws Exception {
        BlockDevice disk = bootDisk("ct-grow", 256 * MIB, 256 * MIB);
        Map<Integer, BlockDevice> parts =
                tables().syncKernel(disk, tables().read(disk).orElseThrow());
        growDisk(disk, 512 * MIB);
        PartitionTable before = tables().read(disk).orElseThrow();
        long p1Bytes = devices().sizeBytes(parts.get(1));
        PartitionTable relocated = tables().relocateBackupHeader(disk, before);
        assertEquals(relocated.lastSectorAtFullSize(), relocated.lastUsableSector(), "the backup header moved");
        assertEquals(relocated, tables().read(disk).orElseThrow(), "the table returned is the one on the disk");
        long start = before.partition(1).orElseThrow().start();
        PartitionTable after = tables().resize(disk, relocated, 1, relocated.lastSectorAtFullSize() - start + 1);
        assertEquals(after, tables().read(disk).orElseThrow(), "the table returned is the one on the disk");
        assertEquals(
                after.lastSectorAtFullSize(), after.partition(1).orElseThrow().end());
        assertEquals(start, after.partition(1).orElseThrow().start());
        assertEquals(before.partition(14), after.partition(14));
        assertEquals(before.partition(15), after.partition(15));
        assertEquals(p1Bytes, devices().sizeBytes(parts.get(1)), "the kernel keeps the old size until told");
        Map<Integer, BlockDevice> synced = tables().syncKernel(disk, after);
        assertEquals(after.partition(1).orElseThrow().sectors() * 512, devices().sizeBytes(synced.get(1)));
    }

    @Test
    void anMbrPartitionIsResizedToExactlyTheSectorsAsked() throws Exception {
        BlockDevice disk = mbrDisk("ct-mbr", 3L << 40);
        PartitionTable before = tables().read(disk).orElseThrow();
        assertEquals("dos", before.label());
        assertEquals(2048, before.partition(1).orElseThrow().start());
        assertEquals(PartitionTable.MBR_LIMIT_SECTORS - 1, before.lastSectorAtFullSize());
        PartitionTable after = tables().resize(disk, before, 1, PartitionTable.MBR_LIMIT_SECTORS - 2048);
        assertEquals(
                PartitionTable.MBR_LIMIT_SECTORS - 1,
                after.partition(1).orElseThrow().end());
        assertEquals(after, tables().read(disk).orElseThrow(), "the table returned is the one on the disk");
    }

    @Test
    void aWholeDiskFilesystemHasNoTable() throws Exception {
        BlockDevice disk = wholeDisk("ct-whole", 64 * MIB);
        assertTrue(tables().read(disk).isEmpty());
        assertEquals(new DeviceContent.Filesystem("ext4"), inspector().inspect(disk));
    }
}
