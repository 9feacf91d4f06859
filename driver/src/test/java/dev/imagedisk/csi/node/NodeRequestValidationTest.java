package dev.imagedisk.csi.node;

import static dev.imagedisk.csi.node.NodePlugin.block;
import static dev.imagedisk.csi.node.NodePlugin.mount;
import static dev.imagedisk.csi.node.NodePlugin.publish;
import static dev.imagedisk.csi.node.NodePlugin.stage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.IdentityGrpc;
import csi.v1.NodeExpandVolumeRequest;
import csi.v1.NodeGetCapabilitiesRequest;
import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeGrpc;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeServiceCapability;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.ProbeRequest;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Field validation of every Node RPC; needs no devices and no root. */
class NodeRequestValidationTest {
    static final String V = "projects/p/zones/us-central1-a/disks/";

    @TempDir
    Path dir;

    DeviceLab lab;
    NodePlugin plugin;
    Path staging;
    Path target;

    @BeforeEach
    void start() throws Exception {
        lab = new DeviceLab(dir);
        plugin = new NodePlugin(lab);
        staging = lab.kubeletDir.resolve("plugins/x/globalmount");
        target = lab.kubeletDir.resolve("pods/p/mount");
    }

    @AfterEach
    void stop() throws Exception {
        plugin.close();
    }

    NodeGrpc.NodeBlockingStub node() {
        return plugin.node();
    }

    static void invalid(Supplier<?> call, String mentioned) {
        fails(Status.Code.INVALID_ARGUMENT, call, mentioned);
    }

    static void fails(Status.Code code, Supplier<?> call, String mentioned) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::get);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(
                e.getStatus().getDescription().contains(mentioned),
                "'" + e.getStatus().getDescription() + "' should mention " + mentioned);
    }

    NodeStageVolumeRequest okStage() {
        return stage(V + "vol-1", "disk-1", staging, mount());
    }

    @Test
    void stageNamesEachMissingOrBadField() {
        invalid(
                () -> node().nodeStageVolume(
                                okStage().toBuilder().clearVolumeId().build()),
                "volume_id");
        invalid(
                () -> node().nodeStageVolume(
                                okStage().toBuilder().clearStagingTargetPath().build()),
                "staging_target_path");
        invalid(
                () -> node().nodeStageVolume(
                                okStage().toBuilder().clearVolumeCapability().build()),
                "volume_capability");
        invalid(
                () -> node().nodeStageVolume(okStage().toBuilder()
                        .setVolumeCapability(VolumeCapability.newBuilder()
                                .setAccessMode(
                                        VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_WRITER)))
                        .build()),
                "access_type");
        invalid(
                () -> node().nodeStageVolume(okStage().toBuilder()
                        .setVolumeCapability(mount().toBuilder().clearAccessMode())
                        .build()),
                "access_mode");
        invalid(
                () -> node().nodeStageVolume(
                                okStage().toBuilder().clearPublishContext().build()),
                "publish_context.deviceName");
        invalid(
                () -> node().nodeStageVolume(okStage().toBuilder()
                        .putPublishContext("deviceName", "../../sda")
                        .build()),
                "publish_context.deviceName");
        for (String flag : new String[] {"-o", "a b", "x;rm", "$(id)", "noatime,-x", ""}) {
            invalid(
                    () -> node().nodeStageVolume(okStage().toBuilder()
                            .setVolumeCapability(mount(Mode.SINGLE_NODE_WRITER, "", flag))
                            .build()),
                    "mount_flags");
        }
        invalid(
                () -> node().nodeStageVolume(okStage().toBuilder()
                        .setVolumeCapability(mount(Mode.SINGLE_NODE_WRITER, "", "noatime,bind"))
                        .build()),
                "bind");
        invalid(
                () -> node().nodeStageVolume(okStage().toBuilder()
                        .setVolumeCapability(mount(Mode.MULTI_NODE_READER_ONLY, "", "rw"))
                        .build()),
                "rw");
        invalid(
                () -> node().nodeStageVolume(okStage().toBuilder()
                        .setVolumeCapability(mount(Mode.SINGLE_NODE_WRITER, "ext4 -x"))
                        .build()),
                "fs_type");
    }

    @Test
    void malformedVolumeIdsAreInvalidBeforeAnyDeviceIsTouched() {
        for (String id : new String[] {
            "projects/x/zones/y/disks/../../../a",
            "vol-1",
            "projects/p/zones/us-central1-a/instances/n",
            "projects/p/zones/us-central1-a/disks/a/b",
            "projects/p/zones/us-central1-a/disks/Disk"
        }) {
            invalid(
                    () -> node().nodeStageVolume(
                                    okStage().toBuilder().setVolumeId(id).build()),
                    "volume_id");
            invalid(
                    () -> node().nodePublishVolume(publish(id, "disk-1", staging, target, mount(), false)),
                    "volume_id");
            // unstage and unpublish only take mounts off a checked path: any id is accepted there (idempotent)
            node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setStagingTargetPath(staging.toString())
                    .build());
            node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setTargetPath(target.toString())
                    .build());
        }
        for (String partition : new String[] {"0", "-1", "x", "1.5", "129", "AUTO"}) {
            invalid(
                    () -> node().nodeStageVolume(okStage().toBuilder()
                            .putVolumeContext("partition", partition)
                            .build()),
                    "volume_context.partition");
        }
    }

    @Test
    void publishAndTheOthersNameTheirFields() {
        NodePublishVolumeRequest ok = publish(V + "vol-1", "disk-1", staging, target, mount(), false);
        invalid(() -> node().nodePublishVolume(ok.toBuilder().clearVolumeId().build()), "volume_id");
        invalid(() -> node().nodePublishVolume(ok.toBuilder().clearTargetPath().build()), "target_path");
        // the spec's answer when a plugin that stages gets no staging path
        fails(
                Status.Code.FAILED_PRECONDITION,
                () -> node().nodePublishVolume(
                                ok.toBuilder().clearStagingTargetPath().build()),
                "staging_target_path");
        // ... but a missing capability is reported first
        invalid(
                () -> node().nodePublishVolume(ok.toBuilder()
                        .clearStagingTargetPath()
                        .clearVolumeCapability()
                        .build()),
                "volume_capability");
        invalid(
                () -> node().nodePublishVolume(
                                ok.toBuilder().clearVolumeCapability().build()),
                "volume_capability");
        invalid(
                () -> node().nodePublishVolume(ok.toBuilder()
                        .setVolumeCapability(block(Mode.SINGLE_NODE_WRITER))
                        .clearPublishContext()
                        .build()),
                "publish_context.deviceName");
        invalid(
                () -> node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                        .setTargetPath(target.toString())
                        .build()),
                "volume_id");
        invalid(
                () -> node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(V + "v")
                        .build()),
                "target_path");
        invalid(
                () -> node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setStagingTargetPath(staging.toString())
                        .build()),
                "volume_id");
        invalid(
                () -> node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(V + "v")
                        .build()),
                "staging_target_path");
        invalid(
                () -> node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                        .setVolumePath(target.toString())
                        .build()),
                "volume_id");
        invalid(
                () -> node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                        .setVolumeId(V + "v")
                        .build()),
                "volume_path");
        // a path that cannot hold a volume of ours: no volume there
        fails(
                Status.Code.NOT_FOUND,
                () -> node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                        .setVolumeId(V + "v")
                        .setVolumePath("/etc")
                        .build()),
                "kubelet directory");
        fails(
                Status.Code.NOT_FOUND,
                () -> node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                        .setVolumeId(V + "v")
                        .setVolumePath("some/path")
                        .build()),
                "absolute");
        fails(
                Status.Code.NOT_FOUND,
                () -> node().nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                        .setVolumeId(V + "v")
                        .setVolumePath("some/path")
                        .build()),
                "absolute");
        invalid(
                () -> node().nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                        .setVolumeId(V + "v")
                        .build()),
                "volume_path");
        invalid(
                () -> node().nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                        .setVolumeId(V + "v")
                        .setVolumePath(target.toString())
                        .setCapacityRange(
                                CapacityRange.newBuilder().setRequiredBytes(10).setLimitBytes(5))
                        .build()),
                "capacity_range");
    }

    @Test
    void advertisesItsCapabilitiesAndIsReadyWithItsTools() {
        Set<NodeServiceCapability.RPC.Type> types =
                node()
                        .nodeGetCapabilities(NodeGetCapabilitiesRequest.getDefaultInstance())
                        .getCapabilitiesList()
                        .stream()
                        .map(c -> c.getRpc().getType())
                        .collect(Collectors.toSet());
        assertEquals(
                Set.of(
                        NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME,
                        NodeServiceCapability.RPC.Type.GET_VOLUME_STATS,
                        NodeServiceCapability.RPC.Type.EXPAND_VOLUME,
                        NodeServiceCapability.RPC.Type.VOLUME_CONDITION,
                        NodeServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER),
                types);
        boolean toolsPresent = NodeToolsCheck.REQUIRED.stream().allMatch(DeviceLab::has);
        assertEquals(
                toolsPresent,
                IdentityGrpc.newBlockingStub(plugin.client.channel())
                        .probe(ProbeRequest.getDefaultInstance())
                        .getReady()
                        .getValue());
    }
}
