package dev.imagedisk.csi.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeStageVolumeResponse;
import csi.v1.VolumeCapability;
import dev.imagedisk.csi.contract.PartitionChoice;
import dev.imagedisk.csi.device.PartitionTable;
import dev.imagedisk.csi.fake.FakeDisks;
import dev.imagedisk.csi.fake.FakeMounter;
import dev.imagedisk.csi.metadata.MetadataClient;
import dev.imagedisk.csi.mount.MountInfo;
import dev.imagedisk.csi.server.CsiFailure;
import dev.imagedisk.csi.server.InFlight;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Stager, Expander and NodeService logic on the in-memory device layer ({@link FakeDisks}, {@link FakeMounter}):
 * no root, no loop devices, no socket.
 */
class NodeLogicTest {
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;
    static final String V = "projects/p/zones/us-central1-a/disks/";
    static final String LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
    static final String EFI = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
    static final String BIOS = "21686148-6449-6E6F-744E-656564454649";
    static final VolumeSpec RW = new VolumeSpec(false, "", List.of(), false, false);
    static final VolumeSpec RO = new VolumeSpec(false, "", List.of(), true, false);

    @TempDir
    Path dir;

    FakeDisks disks;
    FakeMounter mounter;
    Stager stager;
    Expander expander;
    Path staging;

    @BeforeEach
    void setUp() {
        disks = new FakeDisks();
        mounter = new FakeMounter(disks);
        Directories directories = new Directories();
        DeviceLocator locator = new DeviceLocator(disks, Duration.ofMillis(10));
        FilesystemPlanner planner = new FilesystemPlanner(disks, disks, disks, "ext4");
        stager = new Stager(locator, planner, disks, disks, disks, disks, mounter, disks, directories);
        expander = new Expander(mounter, disks, disks, disks, directories, new VolumeAtPath(disks, disks));
        staging = dir.resolve("kubelet/plugins/kubernetes.io/csi/imagedisk.csi.dev/pv/globalmount");
    }

    /**
     * A Compute Engine boot disk made into a 1 GiB image and then a {@code diskBytes} disk: p14 BIOS boot, p15
     * EFI (vfat), p1 ext4 to the image's end; the GPT backup header still where the image ended.
     */
    FakeDisks.Disk bootDisk(String name, long diskBytes) {
        FakeDisks.Disk d = disks.gpt(name, GIB);
        long p1Start = 2048 + 2048 + 100 * MIB / 512;
        long p1Sectors = d.lastUsable - p1Start + 1;
        d.part(14, 2048, 2048, BIOS, null);
        d.part(15, 4096, 100 * MIB / 512, EFI, new FakeDisks.Fs("vfat", 100 * MIB));
        d.part(1, p1Start, p1Sectors, LINUX, new FakeDisks.Fs("ext4", p1Sectors * 512));
        d.grow(diskBytes);
        return d;
    }

    void stage(String name, VolumeSpec spec, PartitionChoice choice) {
        stager.stage(V + name, name, staging, spec, choice);
    }

    void stage(String name) {
        stage(name, RW, PartitionChoice.AUTO);
    }

    MountInfo staged() {
        return mounter.mountAt(staging).orElseThrow(() -> new AssertionError("nothing mounted at " + staging));
    }

    CsiFailure fails(CsiFailure.Code code, Runnable call) {
        CsiFailure e = assertThrows(CsiFailure.class, call::run);
        assertEquals(code, e.code(), e.getMessage());
        return e;
    }

    @Test
    void aLinkToAnotherDiskIsRefusedAndNeitherDiskIsTouched() {
        disks.disk("blank", 10 * GIB);
        disks.disk("other", 10 * GIB);
        disks.misLink("blank", "other");
        CsiFailure e = fails(CsiFailure.Code.FAILED_PRECONDITION, () -> stage("blank"));
        assertTrue(e.getMessage().contains("google-blank") && e.getMessage().contains("other"), e.getMessage());
        assertEquals(0, disks.ran("format") + disks.ran("fsck") + disks.ran("fsckFull"));
        assertTrue(mounter.mounts().isEmpty(), "nothing mounted");
    }

    @Test
    void aBlankDiskIsFormattedAndMounted() {
        disks.disk("blank", 10 * GIB);
        stage("blank");
        assertEquals(1, disks.ran("format"));
        assertEquals("ext4", staged().fsType());
        assertEquals(0, disks.ran("fsck") + disks.ran("fsckFull"), "a new filesystem is not checked");
    }

    @ParameterizedTest
    @CsvSource({
        // fs size (MiB), disk size (MiB), full check, grown
        "1024, 10240, true, true",
        "10240, 10240, false, false",
        "10238, 10240, false, false", // within the slack of a trailing partial group
    })
    void aWholeDiskFilesystemIsCheckedAndGrownOnlyWhenSmaller(long fsMib, long diskMib, boolean full, boolean grown) {
        FakeDisks.Disk d = disks.disk("whole", diskMib * MIB);
        d.fs = new FakeDisks.Fs("ext4", fsMib * MIB);
        stage("whole");
        assertEquals(full ? 1 : 0, disks.ran("fsckFull"));
        assertEquals(full ? 0 : 1, disks.ran("fsck"));
        assertEquals(grown ? diskMib * MIB : fsMib * MIB, d.fs.bytes);
        assertEquals(0, disks.ran("format"));
    }

    @Test
    void aBootDiskImageStagesItsRootPartitionGrownToTheDiskEnd() {
        FakeDisks.Disk d = bootDisk("boot", 10 * GIB);
        stage("boot");
        MountInfo m = staged();
        assertEquals(1, m.minor(), "partition 1 is mounted");
        assertEquals(1, disks.ran("readTable"), "the table is read once (sfdisk --dump) and grown from that reading");
        assertEquals(4, disks.ran("probe"), "each device is probed once (blkid): the disk and its 3 partitions");
        assertEquals(1, disks.ran("relocate"), "the GPT backup header moved to the end first");
        assertEquals(1, disks.ran("growPartition"));
        assertEquals(3, disks.ran("partxAdd"), "the kernel is told of the partitions it did not parse");
        assertEquals(1, disks.ran("partxUpdate"), "and of the new size");
        FakeDisks.Part p1 = d.parts.get(1);
        assertEquals(d.sectors() - 33, p1.start + p1.sectors, "p1 ends at the last usable sector");
        assertTrue(p1.fs.bytes >= 0.9 * 10 * GIB, "filesystem " + p1.fs.bytes);
        assertEquals("vfat", d.parts.get(15).fs.type);
        assertEquals(100 * MIB / 512, d.parts.get(15).sectors, "the EFI partition is unchanged");
        assertEquals(2048, d.parts.get(14).sectors);
        assertEquals(0, disks.ran("format"));

        // idempotent: unstage and stage again change nothing
        stager.unstage(V + "boot", staging);
        long bytes = p1.fs.bytes;
        stage("boot");
        assertEquals(1, disks.ran("relocate"));
        assertEquals(1, disks.ran("growPartition"));
        assertEquals(1, disks.ran("partxUpdate"));
        assertEquals(bytes, p1.fs.bytes);
    }

    @Test
    void anMbrPartitionGrowsWithinTheTwoTebibyteLimit() {
        FakeDisks.Disk d = disks.mbr("mbr", GIB);
        d.part(1, 2048, GIB / 512 - 2048, "83", new FakeDisks.Fs("ext4", GIB - MIB));
        d.grow(10 * GIB);
        stage("mbr");
        assertEquals(d.sectors(), d.parts.get(1).start + d.parts.get(1).sectors);
        assertEquals(0, disks.ran("relocate"));

        FakeDisks.Disk big = disks.mbr("big", GIB);
        big.part(1, 2048, GIB / 512 - 2048, "83", new FakeDisks.Fs("ext4", GIB - MIB));
        big.grow(3L << 40);
        stager.unstage(V + "mbr", staging);
        stage("big");
        assertEquals(1L << 32, big.parts.get(1).start + big.parts.get(1).sectors, "an MBR partition ends by 2 TiB");
    }

    @Test
    void aPartitionThatIsNotLastKeepsItsSize() {
        FakeDisks.Disk d = disks.gpt("notlast", GIB);
        d.part(1, 2048, 512 * MIB / 512, LINUX, new FakeDisks.Fs("ext4", 512 * MIB));
        d.part(2, 2048 + 512 * MIB / 512, 256 * MIB / 512, LINUX, null);
        d.grow(10 * GIB);
        stage("notlast");
        assertEquals(1, staged().minor());
        assertEquals(0, disks.ran("growPartition"));
        assertEquals(512 * MIB / 512, d.parts.get(1).sectors);
        assertEquals(512 * MIB, d.parts.get(1).fs.bytes, "mounted at its own size");
    }

    @Test
    void aReadOnlyVolumeIsNeverGrownCheckedOrRepaired() {
        FakeDisks.Disk d = bootDisk("rox", 10 * GIB);
        long before = d.parts.get(1).sectors;
        stage("rox", RO, PartitionChoice.AUTO);
        assertTrue(staged().readOnly());
        assertEquals(1, staged().minor());
        assertEquals(before, d.parts.get(1).sectors);
        assertEquals(
                0,
                disks.ran("relocate")
                        + disks.ran("growPartition")
                        + disks.ran("fsck")
                        + disks.ran("fsckFull")
                        + disks.ran("growFs")
                        + disks.ran("format"));
    }

    @Test
    void noUsableFilesystemIsFailedPreconditionListingWhatWasFoundAndNeverFormatted() {
        FakeDisks.Disk d = disks.gpt("efi-only", GIB);
        d.part(15, 2048, 100 * MIB / 512, EFI, new FakeDisks.Fs("vfat", 100 * MIB));
        d.part(1, 2048 + 100 * MIB / 512, 256 * MIB / 512, LINUX, null);
        CsiFailure e = fails(CsiFailure.Code.FAILED_PRECONDITION, () -> stage("efi-only"));
        assertTrue(e.getMessage().contains("vfat"), e.getMessage());
        assertTrue(e.getMessage().contains("#1"), e.getMessage());
        assertTrue(e.getMessage().contains("nothing (blank)"), e.getMessage());
        assertEquals(0, disks.ran("format"));
        assertTrue(mounter.mountAt(staging).isEmpty());
    }

    @ParameterizedTest
    @CsvSource({
        // partition asked, minor mounted (0: refused)
        "auto, 2",
        "1, 1",
        "2, 2",
        "3, 0",
        "15, 0",
    })
    void thePartitionIsTheOneNamedOrTheLargestWithAFilesystem(String asked, int minor) {
        FakeDisks.Disk d = disks.gpt("two", GIB);
        d.part(15, 2048, 64 * MIB / 512, EFI, new FakeDisks.Fs("vfat", 64 * MIB));
        d.part(1, 2048 + 64 * MIB / 512, 128 * MIB / 512, LINUX, new FakeDisks.Fs("ext4", 128 * MIB));
        d.part(2, 2048 + 192 * MIB / 512, 512 * MIB / 512, LINUX, new FakeDisks.Fs("xfs", 512 * MIB));
        PartitionChoice choice = PartitionChoice.parse(asked).orElseThrow();
        if (minor == 0) {
            CsiFailure e = fails(CsiFailure.Code.FAILED_PRECONDITION, () -> stage("two", RW, choice));
            assertTrue(e.getMessage().contains("partition " + asked), e.getMessage());
        } else {
            stage("two", RW, choice);
            assertEquals(minor, staged().minor());
        }
        assertEquals(0, disks.ran("format"));
    }

    @Test
    void aPartitionNumberOnADiskWithoutATableIsRefused() {
        disks.disk("whole", GIB).fs = new FakeDisks.Fs("ext4", GIB);
        CsiFailure e = fails(
                CsiFailure.Code.FAILED_PRECONDITION,
                () -> stage("whole", RW, PartitionChoice.parse("1").orElseThrow()));
        assertTrue(e.getMessage().contains("not a partition table"), e.getMessage());
        disks.disk("blank", GIB);
        fails(
                CsiFailure.Code.FAILED_PRECONDITION,
                () -> stage("blank", RW, PartitionChoice.parse("1").orElseThrow()));
        assertEquals(0, disks.ran("format"));
    }

    @Test
    void damageLeftUncorrectedNamesTheCommandToRunAndIsNeverFormatted() {
        FakeDisks.Disk d = bootDisk("bad", GIB);
        d.parts.get(1).fs.damaged = true;
        CsiFailure e = fails(CsiFailure.Code.FAILED_PRECONDITION, () -> stage("bad"));
        assertTrue(e.getMessage().contains("e2fsck -f /dev/fake-badp1"), e.getMessage());
        assertTrue(e.getMessage().contains("errors left uncorrected"), e.getMessage());
        assertEquals(0, disks.ran("format"));
        assertTrue(mounter.mountAt(staging).isEmpty());
    }

    @Test
    void aDeviceStagedAtAnotherPathIsFailedPreconditionNamingThatPath() {
        bootDisk("twice", 10 * GIB);
        stage("twice");
        Path first = staging;
        staging = dir.resolve("kubelet/plugins/kubernetes.io/csi/imagedisk.csi.dev/other/globalmount");
        int checks = disks.ran("fsck") + disks.ran("fsckFull");
        CsiFailure e = fails(CsiFailure.Code.FAILED_PRECONDITION, () -> stage("twice"));
        assertTrue(e.getMessage().contains(first.toString()), e.getMessage());
        assertEquals(checks, disks.ran("fsck") + disks.ran("fsckFull"), "no fsck of a mounted device");
    }

    @Test
    void aStageAfterACrashMidwayCompletesTheGrowth() {
        // crashed after moving the backup header, before growing the partition
        FakeDisks.Disk d = bootDisk("crash1", 10 * GIB);
        d.lastUsable = d.sectors() - 34;
        stage("crash1");
        assertEquals(d.sectors() - 33, d.parts.get(1).start + d.parts.get(1).sectors);
        assertTrue(d.parts.get(1).fs.bytes >= 0.9 * 10 * GIB);
        assertEquals(0, disks.ran("relocate"));
        stager.unstage(V + "crash1", staging);

        // crashed after growing the partition in the table, before the kernel and the filesystem knew
        FakeDisks.Disk e = bootDisk("crash2", 10 * GIB);
        disks.find("crash2");
        disks.syncKernel(e.device, disks.read(e.device).orElseThrow()); // the kernel knows the old sizes
        PartitionTable read = disks.read(e.device).orElseThrow();
        PartitionTable relocated = disks.relocateBackupHeader(e.device, read);
        disks.resize(
                e.device,
                relocated,
                1,
                relocated.lastSectorAtFullSize()
                        - read.partition(1).orElseThrow().start()
                        + 1);
        int updates = disks.ran("partxUpdate");
        stage("crash2");
        assertEquals(updates + 1, disks.ran("partxUpdate"), "the kernel learns the grown size");
        assertTrue(e.parts.get(1).fs.bytes >= 0.9 * 10 * GIB);
    }

    @Test
    void expansionGrowsTheLastPartitionAndItsFilesystemOnlineWithCapSysResource() {
        FakeDisks.Disk d = bootDisk("exp", 10 * GIB);
        stage("exp");
        d.grow(20 * GIB);
        disks.capSysResource = true;
        long capacity = expander.expand(V + "exp", staging, 20 * GIB);
        assertEquals(d.sectors() - 33, d.parts.get(1).start + d.parts.get(1).sectors);
        assertEquals(d.parts.get(1).sectors * 512, capacity);
        assertTrue(d.parts.get(1).fs.bytes >= 0.9 * 20 * GIB);
    }

    @Test
    void withoutCapSysResourceExpansionFailsAndTheNextStageGrows() {
        FakeDisks.Disk d = bootDisk("exp2", 10 * GIB);
        stage("exp2");
        d.grow(20 * GIB);
        CsiFailure e = fails(CsiFailure.Code.INTERNAL, () -> expander.expand(V + "exp2", staging, 20 * GIB));
        assertTrue(e.getMessage().contains("CAP_SYS_RESOURCE"), e.getMessage());
        assertEquals(d.sectors() - 33, d.parts.get(1).start + d.parts.get(1).sectors, "the partition did grow");
        stager.unstage(V + "exp2", staging);
        stage("exp2");
        assertTrue(d.parts.get(1).fs.bytes >= 0.9 * 20 * GIB, "grown offline at the next stage");
    }

    @Test
    void expandingANotLastPartitionReportsItsOwnSize() {
        FakeDisks.Disk d = disks.gpt("nl", GIB);
        d.part(1, 2048, 512 * MIB / 512, LINUX, new FakeDisks.Fs("ext4", 512 * MIB));
        d.part(2, 2048 + 512 * MIB / 512, 256 * MIB / 512, LINUX, null);
        stage("nl");
        d.grow(2 * GIB);
        assertEquals(512 * MIB, expander.expand(V + "nl", staging, 2 * GIB));
        assertEquals(0, disks.ran("growPartition") + disks.ran("growFsOnline"));
    }

    @Test
    void xfsWithoutItsToolIsRefusedForAWritableVolume() {
        disks.xfsTools = false;
        disks.disk("x", GIB).fs = new FakeDisks.Fs("xfs", GIB);
        CsiFailure e = fails(CsiFailure.Code.FAILED_PRECONDITION, () -> stage("x"));
        assertTrue(e.getMessage().contains("xfs_growfs"), e.getMessage());
        stage("x", RO, PartitionChoice.AUTO);
        assertTrue(staged().readOnly());
    }

    @ParameterizedTest
    @CsvSource({
        // readOnly, format, fs, checkable, resizable, offline, device MiB, fs MiB -> check, growOffline, growOnline
        "false, true,  ext4, true,  true,  true,  100, -1,  NONE,  false, false",
        "false, false, ext4, true,  true,  true,  100, 50,  FULL,  true,  false",
        "false, false, ext4, true,  true,  true,  100, 100, PREEN, false, false",
        "false, false, ext4, true,  false, true,  100, 50,  PREEN, false, false",
        "true,  false, ext4, true,  true,  true,  100, 50,  NONE,  false, false",
        "false, false, xfs,  false, true,  false, 100, -1,  NONE,  false, true",
        "true,  false, xfs,  false, true,  false, 100, -1,  NONE,  false, false",
    })
    void thePlanFollowsFromWhatWasFound(
            boolean readOnly,
            boolean format,
            String fs,
            boolean checkable,
            boolean resizable,
            boolean offline,
            long deviceMib,
            long fsMib,
            StagePlan.Check check,
            boolean growOffline,
            boolean growOnline) {
        VolumeSpec spec = new VolumeSpec(false, "", List.of("noatime"), readOnly, false);
        StagePlan plan = StagePlan.decide(
                "v",
                "/dev/x",
                spec,
                new StagePlan.Facts(fs, format, checkable, resizable, offline, new StagePlan.Sizes() {
                    // -1: the plan must not need the sizes (they are read only for a filesystem that could grow)
                    @Override
                    public long deviceBytes() {
                        assertTrue(fsMib >= 0, "the device size is not needed");
                        return deviceMib * MIB;
                    }

                    @Override
                    public long filesystemBytes() {
                        assertTrue(fsMib >= 0, "the filesystem size is not needed");
                        return fsMib * MIB;
                    }
                }));
        assertEquals(check, plan.check());
        assertEquals(growOffline, plan.growOffline());
        assertEquals(growOnline, plan.growOnline());
        assertEquals(format, plan.format());
        // read-only: ro, and the journal is not replayed (ext4 noload, xfs norecovery)
        List<String> expected =
                !readOnly ? List.of("noatime") : List.of("noatime", "ro", fs.equals("xfs") ? "norecovery" : "noload");
        assertEquals(expected, plan.mountOptions());
    }

    // NodeService: requests are refused before any device is touched

    static final class Capture<T> implements StreamObserver<T> {
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final AtomicReference<T> value = new AtomicReference<>();

        @Override
        public void onNext(T v) {
            value.set(v);
        }

        @Override
        public void onError(Throwable t) {
            error.set(t);
        }

        @Override
        public void onCompleted() {}
    }

    @ParameterizedTest
    @CsvSource({
        "projects/x/zones/y/disks/../../../a, INVALID_ARGUMENT",
        "vol-1, INVALID_ARGUMENT",
        "projects/p/zones/us-central1-a/instances/vm, INVALID_ARGUMENT",
        "projects/p/zones/us-central1-a/disks/boot, OK",
    })
    void nodeStageChecksTheVolumeIdFirst(String id, Status.Code code) {
        bootDisk("boot", 10 * GIB);
        NodeService service = new NodeService(
                new PathPolicy(dir.resolve("kubelet")),
                stager,
                new Publisher(new DeviceLocator(disks, Duration.ZERO), mounter, new Directories()),
                new VolumeStatsReader(mounter, null, disks, new Directories(), new VolumeAtPath(disks, disks)),
                expander,
                new NodeIdentity(
                        "projects/p/zones/us-central1-a/instances/n",
                        "us-central1-a",
                        16,
                        new MetadataClient("http://127.0.0.1:9", Duration.ofMillis(10))),
                new InFlight());
        Capture<NodeStageVolumeResponse> out = new Capture<>();
        service.nodeStageVolume(
                NodeStageVolumeRequest.newBuilder()
                        .setVolumeId(id)
                        .putPublishContext("deviceName", "boot")
                        .setStagingTargetPath(staging.toString())
                        .setVolumeCapability(VolumeCapability.newBuilder()
                                .setMount(VolumeCapability.MountVolume.getDefaultInstance())
                                .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                                        .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)))
                        .build(),
                out);
        if (code == Status.Code.OK) {
            assertNotNull(out.value.get(), String.valueOf(out.error.get()));
            assertEquals(1, staged().minor());
        } else {
            StatusRuntimeException e = (StatusRuntimeException) out.error.get();
            assertEquals(code, e.getStatus().getCode());
            assertTrue(
                    e.getStatus().getDescription().contains("volume_id"),
                    e.getStatus().getDescription());
            assertEquals(0, disks.ran("partxAdd"), "no device was touched");
            assertFalse(mounter.mountAt(staging).isPresent());
        }
    }
}
