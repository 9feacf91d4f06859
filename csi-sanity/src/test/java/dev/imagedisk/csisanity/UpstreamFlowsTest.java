package dev.imagedisk.csisanity;

import static dev.imagedisk.csisanity.Codes.assertOkOr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeGetVolumeStatsResponse;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.TopologyRequirement;
import csi.v1.Volume;
import dev.imagedisk.csi.requests.CsiRequests;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The multi-step specs of upstream csi-sanity v5 replayed with its exact request shapes and its cleanup
 * ({@code Resources.Cleanup}: NodeUnpublish at {@code <mountdir>/target}, NodeUnstage at the staging dir,
 * ControllerUnpublish, DeleteVolume — for every registered volume, NOT_FOUND tolerated on the node
 * calls only), so that what run-upstream.sh would report shows up here too.
 */
class UpstreamFlowsTest extends SanityTest {
    /** upstream's config: --csi.stagingdir (created by csi-sanity) and --csi.mountdir (parent of target). */
    private Path stagingDir;

    private Path mountDir;

    private void setUpDirs() {
        stagingDir = res.newStagingDir();
        mountDir = res.newTargetPath().getParent();
    }

    /** upstream MakeCreateVolumeReq: required = limit = TestVolumeSize, the test volume parameters. */
    private CreateVolumeRequest.Builder makeCreateVolumeReq(String name) {
        return CreateVolumeRequest.newBuilder()
                .setName(name)
                .addVolumeCapabilities(CsiRequests.RWO)
                .setCapacityRange(
                        CapacityRange.newBuilder().setRequiredBytes(Csi.SIZE).setLimitBytes(Csi.SIZE))
                .putParameters("image", csi.image)
                .putParameters("type", "pd-balanced");
    }

    /** upstream Resources.cleanupVolume, for one volume published to {@code nodeId} (or not). */
    private void upstreamCleanup(String volumeId, String nodeId) throws IOException {
        assertOkOr(
                "cleanup NodeUnpublishVolume",
                () -> csi.node()
                        .nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                                .setVolumeId(volumeId)
                                .setTargetPath(mountDir.resolve("target").toString())
                                .build()),
                Status.Code.NOT_FOUND);
        assertOkOr(
                "cleanup NodeUnstageVolume",
                () -> csi.node()
                        .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                                .setVolumeId(volumeId)
                                .setStagingTargetPath(stagingDir.toString())
                                .build()),
                Status.Code.NOT_FOUND);
        if (nodeId != null) {
            assertOkOr(
                    "cleanup ControllerUnpublishVolume",
                    () -> csi.controller()
                            .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                                    .setVolumeId(volumeId)
                                    .setNodeId(nodeId)
                                    .build()));
        }
        assertOkOr(
                "cleanup DeleteVolume",
                () -> csi.controller()
                        .deleteVolume(DeleteVolumeRequest.newBuilder()
                                .setVolumeId(volumeId)
                                .build()));
        // upstream Teardown then os.Remove()s the mount dir: the plugin must have removed <mountdir>/target
        try (Stream<Path> s = Files.list(mountDir)) {
            assertEquals(0, s.count(), "the mount dir is not empty after cleanup; csi-sanity could not remove it");
        }
    }

    /** upstream node.go runControllerTest(count). */
    private void runControllerTest(int count) throws IOException {
        setUpDirs();
        String name = "sanity-node-full-" + count + "-" + csi.runId.toUpperCase();
        CreateVolumeRequest.Builder req = makeCreateVolumeReq(name);
        if (csi.nodeTopology.getSegmentsCount() > 0) {
            req.setAccessibilityRequirements(TopologyRequirement.newBuilder().addRequisite(csi.nodeTopology));
        }
        Volume vol = res.createVolume(req.build()).getVolume();
        Map<String, String> ctx = res.controllerPublish(ControllerPublishVolumeRequest.newBuilder()
                .setVolumeId(vol.getVolumeId())
                .setNodeId(csi.nodeId)
                .setVolumeCapability(CsiRequests.RWO)
                .putAllVolumeContext(vol.getVolumeContextMap())
                .build());
        for (int i = 0; i < count; i++) {
            res.stage(NodeStageVolumeRequest.newBuilder()
                    .setVolumeId(vol.getVolumeId())
                    .setVolumeCapability(CsiRequests.RWO)
                    .setStagingTargetPath(stagingDir.toString())
                    .putAllVolumeContext(vol.getVolumeContextMap())
                    .putAllPublishContext(ctx)
                    .build());
        }
        for (int i = 0; i < count; i++) {
            res.publish(NodePublishVolumeRequest.newBuilder()
                    .setVolumeId(vol.getVolumeId())
                    .setTargetPath(mountDir.resolve("target").toString())
                    .setStagingTargetPath(stagingDir.toString())
                    .setVolumeCapability(CsiRequests.RWO)
                    .putAllVolumeContext(vol.getVolumeContextMap())
                    .putAllPublishContext(ctx)
                    .build());
        }
        NodeGetVolumeStatsResponse stats = csi.node()
                .nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                        .setVolumeId(vol.getVolumeId())
                        .setVolumePath(mountDir.resolve("target").toString())
                        .build());
        assertTrue(stats.getUsageCount() > 0, "NodeGetVolumeStats gave no usage");
        upstreamCleanup(vol.getVolumeId(), csi.nodeId);
    }

    @Test
    @DisplayName("Node Service should work")
    void nodeServiceShouldWork() throws IOException {
        runControllerTest(1);
    }

    @Test
    @DisplayName("Node Service should be idempotent (IdempotentCount 10)")
    void nodeServiceShouldBeIdempotent() throws IOException {
        runControllerTest(10);
    }

    @Test
    @DisplayName("Controller Service volume lifecycle should be idempotent (no capacity_range, ControllerPublish ×10)")
    void volumeLifecycleShouldBeIdempotent() throws IOException {
        setUpDirs();
        // upstream VolumeLifecycle: no capacity_range, requisite = the node's topology
        CreateVolumeRequest.Builder req = CreateVolumeRequest.newBuilder()
                .setName("sanity-controller-publish-10-" + csi.runId.toUpperCase())
                .addVolumeCapabilities(CsiRequests.RWO)
                .putParameters("image", csi.image)
                .putParameters("type", "pd-balanced");
        if (csi.nodeTopology.getSegmentsCount() > 0) {
            req.setAccessibilityRequirements(TopologyRequirement.newBuilder().addRequisite(csi.nodeTopology));
        }
        Volume vol = res.createVolume(req.build()).getVolume();
        for (int i = 0; i < 10; i++) {
            res.controllerPublish(ControllerPublishVolumeRequest.newBuilder()
                    .setVolumeId(vol.getVolumeId())
                    .setNodeId(csi.nodeId)
                    .setVolumeCapability(CsiRequests.RWO)
                    .putAllVolumeContext(vol.getVolumeContextMap())
                    .build());
        }
        // upstream registered the volume 11 times: cleanup runs 11 times; every round must pass
        for (int i = 0; i < 11; i++) {
            upstreamCleanup(vol.getVolumeId(), i < 10 ? csi.nodeId : null);
        }
    }

    @Test
    @DisplayName("cleanup of a volume that was only created: node calls tolerate it, DeleteVolume twice: OK")
    void cleanupOfCreatedOnly() throws IOException {
        setUpDirs();
        Volume vol = res.createVolume(
                        makeCreateVolumeReq("sanity-controller-create-appropriate-" + csi.runId.toUpperCase())
                                .build())
                .getVolume();
        upstreamCleanup(vol.getVolumeId(), null);
        upstreamCleanup(vol.getVolumeId(), csi.nodeId);
        assertFalse(Files.exists(mountDir.resolve("target")));
    }
}
