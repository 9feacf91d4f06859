package dev.imagedisk.csisanity;

import static dev.imagedisk.csisanity.Codes.assertCode;
import static dev.imagedisk.csisanity.Codes.assertOkOr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.NodeGetInfoRequest;
import csi.v1.NodeGetInfoResponse;
import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeServiceCapability;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.PluginCapability;
import csi.v1.Volume;
import dev.imagedisk.csi.requests.CsiRequests;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Node RPCs' request rules: required fields, NOT_FOUND, idempotent teardown of what is not there, and
 * NodeGetInfo. The request shapes follow upstream csi-sanity's node.go where it has the case (its
 * {@code "some/path"} volume path, its {@code {"device": "/dev/mock"}} publish context, its fake ids).
 */
class NodeRequestsTest extends SanityTest {
    private static final Map<String, String> MOCK_DEVICE = Map.of("device", "/dev/mock");

    @Test
    @DisplayName("NodeGetInfo: a node_id, max_volumes_per_node ≥ 0, and the zone topology (upstream)")
    void nodeGetInfo() {
        NodeGetInfoResponse info = csi.node().nodeGetInfo(NodeGetInfoRequest.getDefaultInstance());
        assertFalse(info.getNodeId().isEmpty(), "node_id is REQUIRED");
        assertTrue(info.getMaxVolumesPerNode() >= 0, "max_volumes_per_node < 0");
        if (csi.has(PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS)) {
            assertTrue(info.hasAccessibleTopology(), "VOLUME_ACCESSIBILITY_CONSTRAINTS advertised, no topology");
            assertFalse(
                    info.getAccessibleTopology()
                            .getSegmentsOrDefault(Csi.TOPOLOGY_KEY, "")
                            .isEmpty(),
                    "no " + Csi.TOPOLOGY_KEY + " segment: " + Codes.oneLine(info.getAccessibleTopology()));
        }
        csi.local().ifPresent(l -> assertEquals(l.nodeId(), info.getNodeId(), "the VM the plugin runs as"));
    }

    @Test
    @DisplayName("NodeStageVolume: no volume_id, no staging_target_path, no volume_capability: INVALID_ARGUMENT "
            + "(upstream)")
    void stageRequiredFields() {
        assumeTrue(csi.has(NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME), "STAGE_UNSTAGE_VOLUME");
        Path staging = res.newStagingDir();
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.node()
                        .nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                                .setStagingTargetPath(staging.toString())
                                .setVolumeCapability(CsiRequests.RWO)
                                .putAllPublishContext(MOCK_DEVICE)
                                .build()),
                "NodeStageVolume without volume_id");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.node()
                        .nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                                .setVolumeId(Csi.fakeVolumeId())
                                .setVolumeCapability(CsiRequests.RWO)
                                .putAllPublishContext(MOCK_DEVICE)
                                .build()),
                "NodeStageVolume without staging_target_path");
        Volume v = res.create("stage-nocaps");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.node()
                        .nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                                .setVolumeId(v.getVolumeId())
                                .setStagingTargetPath(staging.toString())
                                .putAllPublishContext(MOCK_DEVICE)
                                .build()),
                "NodeStageVolume without volume_capability");
        assertTrue(Mounts.under(staging).isEmpty(), "a refused NodeStageVolume mounted something");
    }

    @Test
    @DisplayName("NodeUnstageVolume: no volume_id, no staging_target_path: INVALID_ARGUMENT (upstream); "
            + "nothing staged there: OK (or NOT_FOUND)")
    void unstage() {
        assumeTrue(csi.has(NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME), "STAGE_UNSTAGE_VOLUME");
        Path staging = res.newStagingDir();
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.node()
                        .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                                .setStagingTargetPath(staging.toString())
                                .build()),
                "NodeUnstageVolume without volume_id");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.node()
                        .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                                .setVolumeId(Csi.fakeVolumeId())
                                .build()),
                "NodeUnstageVolume without staging path");
        // upstream's cleanup unstages every volume it created, staged or not, at its (existing, empty) staging dir
        assertOkOr(
                "NodeUnstageVolume of a volume never staged",
                () -> csi.node()
                        .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                                .setVolumeId(csi.goneVolumeId())
                                .setStagingTargetPath(staging.toString())
                                .build()),
                Status.Code.NOT_FOUND);
        assertOkOr(
                "NodeUnstageVolume at a path that does not exist",
                () -> csi.node()
                        .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                                .setVolumeId(Csi.fakeVolumeId())
                                .setStagingTargetPath(
                                        staging.resolveSibling("never-made").toString())
                                .build()),
                Status.Code.NOT_FOUND);
    }

    @Test
    @DisplayName("NodePublishVolume: no volume_id, no target_path, no volume_capability: INVALID_ARGUMENT (upstream)")
    void publishRequiredFields() {
        Path target = res.newTargetPath();
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.node().nodePublishVolume(NodePublishVolumeRequest.getDefaultInstance()),
                "NodePublishVolume without volume_id");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.node()
                        .nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                                .setVolumeId(Csi.fakeVolumeId())
                                .build()),
                "NodePublishVolume without target_path");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.node()
                        .nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                                .setVolumeId(Csi.fakeVolumeId())
                                .setTargetPath(target.toString())
                                .build()),
                "NodePublishVolume without volume_capability");
        assertFalse(Files.exists(target), "a refused NodePublishVolume created the target path");
    }

    @Test
    @DisplayName("NodePublishVolume of a filesystem volume without staging_target_path (STAGE_UNSTAGE_VOLUME): "
            + "FAILED_PRECONDITION (spec: \"Staging target path not set\")")
    void publishWithoutStagingPath() {
        assumeTrue(csi.has(NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME), "STAGE_UNSTAGE_VOLUME");
        Path target = res.newTargetPath();
        assertCode(
                Status.Code.FAILED_PRECONDITION,
                () -> csi.node()
                        .nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                                .setVolumeId(csi.goneVolumeId())
                                .setTargetPath(target.toString())
                                .setVolumeCapability(CsiRequests.RWO)
                                .putPublishContext("deviceName", "sanity-missing")
                                .build()),
                "NodePublishVolume without staging_target_path");
    }

    @Test
    @DisplayName("NodeUnpublishVolume: no volume_id, no target_path: INVALID_ARGUMENT (upstream); "
            + "nothing published there: OK (or NOT_FOUND)")
    void unpublish() {
        Path target = res.newTargetPath();
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.getDefaultInstance()),
                "NodeUnpublishVolume without volume_id");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.node()
                        .nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                                .setVolumeId(Csi.fakeVolumeId())
                                .build()),
                "NodeUnpublishVolume without target_path");
        assertOkOr(
                "NodeUnpublishVolume of a target path that does not exist",
                () -> csi.node()
                        .nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                                .setVolumeId(csi.goneVolumeId())
                                .setTargetPath(target.toString())
                                .build()),
                Status.Code.NOT_FOUND);
    }

    @Test
    @DisplayName("NodeGetVolumeStats: no volume_id, no volume_path: INVALID_ARGUMENT (upstream)")
    void statsRequiredFields() {
        assumeTrue(csi.has(NodeServiceCapability.RPC.Type.GET_VOLUME_STATS), "GET_VOLUME_STATS");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.node()
                        .nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                                .setVolumePath("some/path")
                                .build()),
                "NodeGetVolumeStats without volume_id");
        assertCode(
                Status.Code.INVALID_ARGUMENT,
                () -> csi.node()
                        .nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                                .setVolumeId(Csi.fakeVolumeId())
                                .build()),
                "NodeGetVolumeStats without volume_path");
    }

    @Test
    @DisplayName("NodeGetVolumeStats of a volume that is not there: NOT_FOUND (absolute path under the kubelet dir)")
    void statsNotFound() {
        assumeTrue(csi.has(NodeServiceCapability.RPC.Type.GET_VOLUME_STATS), "GET_VOLUME_STATS");
        Path target = res.newTargetPath();
        assertCode(
                Status.Code.NOT_FOUND,
                () -> csi.node()
                        .nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                                .setVolumeId(Csi.fakeVolumeId())
                                .setVolumePath(target.toString())
                                .build()),
                "NodeGetVolumeStats at a path that does not exist");
    }

    @Test
    @DisplayName("NodeGetVolumeStats of a volume that is not there, path \"some/path\": NOT_FOUND (upstream: should "
            + "fail when volume is not found)")
    void statsNotFoundUpstreamPath() {
        assumeTrue(csi.has(NodeServiceCapability.RPC.Type.GET_VOLUME_STATS), "GET_VOLUME_STATS");
        assertCode(
                Status.Code.NOT_FOUND,
                () -> csi.node()
                        .nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                                .setVolumeId(Csi.fakeVolumeId())
                                .setVolumePath("some/path")
                                .build()),
                "NodeGetVolumeStats volume_path \"some/path\"");
    }
}
