package dev.imagedisk.csisanity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.ControllerGetCapabilitiesRequest;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerModifyVolumeRequest;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerServiceCapability;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateVolumeGroupSnapshotRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.DeleteVolumeGroupSnapshotRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.GetCapacityRequest;
import csi.v1.GetMetadataAllocatedRequest;
import csi.v1.GetMetadataDeltaRequest;
import csi.v1.GetSnapshotRequest;
import csi.v1.GetVolumeGroupSnapshotRequest;
import csi.v1.GroupControllerGetCapabilitiesRequest;
import csi.v1.ListSnapshotsRequest;
import csi.v1.ListVolumesRequest;
import csi.v1.NodeExpandVolumeRequest;
import csi.v1.NodeGetCapabilitiesRequest;
import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeServiceCapability;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.PluginCapability;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * What the plugin advertises, and that it keeps its word: every advertised capability is one this suite
 * exercises (so none goes untested), and every RPC whose capability is not advertised answers
 * UNIMPLEMENTED.
 */
class CapabilitiesTest extends SanityTest {
    /** Controller capabilities other classes of this suite exercise. */
    static final Set<Type> EXERCISED_CONTROLLER = EnumSet.of(
            Type.CREATE_DELETE_VOLUME,
            Type.PUBLISH_UNPUBLISH_VOLUME,
            Type.LIST_VOLUMES,
            Type.LIST_VOLUMES_PUBLISHED_NODES,
            Type.EXPAND_VOLUME,
            Type.GET_VOLUME,
            Type.VOLUME_CONDITION,
            Type.SINGLE_NODE_MULTI_WRITER,
            Type.PUBLISH_READONLY,
            // SnapshotsTest
            Type.CREATE_DELETE_SNAPSHOT,
            Type.LIST_SNAPSHOTS,
            Type.CLONE_VOLUME,
            // ModifyVolumeTest
            Type.MODIFY_VOLUME);

    static final Set<NodeServiceCapability.RPC.Type> EXERCISED_NODE = EnumSet.of(
            NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME,
            NodeServiceCapability.RPC.Type.GET_VOLUME_STATS,
            NodeServiceCapability.RPC.Type.EXPAND_VOLUME,
            NodeServiceCapability.RPC.Type.VOLUME_CONDITION,
            // LifecycleTest.singleNodeModes: both single-node writer modes, and the single-writer target rule
            NodeServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER);
    static final Set<PluginCapability.Service.Type> EXERCISED_SERVICES = EnumSet.of(
            PluginCapability.Service.Type.CONTROLLER_SERVICE,
            PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS);

    @Test
    @DisplayName("ControllerGetCapabilities: only known RPC types")
    void controllerCapabilitiesKnown() {
        for (ControllerServiceCapability c : csi.controller()
                .controllerGetCapabilities(ControllerGetCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList()) {
            assertTrue(c.hasRpc(), "capability without rpc: " + Codes.oneLine(c));
            assertTrue(
                    c.getRpc().getTypeValue() > 0 && c.getRpc().getType() != Type.UNRECOGNIZED,
                    "unknown controller capability " + c.getRpc().getTypeValue());
        }
    }

    @Test
    @DisplayName("NodeGetCapabilities: only known RPC types")
    void nodeCapabilitiesKnown() {
        for (NodeServiceCapability c : csi.node()
                .nodeGetCapabilities(NodeGetCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList()) {
            assertTrue(c.hasRpc(), "capability without rpc: " + Codes.oneLine(c));
            assertTrue(
                    c.getRpc().getTypeValue() > 0
                            && c.getRpc().getType() != NodeServiceCapability.RPC.Type.UNRECOGNIZED,
                    "unknown node capability " + c.getRpc().getTypeValue());
        }
    }

    @Test
    @DisplayName("every advertised capability is one this suite exercises")
    void everyAdvertisedCapabilityIsExercised() {
        List<String> unexercised = new ArrayList<>();
        csi.controllerCaps.stream()
                .filter(t -> !EXERCISED_CONTROLLER.contains(t))
                .forEach(t -> unexercised.add("controller " + t));
        csi.nodeCaps.stream().filter(t -> !EXERCISED_NODE.contains(t)).forEach(t -> unexercised.add("node " + t));
        csi.pluginServices.stream()
                .filter(t -> !EXERCISED_SERVICES.contains(t))
                .forEach(t -> unexercised.add("plugin service " + t));
        assertEquals(List.of(), unexercised, "advertised, but no test of this suite exercises it yet");
    }

    @Test
    @DisplayName("the capabilities this driver is documented to have are advertised")
    void documentedCapabilitiesAdvertised() {
        // README/ControllerService: create/delete, attach, list, get, expand; the node stages and reports stats.
        for (Type t : List.of(
                Type.CREATE_DELETE_VOLUME,
                Type.PUBLISH_UNPUBLISH_VOLUME,
                Type.LIST_VOLUMES,
                Type.EXPAND_VOLUME,
                Type.GET_VOLUME)) {
            assertTrue(csi.has(t), "controller capability " + t + " is not advertised");
        }
        for (NodeServiceCapability.RPC.Type t : List.of(
                NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME,
                NodeServiceCapability.RPC.Type.GET_VOLUME_STATS,
                NodeServiceCapability.RPC.Type.EXPAND_VOLUME)) {
            assertTrue(csi.has(t), "node capability " + t + " is not advertised");
        }
        assertTrue(
                csi.has(PluginCapability.Service.Type.VOLUME_ACCESSIBILITY_CONSTRAINTS),
                "zonal disks: VOLUME_ACCESSIBILITY_CONSTRAINTS is not advertised");
    }

    private record Rpc(String name, String capability, BooleanSupplier advertised, Supplier<?> call) {}

    private List<Rpc> rpcs() {
        String vol = "projects/p/zones/z/disks/sanity-unimplemented";
        Path tmp = csi.kubeletDir.resolve("sanity-unimplemented");
        return List.of(
                new Rpc(
                        "CreateVolume",
                        "CREATE_DELETE_VOLUME",
                        () -> csi.has(Type.CREATE_DELETE_VOLUME),
                        () -> csi.controller().createVolume(CreateVolumeRequest.getDefaultInstance())),
                new Rpc(
                        "DeleteVolume",
                        "CREATE_DELETE_VOLUME",
                        () -> csi.has(Type.CREATE_DELETE_VOLUME),
                        () -> csi.controller().deleteVolume(DeleteVolumeRequest.getDefaultInstance())),
                new Rpc(
                        "ControllerPublishVolume",
                        "PUBLISH_UNPUBLISH_VOLUME",
                        () -> csi.has(Type.PUBLISH_UNPUBLISH_VOLUME),
                        () -> csi.controller()
                                .controllerPublishVolume(ControllerPublishVolumeRequest.getDefaultInstance())),
                new Rpc(
                        "ControllerUnpublishVolume",
                        "PUBLISH_UNPUBLISH_VOLUME",
                        () -> csi.has(Type.PUBLISH_UNPUBLISH_VOLUME),
                        () -> csi.controller()
                                .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.getDefaultInstance())),
                new Rpc(
                        "ListVolumes",
                        "LIST_VOLUMES",
                        () -> csi.has(Type.LIST_VOLUMES),
                        () -> csi.controller()
                                .listVolumes(ListVolumesRequest.newBuilder()
                                        .setMaxEntries(1)
                                        .build())),
                new Rpc(
                        "GetCapacity",
                        "GET_CAPACITY",
                        () -> csi.has(Type.GET_CAPACITY),
                        () -> csi.controller().getCapacity(GetCapacityRequest.getDefaultInstance())),
                new Rpc(
                        "CreateSnapshot",
                        "CREATE_DELETE_SNAPSHOT",
                        () -> csi.has(Type.CREATE_DELETE_SNAPSHOT),
                        () -> csi.controller()
                                .createSnapshot(CreateSnapshotRequest.newBuilder()
                                        .setName("sanity-snap")
                                        .setSourceVolumeId(vol)
                                        .build())),
                new Rpc(
                        "DeleteSnapshot",
                        "CREATE_DELETE_SNAPSHOT",
                        () -> csi.has(Type.CREATE_DELETE_SNAPSHOT),
                        () -> csi.controller()
                                .deleteSnapshot(DeleteSnapshotRequest.newBuilder()
                                        .setSnapshotId("sanity-snap")
                                        .build())),
                new Rpc(
                        "ListSnapshots",
                        "LIST_SNAPSHOTS",
                        () -> csi.has(Type.LIST_SNAPSHOTS),
                        () -> csi.controller().listSnapshots(ListSnapshotsRequest.getDefaultInstance())),
                new Rpc(
                        "GetSnapshot",
                        "GET_SNAPSHOT",
                        () -> csi.has(Type.GET_SNAPSHOT),
                        () -> csi.controller()
                                .getSnapshot(GetSnapshotRequest.newBuilder()
                                        .setSnapshotId("sanity-snap")
                                        .build())),
                new Rpc(
                        "ControllerExpandVolume",
                        "EXPAND_VOLUME",
                        () -> csi.has(Type.EXPAND_VOLUME),
                        () -> csi.controller()
                                .controllerExpandVolume(ControllerExpandVolumeRequest.getDefaultInstance())),
                new Rpc(
                        "ControllerGetVolume",
                        "GET_VOLUME",
                        () -> csi.has(Type.GET_VOLUME),
                        () -> csi.controller().controllerGetVolume(ControllerGetVolumeRequest.getDefaultInstance())),
                new Rpc(
                        "ControllerModifyVolume",
                        "MODIFY_VOLUME",
                        () -> csi.has(Type.MODIFY_VOLUME),
                        () -> csi.controller()
                                .controllerModifyVolume(ControllerModifyVolumeRequest.newBuilder()
                                        .setVolumeId(vol)
                                        .putMutableParameters("iops", "3000")
                                        .build())),
                new Rpc(
                        "GroupControllerGetCapabilities",
                        "GROUP_CONTROLLER_SERVICE",
                        () -> csi.has(PluginCapability.Service.Type.GROUP_CONTROLLER_SERVICE),
                        () -> csi.groupController()
                                .groupControllerGetCapabilities(
                                        GroupControllerGetCapabilitiesRequest.getDefaultInstance())),
                new Rpc(
                        "CreateVolumeGroupSnapshot",
                        "GROUP_CONTROLLER_SERVICE",
                        () -> csi.has(PluginCapability.Service.Type.GROUP_CONTROLLER_SERVICE),
                        () -> csi.groupController()
                                .createVolumeGroupSnapshot(CreateVolumeGroupSnapshotRequest.newBuilder()
                                        .setName("sanity-group")
                                        .addSourceVolumeIds(vol)
                                        .build())),
                new Rpc(
                        "DeleteVolumeGroupSnapshot",
                        "GROUP_CONTROLLER_SERVICE",
                        () -> csi.has(PluginCapability.Service.Type.GROUP_CONTROLLER_SERVICE),
                        () -> csi.groupController()
                                .deleteVolumeGroupSnapshot(DeleteVolumeGroupSnapshotRequest.newBuilder()
                                        .setGroupSnapshotId("sanity-group")
                                        .build())),
                new Rpc(
                        "GetVolumeGroupSnapshot",
                        "GROUP_CONTROLLER_SERVICE",
                        () -> csi.has(PluginCapability.Service.Type.GROUP_CONTROLLER_SERVICE),
                        () -> csi.groupController()
                                .getVolumeGroupSnapshot(GetVolumeGroupSnapshotRequest.newBuilder()
                                        .setGroupSnapshotId("sanity-group")
                                        .build())),
                new Rpc(
                        "GetMetadataAllocated",
                        "SNAPSHOT_METADATA_SERVICE",
                        () -> csi.has(PluginCapability.Service.Type.SNAPSHOT_METADATA_SERVICE),
                        () -> csi.snapshotMetadata()
                                .getMetadataAllocated(GetMetadataAllocatedRequest.newBuilder()
                                        .setSnapshotId("sanity-snap")
                                        .build())
                                .hasNext()),
                new Rpc(
                        "GetMetadataDelta",
                        "SNAPSHOT_METADATA_SERVICE",
                        () -> csi.has(PluginCapability.Service.Type.SNAPSHOT_METADATA_SERVICE),
                        () -> csi.snapshotMetadata()
                                .getMetadataDelta(GetMetadataDeltaRequest.newBuilder()
                                        .setBaseSnapshotId("a")
                                        .setTargetSnapshotId("b")
                                        .build())
                                .hasNext()),
                new Rpc(
                        "NodeStageVolume",
                        "STAGE_UNSTAGE_VOLUME",
                        () -> csi.has(NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME),
                        () -> csi.node().nodeStageVolume(NodeStageVolumeRequest.getDefaultInstance())),
                new Rpc(
                        "NodeUnstageVolume",
                        "STAGE_UNSTAGE_VOLUME",
                        () -> csi.has(NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME),
                        () -> csi.node().nodeUnstageVolume(NodeUnstageVolumeRequest.getDefaultInstance())),
                new Rpc(
                        "NodeGetVolumeStats",
                        "GET_VOLUME_STATS",
                        () -> csi.has(NodeServiceCapability.RPC.Type.GET_VOLUME_STATS),
                        () -> csi.node()
                                .nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                                        .setVolumeId(vol)
                                        .setVolumePath(tmp.toString())
                                        .build())),
                new Rpc(
                        "NodeExpandVolume",
                        "node EXPAND_VOLUME",
                        () -> csi.has(NodeServiceCapability.RPC.Type.EXPAND_VOLUME),
                        () -> csi.node()
                                .nodeExpandVolume(NodeExpandVolumeRequest.newBuilder()
                                        .setVolumeId(vol)
                                        .setVolumePath(tmp.toString())
                                        .build())));
    }

    @TestFactory
    @DisplayName("an RPC whose capability is not advertised answers UNIMPLEMENTED; an advertised one does not")
    Stream<DynamicTest> unadvertisedRpcsAreUnimplemented() {
        return rpcs().stream().map(rpc -> {
            boolean advertised = rpc.advertised().getAsBoolean();
            return dynamicTest(
                    rpc.name()
                            + (advertised
                                    ? " (" + rpc.capability() + " advertised): implemented"
                                    : " (" + rpc.capability() + " not advertised): UNIMPLEMENTED"),
                    () -> {
                        Status.Code code = Codes.codeOf(rpc.call());
                        if (advertised) {
                            assertNotEquals(
                                    Status.Code.UNIMPLEMENTED,
                                    code,
                                    rpc.name() + " is advertised (" + rpc.capability() + ") but unimplemented");
                        } else {
                            assertEquals(
                                    Status.Code.UNIMPLEMENTED,
                                    code,
                                    rpc.name() + " without " + rpc.capability() + " must answer UNIMPLEMENTED");
                        }
                    });
        });
    }
}
