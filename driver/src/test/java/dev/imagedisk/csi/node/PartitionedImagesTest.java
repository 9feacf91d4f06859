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

import csi.v1.NodeExpandVolumeRequest;
import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.imagedisk.csi.mount.MountInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Images as users make them (a boot disk's GPT layout, an MBR disk, a whole-disk xfs, a GPT whose ext4 partition
 * is not last) staged through the plugin's socket on real loop devices. This machine's kernel may not parse
 * partition tables, so the driver itself tells the kernel of the partitions (BLKPG via partx).
 */
@Tag("integration")
class PartitionedImagesTest {
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;
    static final String V = "projects/p/zones/us-central1-a/disks/";

    @RegisterExtension
    final DeviceLab lab = DeviceLab.perTest(
            "partitioned-image tests need sfdisk, partx (fdisk, util-linux) and mkfs.vfat (dosfstools)",
            "sfdisk",
            "partx",
            "mkfs.vfat");

    NodePlugin plugin;

    @BeforeEach
    void start() throws Exception {
        plugin = new NodePlugin(lab);
    }

    @AfterEach
    void stop() throws Exception {
        if (plugin != null) {
            plugin.close();
        }
        if (lab.root != null) {
            // closed here (again after this method, harmlessly) to check it left nothing behind
            Path files = lab.files;
            lab.close();
            String left = DeviceLab.run(
                            "losetup", "--associated", files.resolve("x").toString())
                    .out();
            assertFalse(
                    DeviceLab.mounts().stream().anyMatch(m -> m.mountPoint().startsWith(lab.root)),
                    "nothing is left mounted");
            assertTrue(left.isBlank(), left);
        }
    }

    /** A small runtime: a version file, a venv activation script, a 2 MiB "library". */
    Path runtime() throws IOException {
        Path tree = lab.files.resolve("runtime");
        if (Files.exists(tree)) {
            return tree;
        }
        Files.createDirectories(tree.resolve("venv/bin"));
        Files.writeString(tree.resolve("VERSION"), "runtime 1.0\n");
        Files.writeString(tree.resolve("venv/bin/activate"), "export VIRTUAL_ENV=/runtime/venv\n");
        Files.write(tree.resolve("venv/libtorch.so"), new byte[2 * (int) MIB]);
        return tree;
    }

    void stageAndPublish(String name, Path staging, Path target) {
        plugin.node().nodeStageVolume(stage(V + name, name, staging, mount()));
        plugin.node().nodePublishVolume(publish(V + name, name, staging, target, mount(), false));
    }

    void unpublishAndUnstage(String name, Path staging, Path target) {
        plugin.node()
                .nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(V + name)
                        .setTargetPath(target.toString())
                        .build());
        plugin.node()
                .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(V + name)
                        .setStagingTargetPath(staging.toString())
                        .build());
    }

    static String blkid(Path device, String tag) throws IOException {
        DeviceLab.Result r = DeviceLab.run("blkid", "-p", "-o", "value", "-s", tag, device.toString());
        return r.code() == 0 ? r.out().trim() : "";
    }

    /** Stages a 10 GiB volume from a 1 GiB image and checks what a pod sees, then restages. */
    void tenGibVolumeFromImage(String name, Path image, boolean efi) throws Exception {
        sh("truncate", "-s", Long.toString(10 * GIB), image.toString());
        Path device = lab.attach(image, name);
        Path staging = lab.staging("pv-" + name);
        Path target = lab.target("pod-" + name);
        stageAndPublish(name, staging, target);
        MountInfo m = DeviceLab.mountAt(staging);
        assertNotNull(m);
        assertEquals(device + "p1", m.source(), "partition 1 is mounted");
        assertEquals("runtime 1.0\n", Files.readString(target.resolve("VERSION")));
        assertEquals(2 * MIB, Files.size(target.resolve("venv/libtorch.so")));
        long total = Files.getFileStore(target).getTotalSpace();
        assertTrue(total >= 0.9 * 10 * GIB, "the filesystem spans the 10 GiB disk: " + total);
        if (efi) {
            assertEquals("vfat", blkid(Path.of(device + "p15"), "TYPE"), "the EFI partition is still vfat");
        }
        Files.writeString(target.resolve("written-by-pod"), "kept");
        String table = sh("sfdisk", "--dump", device.toString());
        unpublishAndUnstage(name, staging, target);
        assertFalse(DeviceLab.isMountPoint(staging));

        stageAndPublish(name, staging, target);
        assertEquals("kept", Files.readString(target.resolve("written-by-pod")), "data survives a restage");
        assertEquals(table, sh("sfdisk", "--dump", device.toString()), "a second stage changes nothing");
        unpublishAndUnstage(name, staging, target);
    }

    @Test
    void aTenGibVolumeFromABootDiskImage() throws Exception {
        Path image = lab.files.resolve("boot.img");
        TestImages.bootDisk(image, GIB, runtime());
        tenGibVolumeFromImage("boot", image, true);
    }

    @Test
    void aTenGibVolumeFromAnMbrImage() throws Exception {
        Path image = lab.files.resolve("mbr.img");
        TestImages.mbr(image, GIB, runtime());
        tenGibVolumeFromImage("mbr", image, false);
    }

    static boolean hasCapSysResource() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapEff:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 24)) != 0;
            }
        }
        return false;
    }

    /** The size of partition {@code n} of {@code device} as the kernel knows it (sysfs). */
    static long kernelPartitionBytes(Path device, int n) throws IOException {
        return Long.parseLong(Files.readString(Path.of("/sys/class/block", device.getFileName() + "p" + n, "size"))
                        .trim())
                * 512;
    }

    /** Partition {@code n}'s line of {@code sfdisk --dump device}. */
    static String tableEntry(Path device, int n) throws IOException {
        return DeviceLab.run("sfdisk", "--dump", device.toString())
                .out()
                .lines()
                .filter(l -> l.startsWith(device + "p" + n))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void expandingTheBootDiskVolumeGrowsPartitionAndFilesystem() throws Exception {
        Path image = lab.files.resolve("grow.img");
        TestImages.bootDisk(image, GIB, runtime());
        sh("truncate", "-s", Long.toString(10 * GIB), image.toString());
        Path device = lab.attach(image, "grow");
        Path staging = lab.staging("pv-grow");
        Path target = lab.target("pod-grow");
        stageAndPublish("grow", staging, target);
        sh("truncate", "-s", Long.toString(20 * GIB), image.toString());
        sh("losetup", "--set-capacity", device.toString());
        NodeExpandVolumeRequest expand = NodeExpandVolumeRequest.newBuilder()
                .setVolumeId(V + "grow")
                .setVolumePath(target.toString())
                .build();
        if (hasCapSysResource()) {
            long capacity = plugin.node().nodeExpandVolume(expand).getCapacityBytes();
            assertTrue(capacity >= 0.99 * 20 * GIB, "capacity " + capacity);
            assertTrue(Files.getFileStore(target).getTotalSpace() >= 0.9 * 20 * GIB, "grown online");
        } else {
            System.out.println("PartitionedImagesTest: this process lacks CAP_SYS_RESOURCE, so the online grow of a "
                    + "mounted ext4 is refused here; checking the refusal and the growth at the next stage instead");
            StatusRuntimeException e = assertThrows(
                    StatusRuntimeException.class, () -> plugin.node().nodeExpandVolume(expand));
            assertTrue(
                    e.getStatus().getDescription().contains("CAP_SYS_RESOURCE"),
                    e.getStatus().toString());
        }
        long p1 = kernelPartitionBytes(device, 1);
        assertTrue(p1 >= 20 * GIB - 200 * MIB, "the partition spans the 20 GiB disk: " + p1);
        unpublishAndUnstage("grow", staging, target);
        stageAndPublish("grow", staging, target);
        assertTrue(
                Files.getFileStore(target).getTotalSpace() >= 0.9 * 20 * GIB,
                "grown at the next stage: " + Files.getFileStore(target).getTotalSpace());
        assertEquals("runtime 1.0\n", Files.readString(target.resolve("VERSION")));
        assertEquals("vfat", blkid(Path.of(device + "p15"), "TYPE"));
        unpublishAndUnstage("grow", staging, target);
    }

    @Test
    void aStageAfterACrashMidwayCompletesTheGrowth() throws Exception {
        Path image = lab.files.resolve("crash.img");
        TestImages.bootDisk(image, GIB, runtime());
        sh("truncate", "-s", Long.toString(4 * GIB), image.toString());
        Path device = lab.attach(image, "crash");
        // a first stage died after telling the kernel of the partitions, moving the GPT backup header and growing
        // partition 1 in the table, but before telling the kernel the new size or growing the filesystem
        lab.addPartitions(device);
        sh("sfdisk", "--no-reread", "--no-tell-kernel", "--relocate", "gpt-bak-std", device.toString());
        DeviceLab.shIn(",+\n", "sfdisk", "--no-reread", "--no-tell-kernel", "--force", "-N", "1", device.toString());
        Path staging = lab.staging("pv-crash");
        Path target = lab.target("pod-crash");
        stageAndPublish("crash", staging, target);
        long p1 = kernelPartitionBytes(device, 1);
        assertTrue(p1 >= 4 * GIB - 200 * MIB, "the kernel knows the grown partition: " + p1);
        assertTrue(Files.getFileStore(target).getTotalSpace() >= 0.9 * 4 * GIB, "the filesystem grew");
        assertEquals("runtime 1.0\n", Files.readString(target.resolve("VERSION")));
        unpublishAndUnstage("crash", staging, target);
    }

    @Test
    void aWholeDiskXfsImageStagesAndGrows() throws Exception {
        assumeTrue(DeviceLab.has("mkfs.xfs") && DeviceLab.has("xfs_growfs"), "xfsprogs is not installed");
        Path image = lab.files.resolve("xfs.img");
        sh("truncate", "-s", Long.toString(512 * MIB), image.toString());
        sh("mkfs.xfs", "-q", image.toString());
        sh("truncate", "-s", Long.toString(2 * GIB), image.toString());
        lab.attach(image, "xfs");
        Path staging = lab.staging("pv-xfs");
        Path target = lab.target("pod-xfs");
        stageAndPublish("xfs", staging, target);
        assertEquals("xfs", DeviceLab.mountAt(staging).fsType());
        assertTrue(Files.getFileStore(target).getTotalSpace() >= 0.9 * 2 * GIB);
        unpublishAndUnstage("xfs", staging, target);
    }

    @Test
    void anExt4PartitionThatIsNotLastIsMountedAtItsOwnSize() throws Exception {
        Path image = lab.files.resolve("notlast.img");
        TestImages.gptNotLast(image, GIB, 256 * MIB, runtime());
        sh("truncate", "-s", Long.toString(4 * GIB), image.toString());
        Path device = lab.attach(image, "notlast");
        String p2Before = tableEntry(device, 2);
        Path staging = lab.staging("pv-notlast");
        Path target = lab.target("pod-notlast");
        stageAndPublish("notlast", staging, target);
        assertEquals(device + "p1", DeviceLab.mountAt(staging).source());
        long total = Files.getFileStore(target).getTotalSpace();
        assertTrue(total <= 256 * MIB && total > 200 * MIB, "mounted at its own size: " + total);
        assertEquals("runtime 1.0\n", Files.readString(target.resolve("VERSION")));
        String p2After = tableEntry(device, 2);
        assertEquals(p2Before, p2After, "the other partition is never changed");
        csi.v1.VolumeCondition condition = plugin.node()
                .nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                        .setVolumeId(V + "notlast")
                        .setVolumePath(target.toString())
                        .build())
                .getVolumeCondition();
        assertFalse(condition.getAbnormal());
        assertTrue(condition.getMessage().contains("not the last"), condition.getMessage());
        unpublishAndUnstage("notlast", staging, target);
    }

    @Test
    void aDeviceStagedAtAnotherPathIsFailedPreconditionNamingIt() throws Exception {
        Path image = lab.files.resolve("twice.img");
        TestImages.bootDisk(image, GIB, runtime());
        lab.attach(image, "twice");
        Path first = lab.staging("pv-twice-a");
        plugin.node().nodeStageVolume(stage(V + "twice", "twice", first, mount()));
        Path second = lab.staging("pv-twice-b");
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> plugin.node().nodeStageVolume(stage(V + "twice", "twice", second, mount())));
        assertEquals(
                Status.Code.FAILED_PRECONDITION,
                e.getStatus().getCode(),
                e.getStatus().toString());
        assertTrue(
                e.getStatus().getDescription().contains(first.toString()),
                e.getStatus().getDescription());
        assertFalse(DeviceLab.isMountPoint(second));
        StatusRuntimeException bad = assertThrows(
                StatusRuntimeException.class,
                () -> plugin.node()
                        .nodeStageVolume(stage("projects/x/zones/y/disks/../../../a", "twice", second, mount())));
        assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
        plugin.node()
                .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(V + "twice")
                        .setStagingTargetPath(first.toString())
                        .build());
    }

    @Test
    void aReadOnlyVolumeIsMountedReadOnlyFromItsPartitionAndNotGrown() throws Exception {
        Path image = lab.files.resolve("rox.img");
        TestImages.bootDisk(image, GIB, runtime());
        sh("truncate", "-s", Long.toString(4 * GIB), image.toString());
        Path device = lab.attach(image, "rox");
        String before = sh("sfdisk", "--dump", device.toString());
        Path staging = lab.staging("pv-rox");
        plugin.node().nodeStageVolume(stage(V + "rox", "rox", staging, mount(Mode.MULTI_NODE_READER_ONLY, "")));
        MountInfo m = DeviceLab.mountAt(staging);
        assertTrue(m.readOnly());
        assertEquals(device + "p1", m.source());
        assertEquals("runtime 1.0\n", Files.readString(staging.resolve("VERSION")));
        assertTrue(Files.getFileStore(staging).getTotalSpace() < GIB, "not grown");
        assertEquals(before, sh("sfdisk", "--dump", device.toString()), "the table is untouched");
        plugin.node()
                .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(V + "rox")
                        .setStagingTargetPath(staging.toString())
                        .build());
    }
}
