package dev.imagedisk.csi.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The identity sources on written-down SCSI VPD pages, NVMe identify data and sysfs trees. */
class DiskIdentityTest {
    @TempDir
    Path sys;

    static final byte[] PG83 = HexResource.read("gce-pd-vpd_pg83.hex", 0);
    static final byte[] PG83_T10 = HexResource.read("t10-vendor-vpd_pg83.hex", 0);
    static final byte[] PG80 = HexResource.read("gce-pd-vpd_pg80.hex", 0);
    static final byte[] NVME = HexResource.read("gce-pd-nvme-id-ns.hex", NvmeVendorData.IDENTIFY_SIZE);

    private static BlockDevice device(String name) {
        return new BlockDevice(Path.of("/dev", name), name, 8, 16);
    }

    private Path sysDevice(String name) throws IOException {
        return Files.createDirectories(sys.resolve("class/block").resolve(name));
    }

    @Test
    void page83NamesTheDiskByItsVendorSpecificDesignatorPastOthers() {
        assertEquals(Optional.of("persistent-disk-1"), ScsiVpd.deviceNameFromPage83(PG83));
    }

    @Test
    void page83FallsBackToATenVendorIdAndSkipsTargetPortDesignators() {
        assertEquals(Optional.of("data-disk-2"), ScsiVpd.deviceNameFromPage83(PG83_T10));
    }

    @Test
    void page80GivesTheSerial() {
        assertEquals(Optional.of("persistent-disk-1"), ScsiVpd.serialFromPage80(PG80));
        assertEquals(Optional.empty(), ScsiVpd.serialFromPage80(PG83), "page 0x83 is not page 0x80");
    }

    @Test
    void aTruncatedOrForeignPageNamesNothing() {
        // the header promises more than was read: the vendor-specific designator is cut, so not trusted
        assertEquals(Optional.empty(), ScsiVpd.deviceNameFromPage83(Arrays.copyOf(PG83, 30)));
        assertEquals(Optional.empty(), ScsiVpd.deviceNameFromPage83(new byte[] {0, (byte) 0x80, 0, 0}));
        assertEquals(Optional.empty(), ScsiVpd.deviceNameFromPage83(new byte[0]));
    }

    @Test
    void nvmeVendorDataNamesTheDisk() {
        assertEquals(Optional.of("persistent-disk-3"), NvmeVendorData.deviceName(NVME));
        byte[] none = Arrays.copyOf(NVME, NVME.length);
        Arrays.fill(none, NvmeVendorData.VENDOR_SPECIFIC_OFFSET, none.length, (byte) 0);
        assertEquals(Optional.empty(), NvmeVendorData.deviceName(none));
        byte[] spaced = Arrays.copyOf(NVME, NVME.length);
        byte[] json = "{ \"disk_type\": \"PERSISTENT\", \"device_name\" : \"late-key\" }".getBytes();
        Arrays.fill(spaced, NvmeVendorData.VENDOR_SPECIFIC_OFFSET, spaced.length, (byte) 0);
        System.arraycopy(json, 0, spaced, NvmeVendorData.VENDOR_SPECIFIC_OFFSET, json.length);
        assertEquals(Optional.of("late-key"), NvmeVendorData.deviceName(spaced));
    }

    @Test
    void scsiIdentityReadsSysfsPage83ThenPage80() throws IOException {
        Path dev = Files.createDirectories(sysDevice("sdb").resolve("device"));
        Files.write(dev.resolve("vpd_pg83"), PG83);
        Files.write(dev.resolve("vpd_pg80"), PG80);
        ScsiIdentity scsi = new ScsiIdentity(sys);
        DiskIdentity.Reading r = scsi.read(device("sdb"));
        assertEquals("persistent-disk-1", r.deviceName());
        assertTrue(r.source().contains("0x83"), r.source());

        Files.delete(dev.resolve("vpd_pg83"));
        assertTrue(scsi.read(device("sdb")).source().contains("0x80"));

        Files.delete(dev.resolve("vpd_pg80"));
        DiskIdentity.Reading none = scsi.read(device("sdb"));
        assertFalse(none.known());
        assertTrue(none.describe().contains("no SCSI VPD pages"), none.describe());
    }

    @Test
    void nvmeIdentitySendsIdentifyToTheNamespaceDevice() {
        Path[] asked = new Path[1];
        NvmeIdentity nvme = new NvmeIdentity(p -> {
            asked[0] = p;
            return NVME;
        });
        assertEquals("persistent-disk-3", nvme.read(device("nvme0n2")).deviceName());
        assertEquals(Path.of("/dev/nvme0n2"), asked[0]);

        DiskIdentity.Reading failed = new NvmeIdentity(p -> {
                    throw new IllegalStateException("EACCES");
                })
                .read(device("nvme0n2"));
        assertFalse(failed.known());
        assertTrue(failed.source().contains("EACCES"), failed.source());
        assertFalse(new NvmeIdentity((NvmeIdentity.IdentifyNamespace) null)
                .read(device("nvme0n2"))
                .known());
    }

    @Test
    void nvmeIdentityLooksForItsCommandAtTheFirstReadNotAtConstruction() {
        int[] looked = new int[1];
        NvmeIdentity nvme = new NvmeIdentity(() -> {
            looked[0]++;
            return p -> NVME;
        });
        assertEquals(0, looked[0], "the command (libc's binding) is not looked for when the node is wired");
        assertEquals("persistent-disk-3", nvme.read(device("nvme0n2")).deviceName());
        assertEquals(1, looked[0]);

        DiskIdentity.Reading unbound = new NvmeIdentity(() -> null).read(device("nvme0n2"));
        assertFalse(unbound.known());
        assertTrue(unbound.source().contains("libc is not bound"), unbound.source());
    }

    @Test
    void loopIdentityIsTheBackingFilesNameUnlessDeleted() throws IOException {
        Path loop = Files.createDirectories(sysDevice("loop3").resolve("loop"));
        Files.writeString(loop.resolve("backing_file"), "/var/lib/emu/attached/7/persistent-disk-9\n");
        LoopIdentity identity = new LoopIdentity(sys);
        assertEquals("persistent-disk-9", identity.read(device("loop3")).deviceName());
        Files.writeString(loop.resolve("backing_file"), "/var/lib/emu/attached/7/persistent-disk-9 (deleted)\n");
        assertFalse(identity.read(device("loop3")).known());
        assertFalse(identity.read(device("loop4")).known(), "no such loop device");
    }

    @Test
    void theSourceIsPickedByTheDevicesType() throws IOException {
        Files.createDirectories(sysDevice("loop3").resolve("loop"));
        sysDevice("nvme0n1");
        sysDevice("sdc");
        DiskIdentity scsi = d -> DiskIdentity.Reading.named("s", "scsi");
        DiskIdentity nvme = d -> DiskIdentity.Reading.named("n", "nvme");
        DiskIdentity loop = d -> DiskIdentity.Reading.named("l", "loop");
        IdentityByType byType = new IdentityByType(sys, scsi, nvme, loop);
        assertSame(loop, byType.sourceFor(device("loop3")));
        assertSame(nvme, byType.sourceFor(device("nvme0n1")));
        assertSame(scsi, byType.sourceFor(device("sdc")));
        assertEquals("n", byType.read(device("nvme0n1")).deviceName());
    }
}
