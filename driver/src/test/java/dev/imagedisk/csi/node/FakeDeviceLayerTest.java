package dev.imagedisk.csi.node;

import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.BlockDeviceInspector;
import dev.imagedisk.csi.device.BlockDevices;
import dev.imagedisk.csi.device.DeviceFinder;
import dev.imagedisk.csi.device.PartitionTables;
import dev.imagedisk.csi.fake.FakeDisks;

/** The device-layer contract on the in-memory fake. */
class FakeDeviceLayerTest extends DeviceLayerContract {
    final FakeDisks disks = new FakeDisks();

    @Override
    BlockDevices devices() {
        return disks;
    }

    @Override
    BlockDeviceInspector inspector() {
        return disks;
    }

    @Override
    PartitionTables tables() {
        return disks;
    }

    @Override
    BlockDevice bootDisk(String name, long imageBytes, long diskBytes) {
        FakeDisks.Disk d = disks.gpt(name, imageBytes);
        long p1Start = 4096 + TestImages.EFI_SECTORS;
        // sfdisk ends a partition that takes "the rest" on a 1 MiB boundary
        long p1Sectors = (d.lastUsable + 1) / 2048 * 2048 - p1Start;
        d.part(14, 2048, 2048, TestImages.BIOS_BOOT, null);
        d.part(
                15,
                4096,
                TestImages.EFI_SECTORS,
                TestImages.EFI,
                new FakeDisks.Fs("vfat", TestImages.EFI_SECTORS * 512));
        d.part(1, p1Start, p1Sectors, TestImages.LINUX, new FakeDisks.Fs("ext4", p1Sectors * 512));
        d.grow(diskBytes);
        return d.device;
    }

    @Override
    BlockDevice mbrDisk(String name, long diskBytes) {
        FakeDisks.Disk d = disks.mbr(name, 64 * MIB);
        d.part(1, 2048, 64 * MIB / 512 - 2048, "83", new FakeDisks.Fs("ext4", 63 * MIB));
        d.grow(diskBytes);
        return d.device;
    }

    @Override
    BlockDevice wholeDisk(String name, long bytes) {
        FakeDisks.Disk d = disks.disk(name, bytes);
        d.fs = new FakeDisks.Fs("ext4", bytes);
        return d.device;
    }

    @Override
    void growDisk(BlockDevice disk, long bytes) {
        disks.get(disk.name().substring("fake-".length())).grow(bytes);
    }

    @Override
    DeviceFinder finder() {
        return disks;
    }

    @Override
    void misLink(String deviceName, String other) {
        disks.misLink(deviceName, other);
    }
}
