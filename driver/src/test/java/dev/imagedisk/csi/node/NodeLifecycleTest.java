package dev.imagedisk.csi.node;

import static dev.imagedisk.csi.node.DeviceLab.sh;
import static dev.imagedisk.csi.node.NodePlugin.block;
import static dev.imagedisk.csi.node.NodePlugin.mount;
import static dev.imagedisk.csi.node.NodePlugin.publish;
import static dev.imagedisk.csi.node.NodePlugin.stage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.CapacityRange;
import csi.v1.NodeExpandVolumeRequest;
import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeGetVolumeStatsResponse;
import csi.v1.NodeGrpc;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.VolumeCapability.AccessMode.Mode;
import csi.v1.VolumeUsage;
import dev.imagedisk.csi.mount.MountInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Unstage/unpublish, idempotency, stats, expansion, block volumes, concurrency and path safety on loop devices. */
@Tag("integration")
class NodeLifecycleTest {
    static final String V = "projects/p/zones/us-central1-a/disks/";
    private static final long MIB = 1024 * 1024;

    @RegisterExtension
    final DeviceLab lab = DeviceLab.perTest();

    NodePlugin plugin;

    @BeforeEach
    void start() throws Exception {
        plugin = new NodePlugin(lab, "--device-wait", "5s");
    }

    @AfterEach
    void stop() {
        if (plugin != null) {
            plugin.close();
        }
    }

    NodeGrpc.NodeBlockingStub node() {
        return plugin.node();
    }

    Path target(String pod) throws IOException {
        return Files.createDirectories(lab.kubeletDir.resolve("pods/" + pod + "/volumes/kubernetes.io~csi/pv"))
                .resolve("mount");
    }

    void unstage(String volumeId, Path staging) {
        node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .setStagingTargetPath(staging.toString())
                .build());
    }

    void unpublish(String volumeId, Path target) {
        node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .setTargetPath(target.toString())
                .build());
    }

    NodeGetVolumeStatsResponse stats(String volumeId, Path path) {
        return node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                .setVolumeId(volumeId)
                .setVolumePath(path.toString())
                .build());
    }

    static VolumeUsage usage(NodeGetVolumeStatsResponse r, VolumeUsage.Unit unit) {
        return r.getUsageList().stream()
                .filter(u -> u.getUnit() == unit)
                .findFirst()
                .orElseThrow();
    }

    static Status.Code code(Runnable call) {
        return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
    }

    @Test
    void allFourCallsAreIdempotentAndConflictsAreAlreadyExists() throws Exception {
        lab.attach(lab.sparse("a", 64 * MIB), "disk-a");
        lab.attach(lab.sparse("b", 64 * MIB), "disk-b");
        Path staging = lab.staging("pv-a");
        Path target = target("pod-a");
        for (int i = 0; i < 2; i++) {
            node().nodeStageVolume(stage(V + "vol-a", "disk-a", staging, mount()));
            node().nodePublishVolume(publish(V + "vol-a", "disk-a", staging, target, mount(), false));
        }
        assertEquals(
                1,
                DeviceLab.mounts().stream()
                        .filter(m -> m.mountPoint().equals(staging))
                        .count(),
                "staged once");
        assertEquals(
                1,
                DeviceLab.mounts().stream()
                        .filter(m -> m.mountPoint().equals(target))
                        .count(),
                "published once");

        // another disk at the same staging path, and something else already mounted at a target
        assertEquals(
                Status.Code.ALREADY_EXISTS,
                code(() -> node().nodeStageVolume(stage(V + "vol-b", "disk-b", staging, mount()))));
        Path other = Files.createDirectories(lab.kubeletDir.resolve("other"));
        Path target2 = target("pod-b");
        Files.createDirectories(target2);
        sh("mount", "--bind", other.toString(), target2.toString());
        assertEquals(
                Status.Code.ALREADY_EXISTS,
                code(() -> node().nodePublishVolume(publish(V + "vol-a", "disk-a", staging, target2, mount(), false))));
        sh("umount", target2.toString());
        // a writable stage asked again as read-only
        assertEquals(
                Status.Code.ALREADY_EXISTS,
                code(() -> node().nodeStageVolume(
                                stage(V + "vol-a", "disk-a", staging, mount(Mode.SINGLE_NODE_READER_ONLY, "")))));

        for (int i = 0; i < 2; i++) {
            unpublish(V + "vol-a", target);
            assertFalse(Files.exists(target));
            unstage(V + "vol-a", staging);
            assertFalse(Files.exists(staging));
        }
        // never-created paths are fine too
        unpublish(V + "vol-a", target("pod-never"));
        unstage(V + "vol-a", lab.staging("pv-never"));
    }

    @Test
    void unstageLeavesAMountTheDriverDidNotMake() throws Exception {
        Path staging = Files.createDirectories(lab.staging("pv-foreign"));
        sh("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", staging.toString());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> unstage(V + "vol-f", staging));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(
                e.getStatus().getDescription().contains("did not make"),
                e.getStatus().getDescription());
        assertTrue(DeviceLab.isMountPoint(staging), "the tmpfs is still mounted");
    }

    @Test
    void publishBeforeStageIsFailedPrecondition() throws Exception {
        lab.attach(lab.sparse("ns", 64 * MIB), "disk-ns");
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> node().nodePublishVolume(publish(
                        V + "vol-ns", "disk-ns", lab.staging("pv-ns"), target("pod-ns"), mount(), false)));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(
                e.getStatus().getDescription().contains("not staged"),
                e.getStatus().getDescription());
    }

    @Test
    void aBusyMountIsNotUnstagedAndTheErrorIsRetryable() throws Exception {
        lab.attach(lab.sparse("busy", 64 * MIB), "disk-busy");
        Path staging = lab.staging("pv-busy");
        node().nodeStageVolume(stage(V + "vol-busy", "disk-busy", staging, mount()));
        try (FileChannel open =
                FileChannel.open(staging.resolve("held"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            StatusRuntimeException e =
                    assertThrows(StatusRuntimeException.class, () -> unstage(V + "vol-busy", staging));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
            assertTrue(
                    e.getStatus().getDescription().contains("in use"),
                    e.getStatus().getDescription());
            assertTrue(DeviceLab.isMountPoint(staging), "no lazy detach: the mount stays");
            open.write(ByteBuffer.wrap("still writable".getBytes()));
        }
        unstage(V + "vol-busy", staging);
        assertFalse(DeviceLab.isMountPoint(staging));
    }

    @Test
    void statsReportBytesAndInodesAndAbnormalWhenTheDeviceIsDetached() throws Exception {
        Path device = lab.attach(lab.sparse("st", 128 * MIB), "disk-st");
        Path staging = lab.staging("pv-st");
        Path target = target("pod-st");
        node().nodeStageVolume(stage(V + "vol-st", "disk-st", staging, mount()));
        node().nodePublishVolume(publish(V + "vol-st", "disk-st", staging, target, mount(), false));
        NodeGetVolumeStatsResponse before = stats(V + "vol-st", target);
        Files.write(target.resolve("five-mib"), new byte[(int) (5 * MIB)]);
        for (int i = 0; i < 10; i++) {
            Files.writeString(target.resolve("f" + i), "x");
        }
        sh("sync");
        NodeGetVolumeStatsResponse after = stats(V + "vol-st", target);
        VolumeUsage bytes = usage(after, VolumeUsage.Unit.BYTES);
        VolumeUsage inodes = usage(after, VolumeUsage.Unit.INODES);
        assertTrue(bytes.getTotal() > 100 * MIB && bytes.getTotal() <= 128 * MIB, bytes.toString());
        assertTrue(bytes.getUsed() - usage(before, VolumeUsage.Unit.BYTES).getUsed() >= 5 * MIB, bytes.toString());
        assertTrue(bytes.getAvailable() > 0 && bytes.getAvailable() < bytes.getTotal(), bytes.toString());
        assertEquals(
                11, inodes.getUsed() - usage(before, VolumeUsage.Unit.INODES).getUsed(), inodes.toString());
        assertTrue(inodes.getTotal() > 1000, inodes.toString());
        assertFalse(
                after.getVolumeCondition().getAbnormal(),
                after.getVolumeCondition().getMessage());

        // the disk goes away under the mounts (here: the loop device is detached, lazily, while in use)
        lab.detach(device);
        lab.unlink("disk-st");
        NodeGetVolumeStatsResponse gone = stats(V + "vol-st", target);
        assertTrue(gone.getVolumeCondition().getAbnormal());
        assertTrue(
                gone.getVolumeCondition().getMessage().contains("detached"),
                gone.getVolumeCondition().getMessage());

        // and it still unpublishes and unstages, after which the kernel lets the loop device go
        unpublish(V + "vol-st", target);
        unstage(V + "vol-st", staging);
        assertFalse(DeviceLab.isMountPoint(staging));
        assertFalse(
                Files.exists(Path.of("/sys/class/block", device.getFileName().toString(), "loop/backing_file")),
                "the loop device was released");
    }

    @Test
    void statsOfAMissingPathIsNotFoundAndOfAnUnmountedOneAbnormal() throws Exception {
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class, () -> stats(V + "vol-x", lab.kubeletDir.resolve("pods/none/mount")));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        Path plain = Files.createDirectories(lab.kubeletDir.resolve("pods/plain/mount"));
        NodeGetVolumeStatsResponse r = stats(V + "vol-x", plain);
        assertTrue(r.getVolumeCondition().getAbnormal());
        assertTrue(
                r.getVolumeCondition().getMessage().contains("not mounted"),
                r.getVolumeCondition().getMessage());
    }

    @Test
    void expandGrowsXfsOnlineAfterTheDiskGrows() throws Exception {
        assumeTrue(DeviceLab.has("mkfs.xfs"), "mkfs.xfs is not installed (apt package xfsprogs); xfs test skipped");
        Path file = lab.sparse("xg", 320 * MIB);
        Path device = lab.attach(file, "disk-xg");
        Path staging = lab.staging("pv-xg");
        Path target = target("pod-xg");
        node().nodeStageVolume(stage(V + "vol-xg", "disk-xg", staging, mount(Mode.SINGLE_NODE_WRITER, "xfs")));
        node().nodePublishVolume(publish(V + "vol-xg", "disk-xg", staging, target, mount(), false));
        long before = Files.getFileStore(target).getTotalSpace();
        sh("truncate", "-s", Long.toString(640 * MIB), file.toString());
        sh("losetup", "--set-capacity", device.toString());
        long capacity = node().nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                        .setVolumeId(V + "vol-xg")
                        .setVolumePath(target.toString())
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(640 * MIB))
                        .build())
                .getCapacityBytes();
        assertEquals(640 * MIB, capacity);
        long afterBytes = Files.getFileStore(target).getTotalSpace();
        assertTrue(afterBytes > before + 250 * MIB, before + " -> " + afterBytes);
    }

    @Test
    void expandGrowsExt4OnlineWhenThePluginMayResize() throws Exception {
        assumeTrue(
                hasCapSysResource(),
                "this process lacks CAP_SYS_RESOURCE, which online ext4 growth "
                        + "(EXT4_IOC_RESIZE_FS) needs; skipped (the xfs and offline ext4 growth tests still run)");
        Path file = lab.sparse("eg", 64 * MIB);
        Path device = lab.attach(file, "disk-eg");
        Path staging = lab.staging("pv-eg");
        node().nodeStageVolume(stage(V + "vol-eg", "disk-eg", staging, mount()));
        sh("truncate", "-s", Long.toString(256 * MIB), file.toString());
        sh("losetup", "--set-capacity", device.toString());
        long capacity = node().nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                        .setVolumeId(V + "vol-eg")
                        .setVolumePath(staging.toString())
                        .build())
                .getCapacityBytes();
        assertEquals(256 * MIB, capacity);
        assertTrue(Files.getFileStore(staging).getTotalSpace() > 200 * MIB);
    }

    @Test
    void expandRefusesAPathWithNothingMountedAndAnUngrownDisk() throws Exception {
        Path plain = Files.createDirectories(lab.kubeletDir.resolve("pods/p/mount"));
        assertEquals(
                Status.Code.FAILED_PRECONDITION,
                code(() -> node().nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                        .setVolumeId(V + "v")
                        .setVolumePath(plain.toString())
                        .build())));
        assertEquals(
                Status.Code.NOT_FOUND,
                code(() -> node().nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                        .setVolumeId(V + "v")
                        .setVolumePath(plain.resolveSibling("nope").toString())
                        .build())));
        lab.attach(lab.sparse("ug", 64 * MIB), "disk-ug");
        Path staging = lab.staging("pv-ug");
        node().nodeStageVolume(stage(V + "vol-ug", "disk-ug", staging, mount()));
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> node().nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                        .setVolumeId(V + "vol-ug")
                        .setVolumePath(staging.toString())
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(128 * MIB))
                        .build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        assertTrue(
                e.getStatus().getDescription().contains("has not grown"),
                e.getStatus().getDescription());
    }

    @Test
    void blockVolumesBindTheDeviceOnAFile() throws Exception {
        Path file = lab.sparse("blk", 64 * MIB);
        Path device = lab.attach(file, "disk-blk");
        Path staging = lab.staging("pv-blk");
        Path target = target("pod-blk");
        Path roTarget = target("pod-blk-ro");
        node().nodeStageVolume(stage(V + "vol-blk", "disk-blk", staging, block(Mode.SINGLE_NODE_WRITER)));
        assertFalse(DeviceLab.isMountPoint(staging), "nothing is mounted at stage for a block volume");
        for (int i = 0; i < 2; i++) {
            node().nodePublishVolume(
                            publish(V + "vol-blk", "disk-blk", staging, target, block(Mode.SINGLE_NODE_WRITER), false));
        }
        assertTrue(DeviceLab.isMountPoint(target));
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("through the target".getBytes()), 4096);
        }
        try (FileChannel ch = FileChannel.open(device, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(18);
            ch.read(buf, 4096);
            assertEquals("through the target", new String(buf.array()));
        }
        node().nodePublishVolume(
                        publish(V + "vol-blk", "disk-blk", staging, roTarget, block(Mode.SINGLE_NODE_WRITER), true));
        MountInfo ro = DeviceLab.mountAt(roTarget);
        assertNotNull(ro);
        assertTrue(ro.readOnly(), "the read-only bind of the device is a read-only mount");

        NodeGetVolumeStatsResponse stats = stats(V + "vol-blk", target);
        assertEquals(64 * MIB, usage(stats, VolumeUsage.Unit.BYTES).getTotal());
        assertFalse(stats.getVolumeCondition().getAbnormal());

        sh("truncate", "-s", Long.toString(96 * MIB), file.toString());
        sh("losetup", "--set-capacity", device.toString());
        assertEquals(
                96 * MIB,
                node().nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                                .setVolumeId(V + "vol-blk")
                                .setVolumePath(target.toString())
                                .build())
                        .getCapacityBytes());

        unpublish(V + "vol-blk", target);
        unpublish(V + "vol-blk", roTarget);
        assertFalse(Files.exists(target));
        assertFalse(Files.exists(roTarget));
        unstage(V + "vol-blk", staging);
    }

    @Test
    void aSecondCallOnAVolumeInFlightIsAbortedWhileOtherVolumesProceed() throws Exception {
        plugin.close();
        plugin = new NodePlugin(lab, "--device-wait", "10m"); // the first stage waits until the test attaches
        Path file = lab.sparse("slow", 64 * MIB);
        lab.attach(lab.sparse("other", 64 * MIB), "disk-other");
        Path staging = lab.staging("pv-slow");
        lab.unlink("disk-slow");
        NodeStageVolumeRequest slow = stage(V + "vol-slow", "disk-slow", staging, mount());
        // the first stage waits for its device, which appears only when the test attaches it; it retries while a
        // probe below holds the volume, as a CO retries an ABORTED call
        CompletableFuture<Void> first = CompletableFuture.runAsync(() -> {
            while (true) {
                try {
                    node().nodeStageVolume(slow);
                    return;
                } catch (StatusRuntimeException busy) {
                    if (busy.getStatus().getCode() != Status.Code.ABORTED) {
                        throw busy;
                    }
                }
            }
        });
        // a second call is ABORTED once the first holds the volume; before that, the probe itself holds it until
        // its short deadline, and tries again
        StatusRuntimeException e;
        do {
            e = assertThrows(
                    StatusRuntimeException.class,
                    () -> node().withDeadlineAfter(100, TimeUnit.MILLISECONDS).nodeStageVolume(slow));
        } while (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED);
        assertEquals(Status.Code.ABORTED, e.getStatus().getCode());
        assertTrue(
                e.getStatus().getDescription().contains("NodeStageVolume"),
                e.getStatus().getDescription());
        assertEquals(Status.Code.ABORTED, code(() -> unstage(V + "vol-slow", staging)));
        // a different volume is not held up
        node().nodeStageVolume(stage(V + "vol-other", "disk-other", lab.staging("pv-other"), mount()));
        assertFalse(first.isDone());
        lab.attach(file, "disk-slow");
        first.get(30, TimeUnit.SECONDS);
        assertTrue(DeviceLab.isMountPoint(staging));
    }

    /**
     * With a 10 minute --device-wait, a call with a 700 ms deadline ends DEADLINE_EXCEEDED and the server lets
     * the volume go too (a later call on it is not ABORTED, which it would be for 10 minutes if the server
     * waited on); with --device-wait 1s and no deadline, NOT_FOUND says it waited the flag's 1000 ms. The 30 s
     * bounds only guard against a hang.
     */
    @Test
    void theDeviceWaitIsBoundedByTheFlagAndByTheCallsDeadline() throws Exception {
        plugin.close();
        plugin = new NodePlugin(lab, "--device-wait", "10m");
        StatusRuntimeException late = assertThrows(
                StatusRuntimeException.class,
                () -> NodeGrpc.newBlockingStub(plugin.client.channel())
                        .withDeadlineAfter(700, TimeUnit.MILLISECONDS)
                        .nodeStageVolume(stage(V + "vol-none", "disk-none", lab.staging("pv-none"), mount())));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, late.getStatus().getCode());
        NodeUnstageVolumeRequest unstage = NodeUnstageVolumeRequest.newBuilder()
                .setVolumeId(V + "vol-none")
                .setStagingTargetPath(lab.staging("pv-none").toString())
                .build();
        // the server gives up at the deadline too, and releases the volume: the unstage goes through
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            while (true) {
                try {
                    node().nodeUnstageVolume(unstage);
                    return;
                } catch (StatusRuntimeException busy) {
                    assertEquals(Status.Code.ABORTED, busy.getStatus().getCode(), busy.getMessage());
                    Thread.sleep(20);
                }
            }
        });

        plugin.close();
        plugin = new NodePlugin(lab, "--device-wait", "1s");
        StatusRuntimeException e = assertTimeoutPreemptively(
                Duration.ofSeconds(30),
                () -> assertThrows(
                        StatusRuntimeException.class,
                        () -> node().nodeStageVolume(
                                        stage(V + "vol-none", "disk-none", lab.staging("pv-none"), mount()))));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        String why = e.getStatus().getDescription();
        assertTrue(why.contains("google-disk-none"), why);
        assertTrue(why.contains("after waiting 1000 ms"), "waited the 1s --device-wait: " + why);
    }

    @Test
    void pathsOutsideTheKubeletDirectoryAreRefused() throws Exception {
        lab.attach(lab.sparse("ps", 64 * MIB), "disk-ps");
        Path outside = Files.createDirectories(lab.root.resolve("outside"));
        Path link = lab.kubeletDir.resolve("plugins/escape");
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, outside);
        String[] bad = {
            "relative/globalmount",
            lab.kubeletDir + "/plugins/../../outside/globalmount",
            lab.kubeletDir + "/plugins/./x/globalmount",
            outside.resolve("globalmount").toString(),
            lab.kubeletDir.toString(),
            link.resolve("globalmount").toString(),
            link.toString(),
        };
        for (String path : bad) {
            StatusRuntimeException e = assertThrows(
                    StatusRuntimeException.class,
                    () -> node().nodeStageVolume(stage(V + "vol-ps", "disk-ps", Path.of("/"), mount()).toBuilder()
                            .setStagingTargetPath(path)
                            .build()),
                    path);
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), path);
            assertTrue(
                    e.getStatus().getDescription().contains("staging_target_path"),
                    e.getStatus().getDescription());
        }
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> unpublish(V + "vol-ps", link.resolve("mount"))));
        assertTrue(
                DeviceLab.mounts().stream().noneMatch(m -> m.mountPoint().startsWith(lab.root)), "nothing was mounted");
        try (var s = Files.list(outside)) {
            assertEquals(0, s.count(), "nothing was created outside");
        }
    }

    static boolean hasCapSysResource() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseLong(line.substring(7).trim(), 16);
                    return (caps & (1L << 24)) != 0;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
