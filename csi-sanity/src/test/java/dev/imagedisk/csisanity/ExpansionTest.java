package dev.imagedisk.csisanity;

import static dev.imagedisk.csisanity.Codes.assertCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.ControllerExpandVolumeResponse;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.NodeExpandVolumeRequest;
import csi.v1.NodeExpandVolumeResponse;
import csi.v1.NodeServiceCapability;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.Volume;
import dev.imagedisk.csi.requests.CsiRequests;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** ControllerExpandVolume and NodeExpandVolume: errors, offline and online growth, idempotency. */
class ExpansionTest extends SanityTest {
    @BeforeEach
    void needsExpand() {
        assumeTrue(csi.has(Type.EXPAND_VOLUME), "controller EXPAND_VOLUME not advertised");
    }

    private ControllerExpandVolumeResponse controllerExpand(String id, long bytes) {
        return csi.controller()
                .controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                        .setVolumeId(id)
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(bytes))
                        .setVolumeCapability(CsiRequests.RWO)
                        .build());
    }

    private NodeExpandVolumeResponse nodeExpand(String id, Path volumePath, Path staging, long bytes) {
        NodeExpandVolumeRequest.Builder b = NodeExpandVolumeRequest.newBuilder()
                .setVolumeId(id)
                .setVolumePath(volumePath.toString())
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(bytes))
                .setVolumeCapability(CsiRequests.RWO);
        if (staging != null) {
            b.setStagingTargetPath(staging.toString());
        }
        return csi.node().nodeExpandVolume(b.build());
    }

    @Test
    @DisplayName("ControllerExpandVolume: no volume_id, no capacity_range: INVALID_ARGUMENT (upstream); "
            + "a volume that does not exist: NOT_FOUND")
    void controllerErrors() {
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> controllerExpand("", Csi.EXPANDED_SIZE),
                "ControllerExpandVolume without volume_id");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.controller()
                        .controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                                .setVolumeId("")
                                .build()),
                "ControllerExpandVolume without anything (upstream: should fail if no capacity range is given)");
        Volume v = res.create("expand-norange");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.controller()
                        .controllerExpandVolume(ControllerExpandVolumeRequest.newBuilder()
                                .setVolumeId(v.getVolumeId())
                                .build()),
                "ControllerExpandVolume without capacity_range");
        assertCode(
                Status.Code.NOT_FOUND,
                () -> controllerExpand(Csi.fakeVolumeId(), Csi.EXPANDED_SIZE),
                "ControllerExpandVolume, fake id");
        assertCode(
                Status.Code.NOT_FOUND,
                () -> controllerExpand(csi.goneVolumeId(), Csi.EXPANDED_SIZE),
                "ControllerExpandVolume of a deleted volume");
    }

    @Test
    @DisplayName("NodeExpandVolume: no volume_id, no volume_path: INVALID_ARGUMENT (upstream); "
            + "a volume that is not there: NOT_FOUND")
    void nodeErrors() {
        assumeTrue(csi.has(NodeServiceCapability.RPC.Type.EXPAND_VOLUME), "node EXPAND_VOLUME not advertised");
        Path dir = res.newDir("expand");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.node()
                        .nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                                .setVolumePath(dir.toString())
                                .setVolumeCapability(CsiRequests.RWO)
                                .build()),
                "NodeExpandVolume without volume_id");
        Volume v = res.create("nodeexpand-nopath");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.node()
                        .nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                                .setVolumeId(v.getVolumeId())
                                .setVolumeCapability(CsiRequests.RWO)
                                .build()),
                "NodeExpandVolume without volume_path");
        assertCode(
                Status.Code.NOT_FOUND,
                () -> nodeExpand(Csi.fakeVolumeId(), res.newTargetPath(), null, Csi.EXPANDED_SIZE),
                "NodeExpandVolume at a path that does not exist");
    }

    @Test
    @DisplayName("NodeExpandVolume of a volume that is not there, path \"some/path\": NOT_FOUND (upstream: should "
            + "fail when volume is not found)")
    void nodeNotFoundUpstreamPath() {
        assumeTrue(csi.has(NodeServiceCapability.RPC.Type.EXPAND_VOLUME), "node EXPAND_VOLUME not advertised");
        assertCode(
                Status.Code.NOT_FOUND,
                () -> csi.node()
                        .nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                                .setVolumeId(Csi.fakeVolumeId())
                                .setVolumePath("some/path")
                                .build()),
                "NodeExpandVolume volume_path \"some/path\"");
    }

    @Test
    @DisplayName("expanded before it is attached (upstream: should work if node-expand is called after node-publish):"
            + " exactly the size asked; staged, the filesystem has it")
    void offline() throws IOException {
        Volume v = res.create("expand-offline");
        ControllerExpandVolumeResponse r = controllerExpand(v.getVolumeId(), Csi.EXPANDED_SIZE);
        assertEquals(Csi.EXPANDED_SIZE, r.getCapacityBytes(), "upstream expects exactly the requested size");
        assertTrue(r.getNodeExpansionRequired(), "a filesystem volume needs the node to grow its filesystem");
        Map<String, String> ctx = res.controllerPublish(v, CsiRequests.RWO, false);
        Path staging = res.newStagingDir();
        res.stage(v, ctx, staging, CsiRequests.RWO);
        Path target = res.newTargetPath();
        res.publish(v, ctx, staging, target, CsiRequests.RWO, false);
        if (csi.has(NodeServiceCapability.RPC.Type.EXPAND_VOLUME)) {
            nodeExpand(v.getVolumeId(), target, null, Csi.EXPANDED_SIZE);
            nodeExpand(v.getVolumeId(), target, null, Csi.EXPANDED_SIZE);
        }
        long total = Files2.totalBytes(target);
        assertTrue(total > Csi.EXPANDED_SIZE * 85 / 100, "the filesystem has " + total + " bytes, not about 20 GiB");
    }

    @Test
    @DisplayName("expanded while attached, then restaged (the offline path kubelet takes without online expansion): "
            + "the filesystem grows, data stays; NodeExpand after publish: OK")
    void attachedThenRestaged() throws IOException {
        Resources.Mounted m = res.mountNew("expand-restage");
        Files2.assertWritable(m.target(), "before-expansion.txt", "still here\n");
        long before = Files2.totalBytes(m.target());
        ControllerExpandVolumeResponse r = controllerExpand(m.id(), Csi.EXPANDED_SIZE);
        assertEquals(Csi.EXPANDED_SIZE, r.getCapacityBytes());
        csi.node()
                .nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(m.id())
                        .setTargetPath(m.target().toString())
                        .build());
        csi.node()
                .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(m.id())
                        .setStagingTargetPath(m.staging().toString())
                        .build());
        Path staging = res.newStagingDir();
        res.stage(m.volume(), m.publishContext(), staging, CsiRequests.RWO);
        Path target = res.newTargetPath();
        res.publish(m.volume(), m.publishContext(), staging, target, CsiRequests.RWO, false);
        if (csi.has(NodeServiceCapability.RPC.Type.EXPAND_VOLUME)) {
            nodeExpand(m.id(), target, staging, Csi.EXPANDED_SIZE);
            nodeExpand(m.id(), target, staging, Csi.EXPANDED_SIZE);
        }
        long after = Files2.totalBytes(target);
        assertTrue(after > before + 8 * Csi.GIB, "the filesystem grew from " + before + " to " + after + " bytes only");
        assertEquals("still here\n", Files.readString(target.resolve("before-expansion.txt")));
    }

    @Test
    @DisplayName("expanded while published: ControllerExpand then NodeExpand grow the mounted filesystem; data stays; "
            + "both again: OK; a smaller size: OK, nothing shrinks")
    void online() throws IOException {
        assumeTrue(csi.has(NodeServiceCapability.RPC.Type.EXPAND_VOLUME), "node EXPAND_VOLUME not advertised");
        assumeTrue(
                csi.local().isEmpty() || Csi.hasCapSysResource(),
                "growing a mounted ext4 filesystem needs "
                        + "CAP_SYS_RESOURCE, which this process (and so the in-process plugin) lacks; the restage test "
                        + "covers growth without it");
        Resources.Mounted m = res.mountNew("expand-online");
        Files2.assertWritable(m.target(), "before-expansion.txt", "still here\n");
        long before = Files2.totalBytes(m.target());

        ControllerExpandVolumeResponse r = controllerExpand(m.id(), Csi.EXPANDED_SIZE);
        assertEquals(Csi.EXPANDED_SIZE, r.getCapacityBytes());
        assertTrue(r.getNodeExpansionRequired(), "a filesystem volume needs the node to grow its filesystem");
        NodeExpandVolumeResponse n = nodeExpand(m.id(), m.target(), m.staging(), Csi.EXPANDED_SIZE);
        assertTrue(
                n.getCapacityBytes() == 0 || n.getCapacityBytes() >= Csi.EXPANDED_SIZE * 85 / 100,
                "NodeExpandVolume capacity_bytes " + n.getCapacityBytes());
        long after = Files2.totalBytes(m.target());
        assertTrue(
                after > before + 8 * Csi.GIB,
                "the mounted filesystem grew from " + before + " to " + after + " bytes only");
        assertEquals("still here\n", Files.readString(m.target().resolve("before-expansion.txt")));

        nodeExpand(m.id(), m.target(), m.staging(), Csi.EXPANDED_SIZE);
        assertEquals(
                Csi.EXPANDED_SIZE,
                controllerExpand(m.id(), Csi.EXPANDED_SIZE).getCapacityBytes(),
                "ControllerExpandVolume again");
        assertTrue(
                controllerExpand(m.id(), Csi.SIZE).getCapacityBytes() >= Csi.EXPANDED_SIZE,
                "a volume already larger than asked: OK with its capacity");
        if (csi.has(Type.GET_VOLUME)) {
            assertEquals(
                    Csi.EXPANDED_SIZE,
                    csi.controller()
                            .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                    .setVolumeId(m.id())
                                    .build())
                            .getVolume()
                            .getCapacityBytes());
        }
        assertTrue(Files2.totalBytes(m.target()) >= after, "the filesystem shrank");
    }
}
