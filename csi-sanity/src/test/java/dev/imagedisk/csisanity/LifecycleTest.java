package dev.imagedisk.csisanity;

import static dev.imagedisk.csisanity.Codes.assertCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeGetVolumeStatsResponse;
import csi.v1.NodeServiceCapability;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import csi.v1.VolumeUsage;
import dev.imagedisk.csi.requests.CsiRequests;
import io.grpc.Status;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The whole way of a volume, as a StatefulSet pod's: create → ControllerPublish → NodeStage → NodePublish →
 * use → NodeUnpublish → NodeUnstage → ControllerUnpublish → delete, every step twice (idempotency), the
 * image's files in the volume, data kept across a detach, read-only publications, and raw block volumes.
 */
class LifecycleTest extends SanityTest {
    private void nodeUnpublish(Volume v, Path target) {
        csi.node()
                .nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(v.getVolumeId())
                        .setTargetPath(target.toString())
                        .build());
    }

    private void nodeUnstage(Volume v, Path staging) {
        csi.node()
                .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(v.getVolumeId())
                        .setStagingTargetPath(staging.toString())
                        .build());
    }

    private void controllerUnpublish(Volume v) {
        csi.controller()
                .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(v.getVolumeId())
                        .setNodeId(csi.nodeId)
                        .build());
    }

    /** Attach, stage and publish (each twice); returns the target. */
    private Path up(Volume v, VolumeCapability cap) {
        Map<String, String> ctx = res.controllerPublish(v, cap, false);
        assertEquals(ctx, res.controllerPublish(v, cap, false), "a repeated ControllerPublishVolume differs");
        Path staging = res.newStagingDir();
        res.stage(v, ctx, staging, cap);
        res.stage(v, ctx, staging, cap);
        if (cap.hasMount()) {
            assertEquals(
                    1,
                    Mounts.at(staging).size(),
                    "one mount at the staging path after staging twice: " + Mounts.at(staging));
        }
        Path target = res.newTargetPath();
        res.publish(v, ctx, staging, target, cap, false);
        res.publish(v, ctx, staging, target, cap, false);
        assertEquals(
                1, Mounts.at(target).size(), "one mount at the target after publishing twice: " + Mounts.at(target));
        lastStaging = staging;
        return target;
    }

    private Path lastStaging;

    /** Unpublish, unstage and detach (each twice). */
    private void down(Volume v, Path staging, Path target) {
        nodeUnpublish(v, target);
        nodeUnpublish(v, target);
        assertTrue(Mounts.at(target).isEmpty(), "still mounted at the target after NodeUnpublishVolume");
        assertFalse(
                Files.exists(target, LinkOption.NOFOLLOW_LINKS),
                "NodeUnpublishVolume must remove the target "
                        + "path it created (upstream: should remove target path)");
        nodeUnstage(v, staging);
        nodeUnstage(v, staging);
        assertTrue(Mounts.at(staging).isEmpty(), "still mounted at the staging path after NodeUnstageVolume");
        controllerUnpublish(v);
        controllerUnpublish(v);
        if (csi.has(Type.GET_VOLUME)) {
            assertEquals(
                    List.of(),
                    csi.controller()
                            .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                    .setVolumeId(v.getVolumeId())
                                    .build())
                            .getStatus()
                            .getPublishedNodeIdsList());
        }
    }

    @Test
    @DisplayName("mount volume: the whole way twice, every call twice; the image's files are there, data outlives "
            + "a detach, the filesystem has the disk's size")
    void lifecycle() throws IOException {
        Volume v = res.create("life");
        Path target = up(v, CsiRequests.RWO);
        Path staging = lastStaging;
        if (Files2.knowsImage(csi)) {
            Files2.assertImageFiles(target);
        }
        Files2.assertWritable(target, "written-by-sanity.txt", "kept across a detach\n");
        long total = Files2.totalBytes(target);
        assertTrue(
                total > Csi.SIZE * 85 / 100,
                "the filesystem (" + total + " bytes) was not grown to the 10 GiB " + "disk made from a small image");
        down(v, staging, target);

        Path again = up(v, CsiRequests.RWO);
        assertEquals(
                "kept across a detach\n",
                Files.readString(again.resolve("written-by-sanity.txt")),
                "data written before the detach is gone");
        if (Files2.knowsImage(csi)) {
            Files2.assertImageFiles(again);
        }
        down(v, lastStaging, again);

        csi.controller()
                .deleteVolume(DeleteVolumeRequest.newBuilder()
                        .setVolumeId(v.getVolumeId())
                        .build());
        csi.controller()
                .deleteVolume(DeleteVolumeRequest.newBuilder()
                        .setVolumeId(v.getVolumeId())
                        .build());
        if (csi.has(Type.GET_VOLUME)) {
            assertCode(
                    Status.Code.NOT_FOUND,
                    () -> csi.controller()
                            .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                    .setVolumeId(v.getVolumeId())
                                    .build()),
                    "ControllerGetVolume after delete");
        }
    }

    @Test
    @DisplayName("NodePublishVolume readonly: the files are readable, writes fail; the same target asked read-write, "
            + "or the staging path asked read-only: ALREADY_EXISTS")
    void readOnlyNodePublish() throws IOException {
        Resources.Mounted m = res.mountNew("ro-node");
        Path ro = res.newTargetPath();
        res.publish(m.volume(), m.publishContext(), m.staging(), ro, CsiRequests.RWO, true);
        assertTrue(Mounts.at(ro).get(0).readOnly(), "the read-only publication is not mounted ro");
        if (Files2.knowsImage(csi)) {
            Files2.assertImageFiles(ro);
        }
        Files2.assertReadOnly(ro);
        Files2.assertWritable(m.target(), "rw.txt", "the read-write publication stays writable");
        assertCode(
                Status.Code.ALREADY_EXISTS,
                () -> {
                    res.publish(m.volume(), m.publishContext(), m.staging(), ro, CsiRequests.RWO, false);
                    return null;
                },
                "NodePublishVolume read-write at a target published read-only");
        assertCode(
                Status.Code.ALREADY_EXISTS,
                () -> {
                    res.stage(m.volume(), m.publishContext(), m.staging(), CsiRequests.RO);
                    return null;
                },
                "NodeStageVolume read-only at a staging path staged read-write");
    }

    @Test
    @DisplayName("PUBLISH_READONLY: attached read-only, staged and published with a reader-only mode: readable, "
            + "not writable")
    void readOnlyAttach() throws IOException {
        assumeTrue(csi.has(Type.PUBLISH_READONLY), "PUBLISH_READONLY not advertised");
        Volume v = res.createVolume(res.createRequest("ro-attach")
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(CsiRequests.RO)
                        .build())
                .getVolume();
        Map<String, String> ctx = res.controllerPublish(v, CsiRequests.RO, true);
        Path staging = res.newStagingDir();
        res.stage(v, ctx, staging, CsiRequests.RO);
        assertTrue(Mounts.at(staging).get(0).readOnly(), "a reader-only volume is staged read-write");
        Path target = res.newTargetPath();
        res.publish(v, ctx, staging, target, CsiRequests.RO, true);
        if (Files2.knowsImage(csi)) {
            Files2.assertImageFiles(target);
        }
        Files2.assertReadOnly(target);
    }

    @Test
    @DisplayName("SINGLE_NODE_SINGLE_WRITER and SINGLE_NODE_MULTI_WRITER (controller SINGLE_NODE_MULTI_WRITER): usable "
            + "end to end; a single-writer volume at a second target: FAILED_PRECONDITION when the node advertises "
            + "SINGLE_NODE_MULTI_WRITER (upstream)")
    void singleNodeModes() throws IOException {
        assumeTrue(csi.has(Type.SINGLE_NODE_MULTI_WRITER), "controller SINGLE_NODE_MULTI_WRITER not advertised");
        Resources.Mounted single = res.mountNew("snsw", CsiRequests.mount(Mode.SINGLE_NODE_SINGLE_WRITER));
        Files2.assertWritable(single.target(), "single.txt", "one writer\n");
        Resources.Mounted multi = res.mountNew("snmw", CsiRequests.mount(Mode.SINGLE_NODE_MULTI_WRITER));
        Path second = res.newTargetPath();
        res.publish(multi.volume(), multi.publishContext(), multi.staging(), second, multi.capability(), false);
        Files2.assertWritable(second, "multi.txt", "two writers on one node\n");
        assertEquals(
                "two writers on one node\n", Files.readString(multi.target().resolve("multi.txt")));
        if (csi.has(NodeServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER)) {
            assertCode(
                    Status.Code.FAILED_PRECONDITION,
                    () -> {
                        res.publish(
                                single.volume(),
                                single.publishContext(),
                                single.staging(),
                                res.newTargetPath(),
                                single.capability(),
                                false);
                        return null;
                    },
                    "NodePublishVolume of a SINGLE_NODE_SINGLE_WRITER volume at a second target");
        }
    }

    @Test
    @DisplayName("block volume: the whole way; the target is the disk (the image's ext4 superblock, 10 GiB), "
            + "writable at any offset")
    void blockLifecycle() throws IOException {
        VolumeCapability block = CsiRequests.block(Mode.SINGLE_NODE_WRITER);
        Volume v = res.createVolume(res.createRequest("block")
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(block)
                        .build())
                .getVolume();
        Path target = up(v, block);
        Path staging = lastStaging;
        assertTrue(
                Files.readAttributes(target, BasicFileAttributes.class).isOther(),
                "the published block volume is not a device node: " + target);
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (Files2.knowsImage(csi)) {
                ByteBuffer magic = ByteBuffer.allocate(2);
                ch.read(magic, 1024 + 0x38);
                assertEquals(
                        0xEF53,
                        (magic.get(0) & 0xff) | (magic.get(1) & 0xff) << 8,
                        "the block volume does not start with the image's ext4 superblock");
            }
            byte[] pattern = new byte[4096];
            Arrays.fill(pattern, (byte) 0x5a);
            long offset = Csi.SIZE - 8192;
            ch.write(ByteBuffer.wrap(pattern), offset);
            ch.force(true);
            ByteBuffer back = ByteBuffer.allocate(4096);
            ch.read(back, offset);
            assertTrue(Arrays.equals(pattern, back.array()), "read back something else near the end of the disk");
        }
        if (csi.has(NodeServiceCapability.RPC.Type.GET_VOLUME_STATS)) {
            NodeGetVolumeStatsResponse s = csi.node()
                    .nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                            .setVolumeId(v.getVolumeId())
                            .setVolumePath(target.toString())
                            .build());
            assertTrue(
                    s.getUsageList().stream()
                            .anyMatch(
                                    u -> u.getUnit() == VolumeUsage.Unit.BYTES && u.getTotal() == v.getCapacityBytes()),
                    "a block volume's stats should give its size " + v.getCapacityBytes() + ": " + Codes.oneLine(s));
        }
        down(v, staging, target);
    }
}
