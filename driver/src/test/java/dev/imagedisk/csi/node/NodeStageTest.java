package dev.imagedisk.csi.node;

import static dev.imagedisk.csi.node.DeviceLab.sh;
import static dev.imagedisk.csi.node.NodePlugin.mount;
import static dev.imagedisk.csi.node.NodePlugin.publish;
import static dev.imagedisk.csi.node.NodePlugin.stage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeGetVolumeStatsResponse;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.VolumeCapability.AccessMode.Mode;
import csi.v1.VolumeUsage;
import dev.imagedisk.csi.mount.MountInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** NodeStageVolume and NodePublishVolume on real loop devices, over the plugin's Unix socket. */
@Tag("integration")
class NodeStageTest {
    static final String V = "projects/p/zones/us-central1-a/disks/";
    private static final long MIB = 1024 * 1024;

    @RegisterExtension
    final DeviceLab lab = DeviceLab.perTest();

    NodePlugin plugin;

    @BeforeEach
    void start() throws Exception {
        plugin = new NodePlugin(lab);
    }

    @AfterEach
    void stop() {
        if (plugin != null) {
            plugin.close();
        }
    }

    /** A tree of files with random contents, some in nested directories. */
    Path tree() throws IOException {
        Path tree = Files.createDirectories(lab.files.resolve("tree"));
        Random random = new Random(42);
        for (int i = 0; i < 12; i++) {
            Path file = tree.resolve("d" + (i % 3)).resolve("sub" + (i % 2)).resolve("file-" + i + ".bin");
            Files.createDirectories(file.getParent());
            byte[] data = new byte[i == 0 ? (int) (3 * MIB) : 1000 * i + 7];
            random.nextBytes(data);
            Files.write(file, data);
        }
        Files.writeString(tree.resolve("name with spaces.txt"), "hello\n");
        return tree;
    }

    /** An ext4 image of {@code imageSize} holding {@code tree}, copied onto a sparse disk of {@code diskSize}. */
    Path imageDisk(String name, Path tree, long imageSize, long diskSize) throws IOException {
        Path image = lab.files.resolve(name + ".image");
        sh("mkfs.ext4", "-F", "-q", "-d", tree.toString(), image.toString(), (imageSize / MIB) + "M");
        Path disk = lab.files.resolve(name + ".disk");
        sh("cp", "--sparse=always", image.toString(), disk.toString());
        sh("truncate", "-s", Long.toString(diskSize), disk.toString());
        return disk;
    }

    static void assertSameTree(Path expected, Path actual) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(expected)) {
            s.filter(Files::isRegularFile).forEach(files::add);
        }
        assertTrue(files.size() >= 13, "the tree has its files");
        for (Path f : files) {
            Path other = actual.resolve(expected.relativize(f).toString());
            assertTrue(Files.isRegularFile(other), "missing " + other);
            assertEquals(-1L, Files.mismatch(f, other), "content differs: " + other);
        }
    }

    static String blkid(Path device, String tag) throws IOException {
        DeviceLab.Result r = DeviceLab.run("blkid", "-p", "-o", "value", "-s", tag, device.toString());
        return r.code() == 0 ? r.out().trim() : "";
    }

    static Status.Code code(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
    }

    static StatusRuntimeException error(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run);
    }

    long fsTotalBytes(Path path) throws IOException {
        return Files.getFileStore(path).getTotalSpace();
    }

    @Test
    void imageSourcedExt4KeepsEveryFileAndGrowsToTheLargerDevice() throws Exception {
        Path tree = tree();
        Path device = lab.attach(imageDisk("img", tree, 32 * MIB, 512 * MIB), "disk-img");
        Path staging = lab.staging("pv-img");
        Path target = lab.target("pod-a");

        plugin.node().nodeStageVolume(stage(V + "vol-img", "disk-img", staging, mount()));
        MountInfo staged = DeviceLab.mountAt(staging);
        assertNotNull(staged, "the staging path is a mount point");
        assertEquals("ext4", staged.fsType());
        assertFalse(staged.readOnly());
        assertTrue(
                fsTotalBytes(staging) > 450 * MIB,
                "the filesystem grew to the 512 MiB device: " + fsTotalBytes(staging));

        plugin.node().nodePublishVolume(publish(V + "vol-img", "disk-img", staging, target, mount(), false));
        assertTrue(DeviceLab.isMountPoint(target));
        assertSameTree(tree, target);
        Files.writeString(target.resolve("written-by-pod"), "data");
        assertEquals("data", Files.readString(staging.resolve("written-by-pod")), "the bind shows the staged fs");

        NodeGetVolumeStatsResponse stats = plugin.node()
                .nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                        .setVolumeId(V + "vol-img")
                        .setVolumePath(target.toString())
                        .build());
        VolumeUsage bytes = stats.getUsageList().stream()
                .filter(u -> u.getUnit() == VolumeUsage.Unit.BYTES)
                .findFirst()
                .orElseThrow();
        assertTrue(bytes.getTotal() > 450 * MIB && bytes.getUsed() > 3 * MIB, bytes.toString());
        assertFalse(
                stats.getVolumeCondition().getAbnormal(),
                stats.getVolumeCondition().getMessage());

        plugin.node()
                .nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(V + "vol-img")
                        .setTargetPath(target.toString())
                        .build());
        assertFalse(Files.exists(target), "the target is removed");
        plugin.node()
                .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(V + "vol-img")
                        .setStagingTargetPath(staging.toString())
                        .build());
        assertFalse(DeviceLab.isMountPoint(staging));
        assertFalse(Files.exists(staging), "the staging directory is removed");
        assertEquals("ext4", blkid(device, "TYPE"));
        sh("e2fsck", "-f", "-n", device.toString());
    }

    @Test
    void blankDeviceIsFormattedExt4ByDefaultAndNeverAgain() throws Exception {
        Path device = lab.attach(lab.sparse("blank", 128 * MIB), "disk-blank");
        Path staging = lab.staging("pv-blank");
        plugin.node().nodeStageVolume(stage(V + "vol-blank", "disk-blank", staging, mount()));
        assertEquals("ext4", DeviceLab.mountAt(staging).fsType());
        assertEquals("ext4", blkid(device, "TYPE"));
        String uuid = blkid(device, "UUID");
        Files.writeString(staging.resolve("keep"), "kept");
        plugin.node()
                .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(V + "vol-blank")
                        .setStagingTargetPath(staging.toString())
                        .build());

        plugin.node().nodeStageVolume(stage(V + "vol-blank", "disk-blank", staging, mount()));
        assertEquals("kept", Files.readString(staging.resolve("keep")), "a second stage does not reformat");
        assertEquals(uuid, blkid(device, "UUID"));
    }

    @Test
    void blankDeviceIsFormattedWithTheRequestedType() throws Exception {
        Path device = lab.attach(lab.sparse("blank3", 96 * MIB), "disk-ext3");
        Path staging = lab.staging("pv-ext3");
        plugin.node()
                .nodeStageVolume(stage(V + "vol-ext3", "disk-ext3", staging, mount(Mode.SINGLE_NODE_WRITER, "ext3")));
        assertEquals("ext3", blkid(device, "TYPE"));
        assertEquals("ext3", DeviceLab.mountAt(staging).fsType());
    }

    @Test
    void xfsIsFormattedAndMounted() throws Exception {
        assumeTrue(DeviceLab.has("mkfs.xfs"), "mkfs.xfs is not installed (apt package xfsprogs); xfs test skipped");
        Path device = lab.attach(lab.sparse("blankxfs", 320 * MIB), "disk-xfs");
        Path staging = lab.staging("pv-xfs");
        plugin.node().nodeStageVolume(stage(V + "vol-xfs", "disk-xfs", staging, mount(Mode.SINGLE_NODE_WRITER, "xfs")));
        assertEquals("xfs", blkid(device, "TYPE"));
        assertEquals("xfs", DeviceLab.mountAt(staging).fsType());
        Files.writeString(staging.resolve("f"), "x");
    }

    @Test
    void aSinglePartitionDiskStagesItsPartition() throws Exception {
        assumeTrue(
                DeviceLab.has("sfdisk") && DeviceLab.has("partx"),
                "sfdisk/partx are not installed (apt packages fdisk, util-linux); partition test skipped");
        Path file = lab.sparse("parted", 96 * MIB);
        DeviceLab.shIn("label: gpt\n,\n", "sfdisk", "-q", file.toString());
        Path device = lab.attach(file, "disk-part");
        lab.addPartitions(device);
        Path part = Path.of(device + "p1");
        sh("mkfs.ext4", "-F", "-q", "-d", tree().toString(), part.toString());

        Path staging = lab.staging("pv-part");
        plugin.node().nodeStageVolume(stage(V + "vol-part", "disk-part", staging, mount()));
        MountInfo m = DeviceLab.mountAt(staging);
        assertEquals(part.toString(), m.source(), "the partition, not the disk, is mounted");
        assertSameTree(lab.files.resolve("tree"), staging);
        // idempotent for the partition too
        plugin.node().nodeStageVolume(stage(V + "vol-part", "disk-part", staging, mount()));
    }

    @Test
    void aDiskWithTwoFilesystemPartitionsStagesTheLargestAndLeavesTheOtherAlone() throws Exception {
        Path file = lab.sparse("twoparts", 96 * MIB);
        DeviceLab.shIn("label: gpt\n,40M\n,\n", "sfdisk", "-q", file.toString());
        Path device = lab.attach(file, "disk-two");
        lab.addPartitions(device);
        sh("mkfs.ext4", "-F", "-q", device + "p1");
        sh("mkfs.ext4", "-F", "-q", device + "p2");
        String p1 = DeviceLab.sha256(Path.of(device + "p1"));

        Path staging = lab.staging("pv-two");
        plugin.node().nodeStageVolume(stage(V + "vol-two", "disk-two", staging, mount()));
        MountInfo m = DeviceLab.mountAt(staging);
        assertNotNull(m);
        assertEquals(device + "p2", m.source(), "the larger partition (p2) is chosen");
        plugin.node()
                .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(V + "vol-two")
                        .setStagingTargetPath(staging.toString())
                        .build());
        assertEquals(p1, DeviceLab.sha256(Path.of(device + "p1")), "the other partition is never changed");
    }

    @Test
    void unknownSignaturesAndUnrecognisedDataAreRefusedAndUntouched() throws Exception {
        Path swapFile = lab.sparse("swap", 64 * MIB);
        sh("mkswap", "-q", swapFile.toString());
        Path swap = lab.attach(swapFile, "disk-swap");

        Path luksFile = lab.sparse("luks", 64 * MIB);
        try (var ch = java.nio.channels.FileChannel.open(luksFile, java.nio.file.StandardOpenOption.WRITE)) {
            byte[] header = new byte[4096];
            byte[] magic = {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe, 0, 1};
            System.arraycopy(magic, 0, header, 0, magic.length);
            ch.write(java.nio.ByteBuffer.wrap(header), 0);
        }
        Path luks = lab.attach(luksFile, "disk-luks");

        Path dataFile = lab.sparse("data", 64 * MIB);
        try (var ch = java.nio.channels.FileChannel.open(dataFile, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap("some data no probe knows".getBytes()), 300_000);
        }
        Path data = lab.attach(dataFile, "disk-data");

        for (Path device : List.of(swap, luks, data)) {
            String disk = lab.deviceDir.resolve("google-disk-swap").toRealPath().equals(device)
                    ? "disk-swap"
                    : device.equals(luks) ? "disk-luks" : "disk-data";
            String before = DeviceLab.sha256(device);
            Path staging = lab.staging("pv-" + disk);
            StatusRuntimeException e =
                    error(() -> plugin.node().nodeStageVolume(stage(V + "vol-" + disk, disk, staging, mount())));
            assertEquals(
                    Status.Code.FAILED_PRECONDITION,
                    e.getStatus().getCode(),
                    e.getStatus().toString());
            String why = e.getStatus().getDescription();
            assertTrue(why.contains(device.toString()), why);
            assertTrue(
                    device.equals(swap)
                            ? why.contains("swap")
                            : device.equals(luks)
                                    ? why.contains("LUKS")
                                    : why.contains("non-zero byte at offset 300000"),
                    why);
            assertFalse(DeviceLab.isMountPoint(staging));
            DeviceLab.assertUnchanged(before, device);
        }
    }

    @Test
    void aRequestedFsTypeThatDiffersFromTheDevicesIsRefused() throws Exception {
        Path file = lab.sparse("mismatch", 64 * MIB);
        sh("mkfs.ext4", "-F", "-q", file.toString());
        Path device = lab.attach(file, "disk-mm");
        String before = DeviceLab.sha256(device);
        StatusRuntimeException e = error(() -> plugin.node()
                .nodeStageVolume(
                        stage(V + "vol-mm", "disk-mm", lab.staging("pv-mm"), mount(Mode.SINGLE_NODE_WRITER, "xfs"))));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        String why = e.getStatus().getDescription();
        assertTrue(why.contains("fs_type xfs") && why.contains("ext4"), why);
        DeviceLab.assertUnchanged(before, device);
    }

    @Test
    void damageThatPreenCannotRepairFailsAndIsNeverFormatted() throws Exception {
        assumeTrue(DeviceLab.has("debugfs"), "debugfs (e2fsprogs) is not installed; skipped");
        Path file = lab.sparse("damaged", 64 * MIB);
        sh("mkfs.ext4", "-F", "-q", "-d", tree().toString(), file.toString());
        sh("debugfs", "-w", "-R", "clri <2>", file.toString()); // wipe the root directory's inode
        sh("debugfs", "-w", "-R", "ssv state 2", file.toString()); // and mark it as the kernel would: errors
        Path device = lab.attach(file, "disk-bad");
        String uuid = blkid(device, "UUID");
        StatusRuntimeException e = error(
                () -> plugin.node().nodeStageVolume(stage(V + "vol-bad", "disk-bad", lab.staging("pv-bad"), mount())));
        assertEquals(
                Status.Code.FAILED_PRECONDITION,
                e.getStatus().getCode(),
                e.getStatus().toString());
        assertTrue(
                e.getStatus().getDescription().contains("errors left uncorrected"),
                e.getStatus().getDescription());
        assertTrue(
                e.getStatus().getDescription().contains("e2fsck -f " + device),
                e.getStatus().getDescription());
        assertEquals("ext4", blkid(device, "TYPE"));
        assertEquals(uuid, blkid(device, "UUID"), "the filesystem was not replaced");
        assertFalse(DeviceLab.isMountPoint(lab.staging("pv-bad")));
    }

    @Test
    void readOnlyStageAndPublishRefuseWritesWithErofs() throws Exception {
        Path device = lab.attach(imageDisk("ro", tree(), 32 * MIB, 64 * MIB), "disk-ro");
        String before = DeviceLab.sha256(device);
        Path staging = lab.staging("pv-ro");
        Path target = lab.target("pod-ro");
        plugin.node().nodeStageVolume(stage(V + "vol-ro", "disk-ro", staging, mount(Mode.MULTI_NODE_READER_ONLY, "")));
        assertTrue(DeviceLab.mountAt(staging).readOnly());
        plugin.node()
                .nodePublishVolume(publish(
                        V + "vol-ro", "disk-ro", staging, target, mount(Mode.MULTI_NODE_READER_ONLY, ""), false));
        assertTrue(DeviceLab.mountAt(target).readOnly());
        assertSameTree(lab.files.resolve("tree"), target);
        assertErofs(target.resolve("new-file"));
        assertErofs(staging.resolve("new-file"));
        plugin.node()
                .nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(V + "vol-ro")
                        .setTargetPath(target.toString())
                        .build());
        plugin.node()
                .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(V + "vol-ro")
                        .setStagingTargetPath(staging.toString())
                        .build());
        DeviceLab.assertUnchanged(before, device);
    }

    @Test
    void aDirtyJournalExt4ImageStagesReadOnlyWithoutReplayAndSharesOneStaging() throws Exception {
        // an image captured from a disk while it was mounted: its journal still needs recovery
        Path disk = imageDisk("dirty", tree(), 32 * MIB, 64 * MIB);
        sh("debugfs", "-w", "-R", "feature needs_recovery", disk.toString());
        assertTrue(sh("dumpe2fs", "-h", disk.toString()).contains("needs_recovery"));
        Path device = lab.attach(disk, "disk-dirty");
        String before = DeviceLab.sha256(device);
        Path staging = lab.staging("pv-dirty");
        plugin.node()
                .nodeStageVolume(stage(V + "vol-dirty", "disk-dirty", staging, mount(Mode.MULTI_NODE_READER_ONLY, "")));
        assertTrue(DeviceLab.mountAt(staging).readOnly());
        // two pods on the node: both bind the one staging, read-only
        Path podA = lab.target("pod-dirty-a");
        Path podB = lab.target("pod-dirty-b");
        for (Path target : List.of(podA, podB)) {
            plugin.node()
                    .nodePublishVolume(publish(
                            V + "vol-dirty",
                            "disk-dirty",
                            staging,
                            target,
                            mount(Mode.MULTI_NODE_READER_ONLY, ""),
                            false));
            assertSameTree(lab.files.resolve("tree"), target);
            assertErofs(target.resolve("new-file"));
        }
        assertEquals(
                1,
                DeviceLab.mounts().stream()
                        .filter(m -> m.mountPoint().equals(staging))
                        .count());
        for (Path target : List.of(podA, podB)) {
            plugin.node()
                    .nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                            .setVolumeId(V + "vol-dirty")
                            .setTargetPath(target.toString())
                            .build());
        }
        plugin.node()
                .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(V + "vol-dirty")
                        .setStagingTargetPath(staging.toString())
                        .build());
        // no journal replay, no fsck, no growth: not one byte written
        DeviceLab.assertUnchanged(before, device);
        assertTrue(sh("dumpe2fs", "-h", disk.toString()).contains("needs_recovery"));
    }

    @Test
    void aReadOnlyXfsVolumeIsMountedWithNorecovery() throws Exception {
        assumeTrue(DeviceLab.has("mkfs.xfs"), "mkfs.xfs is not installed");
        Path disk = lab.sparse("xfs-ro", 320 * MIB);
        sh("mkfs.xfs", "-q", disk.toString());
        Path device = lab.attach(disk, "disk-xfs-ro");
        String before = DeviceLab.sha256(device);
        Path staging = lab.staging("pv-xfs-ro");
        plugin.node()
                .nodeStageVolume(
                        stage(V + "vol-xfs-ro", "disk-xfs-ro", staging, mount(Mode.MULTI_NODE_READER_ONLY, "")));
        MountInfo m = DeviceLab.mountAt(staging);
        assertTrue(m.readOnly());
        assertEquals("xfs", m.fsType());
        assertTrue(m.superOptions().contains("norecovery"), m.toString());
        assertErofs(staging.resolve("x"));
        plugin.node()
                .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(V + "vol-xfs-ro")
                        .setStagingTargetPath(staging.toString())
                        .build());
        DeviceLab.assertUnchanged(before, device);
    }

    @Test
    void aReadonlyPublishOfAWritableStageIsReadOnlyAtTheTargetOnly() throws Exception {
        lab.attach(lab.sparse("rw", 64 * MIB), "disk-rw");
        Path staging = lab.staging("pv-rw");
        Path target = lab.target("pod-rw");
        plugin.node().nodeStageVolume(stage(V + "vol-rw", "disk-rw", staging, mount()));
        plugin.node().nodePublishVolume(publish(V + "vol-rw", "disk-rw", staging, target, mount(), true));
        assertTrue(DeviceLab.mountAt(target).readOnly());
        assertErofs(target.resolve("x"));
        Files.writeString(staging.resolve("x"), "staging stays writable");
        assertEquals("staging stays writable", Files.readString(target.resolve("x")));
        // the same publish again is fine; a writable publish at the same target is not
        plugin.node().nodePublishVolume(publish(V + "vol-rw", "disk-rw", staging, target, mount(), true));
        assertEquals(
                Status.Code.ALREADY_EXISTS,
                code(() -> plugin.node()
                        .nodePublishVolume(publish(V + "vol-rw", "disk-rw", staging, target, mount(), false))));
    }

    static void assertErofs(Path file) {
        FileSystemException e = assertThrows(FileSystemException.class, () -> Files.writeString(file, "x"));
        assertTrue(String.valueOf(e.getReason()).contains("Read-only file system"), String.valueOf(e.getReason()));
    }
}
