package dev.imagedisk.csi.requests;

import csi.v1.CapacityRange;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import java.nio.file.Path;
import java.util.Map;

/**
 * CSI requests as Kubernetes sends them (csi-provisioner, csi-attacher, kubelet), written once for everything
 * that calls the plugin: the driver's tests, the conformance suite, the local stack and the benchmarks. Each
 * method gives the request's usual form; a builder is returned where callers add to it.
 */
public final class CsiRequests {
    private CsiRequests() {}

    /** The StorageClass parameter naming the image a volume is made from. */
    public static final String IMAGE = "image";
    /** The StorageClass parameter naming the disk type. */
    public static final String TYPE = "type";

    /** Mount, with no filesystem type named (what Kubernetes sends for a filesystem claim without fsType). */
    public static VolumeCapability mount(Mode mode) {
        return capability(mode, false, "");
    }

    /** Mount of {@code fsType} ("" names none). */
    public static VolumeCapability mount(Mode mode, String fsType) {
        return capability(mode, false, fsType);
    }

    /** A raw block volume. */
    public static VolumeCapability block(Mode mode) {
        return capability(mode, true, "");
    }

    /** Block, or mount with no filesystem type named. */
    public static VolumeCapability capability(Mode mode, boolean block) {
        return capability(mode, block, "");
    }

    /** Block, or mount of {@code fsType} ("" names none). */
    public static VolumeCapability capability(Mode mode, boolean block, String fsType) {
        VolumeCapability.Builder b = VolumeCapability.newBuilder()
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode));
        return block
                ? b.setBlock(VolumeCapability.BlockVolume.getDefaultInstance()).build()
                : b.setMount(VolumeCapability.MountVolume.newBuilder().setFsType(fsType))
                        .build();
    }

    /** A ReadWriteOnce filesystem claim, no filesystem type named. */
    public static final VolumeCapability RWO = mount(Mode.SINGLE_NODE_WRITER);
    /** A ReadWriteOnce ext4 claim. */
    public static final VolumeCapability RWO_EXT4 = mount(Mode.SINGLE_NODE_WRITER, "ext4");
    /** Read-only on one node. */
    public static final VolumeCapability RO = mount(Mode.SINGLE_NODE_READER_ONLY);

    /** The topology segment {@code key}={@code zone}. */
    public static Topology zone(String key, String zone) {
        return Topology.newBuilder().putSegments(key, zone).build();
    }

    /** Placement wished for but not required (csi-provisioner without strict topology). */
    public static TopologyRequirement preferring(Topology topology) {
        return TopologyRequirement.newBuilder().addPreferred(topology).build();
    }

    /** Placement required, and preferred (csi-provisioner with a node selected). */
    public static TopologyRequirement requiring(Topology topology) {
        return TopologyRequirement.newBuilder()
                .addRequisite(topology)
                .addPreferred(topology)
                .build();
    }

    /** At least {@code bytes}. */
    public static CapacityRange atLeast(long bytes) {
        return CapacityRange.newBuilder().setRequiredBytes(bytes).build();
    }

    /** A CreateVolume for {@code name} with one capability, from the StorageClass {@code image}. */
    public static CreateVolumeRequest.Builder createVolume(String name, String image, VolumeCapability cap) {
        return CreateVolumeRequest.newBuilder()
                .setName(name)
                .addVolumeCapabilities(cap)
                .putParameters(IMAGE, image);
    }

    /**
     * A CreateVolume as csi-provisioner (with {@code --extra-create-metadata}) sends it for claim {@code pvcName}
     * in namespace {@code default} of a {@code pd-balanced} StorageClass with {@code image}: at least {@code bytes},
     * ext4, ReadWriteOnce, in the pod's {@code zone} when it can be.
     */
    public static CreateVolumeRequest.Builder provision(
            String pvName, String pvcName, String image, long bytes, Topology zone) {
        return createVolume(pvName, image, RWO_EXT4)
                .setCapacityRange(atLeast(bytes))
                .putParameters(TYPE, "pd-balanced")
                .putParameters("csi.storage.k8s.io/pvc/name", pvcName)
                .putParameters("csi.storage.k8s.io/pvc/namespace", "default")
                .putParameters("csi.storage.k8s.io/pv/name", pvName)
                .setAccessibilityRequirements(preferring(zone));
    }

    /** ControllerPublishVolume of {@code volumeId} to {@code nodeId}. */
    public static ControllerPublishVolumeRequest.Builder controllerPublish(
            String volumeId, String nodeId, VolumeCapability cap) {
        return ControllerPublishVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .setNodeId(nodeId)
                .setVolumeCapability(cap);
    }

    /** ControllerPublishVolume of a created volume, with its volume context (as csi-attacher passes it). */
    public static ControllerPublishVolumeRequest.Builder controllerPublish(
            Volume volume, String nodeId, VolumeCapability cap) {
        return controllerPublish(volume.getVolumeId(), nodeId, cap).putAllVolumeContext(volume.getVolumeContextMap());
    }

    public static ControllerUnpublishVolumeRequest controllerUnpublish(String volumeId, String nodeId) {
        return ControllerUnpublishVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .setNodeId(nodeId)
                .build();
    }

    public static DeleteVolumeRequest deleteVolume(String volumeId) {
        return DeleteVolumeRequest.newBuilder().setVolumeId(volumeId).build();
    }

    /** NodeStageVolume of a created volume at {@code staging}, with its publish and volume contexts. */
    public static NodeStageVolumeRequest.Builder nodeStage(
            Volume volume, Map<String, String> publishContext, Path staging, VolumeCapability cap) {
        return NodeStageVolumeRequest.newBuilder()
                .setVolumeId(volume.getVolumeId())
                .putAllPublishContext(publishContext)
                .setStagingTargetPath(staging.toString())
                .setVolumeCapability(cap)
                .putAllVolumeContext(volume.getVolumeContextMap());
    }

    /**
     * NodePublishVolume of a created volume at {@code target}, from {@code staging} (null: the volume is not
     * staged), with its publish and volume contexts.
     */
    public static NodePublishVolumeRequest.Builder nodePublish(
            Volume volume, Map<String, String> publishContext, Path staging, Path target, VolumeCapability cap) {
        NodePublishVolumeRequest.Builder b = NodePublishVolumeRequest.newBuilder()
                .setVolumeId(volume.getVolumeId())
                .putAllPublishContext(publishContext)
                .setTargetPath(target.toString())
                .setVolumeCapability(cap)
                .putAllVolumeContext(volume.getVolumeContextMap());
        if (staging != null) {
            b.setStagingTargetPath(staging.toString());
        }
        return b;
    }

    public static NodeUnpublishVolumeRequest nodeUnpublish(String volumeId, Path target) {
        return NodeUnpublishVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .setTargetPath(target.toString())
                .build();
    }

    public static NodeUnstageVolumeRequest nodeUnstage(String volumeId, Path staging) {
        return NodeUnstageVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .setStagingTargetPath(staging.toString())
                .build();
    }
}
