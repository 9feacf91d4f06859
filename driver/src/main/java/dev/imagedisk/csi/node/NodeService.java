package dev.imagedisk.csi.node;

import csi.v1.NodeExpandVolumeRequest;
import csi.v1.NodeExpandVolumeResponse;
import csi.v1.NodeGetCapabilitiesRequest;
import csi.v1.NodeGetCapabilitiesResponse;
import csi.v1.NodeGetInfoRequest;
import csi.v1.NodeGetInfoResponse;
import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeGetVolumeStatsResponse;
import csi.v1.NodeGrpc;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodePublishVolumeResponse;
import csi.v1.NodeServiceCapability;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeStageVolumeResponse;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnpublishVolumeResponse;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.NodeUnstageVolumeResponse;
import csi.v1.Topology;
import csi.v1.VolumeCondition;
import csi.v1.VolumeUsage;
import dev.imagedisk.csi.contract.AccessPolicy;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.contract.PartitionChoice;
import dev.imagedisk.csi.contract.VolumeId;
import dev.imagedisk.csi.mount.FilesystemUsage;
import dev.imagedisk.csi.server.CsiErrors;
import dev.imagedisk.csi.server.InFlight;
import dev.imagedisk.csi.server.Rpc;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.List;

/**
 * The CSI Node service: validates requests, holds the per-volume in-flight guard, and translates between
 * CSI messages and {@link Stager}, {@link Publisher}, {@link VolumeStatsReader}, {@link Expander} and
 * {@link NodeIdentity}, which do the work.
 */
public final class NodeService extends NodeGrpc.NodeImplBase {
    private static final List<NodeServiceCapability.RPC.Type> CAPABILITIES = List.of(
            NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME,
            NodeServiceCapability.RPC.Type.GET_VOLUME_STATS,
            NodeServiceCapability.RPC.Type.EXPAND_VOLUME,
            NodeServiceCapability.RPC.Type.VOLUME_CONDITION,
            // SINGLE_NODE_SINGLE_WRITER and SINGLE_NODE_MULTI_WRITER access modes, as the controller advertises
            NodeServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER);

    private final PathPolicy paths;
    private final Stager stager;
    private final Publisher publisher;
    private final VolumeStatsReader stats;
    private final Expander expander;
    private final NodeIdentity identity;
    private final InFlight inFlight;

    public NodeService(
            PathPolicy paths,
            Stager stager,
            Publisher publisher,
            VolumeStatsReader stats,
            Expander expander,
            NodeIdentity identity,
            InFlight inFlight) {
        this.paths = paths;
        this.stager = stager;
        this.publisher = publisher;
        this.stats = stats;
        this.expander = expander;
        this.identity = identity;
        this.inFlight = inFlight;
    }

    @Override
    public void nodeStageVolume(NodeStageVolumeRequest request, StreamObserver<NodeStageVolumeResponse> observer) {
        Rpc.unary(observer, () -> {
            String volumeId = volumeId(request.getVolumeId());
            Path staging = paths.check("staging_target_path", request.getStagingTargetPath());
            VolumeSpec spec = capability(request.hasVolumeCapability(), request.getVolumeCapability());
            String deviceName = DeviceLocator.deviceName(request.getPublishContextMap());
            PartitionChoice partition = partition(request.getVolumeContextMap().get(Keys.CONTEXT_PARTITION));
            try (InFlight.Lease lease = inFlight.acquire(volumeId, "NodeStageVolume")) {
                stager.stage(volumeId, deviceName, staging, spec, partition);
            }
            return NodeStageVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void nodeUnstageVolume(
            NodeUnstageVolumeRequest request, StreamObserver<NodeUnstageVolumeResponse> observer) {
        Rpc.unary(observer, () -> {
            String volumeId = CsiErrors.require(request.getVolumeId(), "volume_id");
            Path staging = paths.check("staging_target_path", request.getStagingTargetPath());
            try (InFlight.Lease lease = inFlight.acquire(volumeId, "NodeUnstageVolume")) {
                stager.unstage(volumeId, staging);
            }
            return NodeUnstageVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void nodePublishVolume(
            NodePublishVolumeRequest request, StreamObserver<NodePublishVolumeResponse> observer) {
        Rpc.unary(observer, () -> {
            String volumeId = volumeId(request.getVolumeId());
            Path target = paths.check("target_path", request.getTargetPath());
            VolumeSpec spec = capability(request.hasVolumeCapability(), request.getVolumeCapability());
            if (!spec.block() && request.getStagingTargetPath().isEmpty()) {
                throw CsiErrors.failedPrecondition("staging_target_path is not set: this plugin stages volumes"
                        + " (STAGE_UNSTAGE_VOLUME), so NodeStageVolume must come before NodePublishVolume");
            }
            Path staging = spec.block() && request.getStagingTargetPath().isEmpty()
                    ? null
                    : paths.check("staging_target_path", request.getStagingTargetPath());
            String deviceName = spec.block() ? DeviceLocator.deviceName(request.getPublishContextMap()) : null;
            boolean readOnly = AccessPolicy.readOnly(request.getVolumeCapability(), request.getReadonly());
            try (InFlight.Lease lease = inFlight.acquire(volumeId, "NodePublishVolume")) {
                publisher.publish(volumeId, deviceName, staging, target, spec, readOnly);
            }
            return NodePublishVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void nodeUnpublishVolume(
            NodeUnpublishVolumeRequest request, StreamObserver<NodeUnpublishVolumeResponse> observer) {
        Rpc.unary(observer, () -> {
            String volumeId = CsiErrors.require(request.getVolumeId(), "volume_id");
            Path target = paths.check("target_path", request.getTargetPath());
            try (InFlight.Lease lease = inFlight.acquire(volumeId, "NodeUnpublishVolume")) {
                publisher.unpublish(volumeId, target);
            }
            return NodeUnpublishVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void nodeGetVolumeStats(
            NodeGetVolumeStatsRequest request, StreamObserver<NodeGetVolumeStatsResponse> observer) {
        Rpc.unary(observer, () -> {
            VolumeAt at = volumeAt(request.getVolumeId(), request.getVolumePath(), request.getStagingTargetPath());
            String volumeId = at.volumeId();
            Path volumePath = at.volumePath();
            VolumeStatsReader.Stats s = stats.read(volumeId, volumePath);
            NodeGetVolumeStatsResponse.Builder out = NodeGetVolumeStatsResponse.newBuilder()
                    .setVolumeCondition(VolumeCondition.newBuilder()
                            .setAbnormal(s.health().abnormal())
                            .setMessage(s.health().message()));
            if (s.block() && s.blockBytes() >= 0) {
                out.addUsage(
                        VolumeUsage.newBuilder().setUnit(VolumeUsage.Unit.BYTES).setTotal(s.blockBytes()));
            }
            FilesystemUsage u = s.usage();
            if (u != null) {
                out.addUsage(VolumeUsage.newBuilder()
                        .setUnit(VolumeUsage.Unit.BYTES)
                        .setTotal(u.totalBytes())
                        .setUsed(u.usedBytes())
                        .setAvailable(u.availableBytes()));
                out.addUsage(VolumeUsage.newBuilder()
                        .setUnit(VolumeUsage.Unit.INODES)
                        .setTotal(u.totalInodes())
                        .setUsed(u.usedInodes())
                        .setAvailable(u.freeInodes()));
            }
            return out.build();
        });
    }

    @Override
    public void nodeExpandVolume(NodeExpandVolumeRequest request, StreamObserver<NodeExpandVolumeResponse> observer) {
        Rpc.unary(observer, () -> {
            VolumeAt at = volumeAt(request.getVolumeId(), request.getVolumePath(), request.getStagingTargetPath());
            String volumeId = at.volumeId();
            Path volumePath = at.volumePath();
            if (request.hasVolumeCapability()) {
                capability(true, request.getVolumeCapability());
            }
            long required = request.getCapacityRange().getRequiredBytes();
            long limit = request.getCapacityRange().getLimitBytes();
            if (required < 0 || limit < 0 || (limit > 0 && required > limit)) {
                throw CsiErrors.invalidArgument(
                        "capacity_range: required_bytes %d and limit_bytes %d are not a " + "valid range",
                        required, limit);
            }
            long capacity;
            try (InFlight.Lease lease = inFlight.acquire(volumeId, "NodeExpandVolume")) {
                capacity = expander.expand(volumeId, volumePath, required);
            }
            return NodeExpandVolumeResponse.newBuilder()
                    .setCapacityBytes(capacity)
                    .build();
        });
    }

    @Override
    public void nodeGetCapabilities(
            NodeGetCapabilitiesRequest request, StreamObserver<NodeGetCapabilitiesResponse> observer) {
        Rpc.unary(observer, () -> {
            NodeGetCapabilitiesResponse.Builder out = NodeGetCapabilitiesResponse.newBuilder();
            for (NodeServiceCapability.RPC.Type type : CAPABILITIES) {
                out.addCapabilities(NodeServiceCapability.newBuilder()
                        .setRpc(NodeServiceCapability.RPC.newBuilder().setType(type)));
            }
            return out.build();
        });
    }

    @Override
    public void nodeGetInfo(NodeGetInfoRequest request, StreamObserver<NodeGetInfoResponse> observer) {
        Rpc.unary(observer, () -> {
            NodeIdentity.Info info = identity.info();
            return NodeGetInfoResponse.newBuilder()
                    .setNodeId(info.nodeId())
                    .setMaxVolumesPerNode(info.maxVolumesPerNode())
                    .setAccessibleTopology(Topology.newBuilder().putSegments(Keys.TOPOLOGY_ZONE, info.zone()))
                    .build();
        });
    }

    /**
     * The volume id of a call that touches the volume's device (stage, publish), required in the driver's
     * {@value VolumeId#FORM} form: anything else is INVALID_ARGUMENT before any device or path is touched.
     * Unstage and unpublish only take mounts off a checked path, so they accept any id (idempotent clean-up).
     */
    static String volumeId(String id) {
        String value = CsiErrors.require(id, "volume_id");
        if (!VolumeId.isVolume(value)) {
            throw CsiErrors.invalidArgument(
                    "volume_id %s is not a volume id of this driver (%s)", value, VolumeId.FORM);
        }
        return value;
    }

    /** A volume of this driver at an existing path, as NodeGetVolumeStats and NodeExpandVolume name it. */
    private record VolumeAt(String volumeId, Path volumePath) {}

    /**
     * Checks the volume id, the volume path (which must exist) and the staging path when given. An id that is
     * not of this driver's form cannot be at any path: NOT_FOUND.
     */
    private VolumeAt volumeAt(String id, String volumePath, String stagingTargetPath) {
        String volumeId = CsiErrors.require(id, "volume_id");
        Path path = paths.checkExisting("volume_path", volumePath);
        if (!VolumeId.isVolume(volumeId)) {
            throw CsiErrors.notFound(
                    "volume %s is not at %s: it is not a volume id of this driver (%s)", volumeId, path, VolumeId.FORM);
        }
        if (!stagingTargetPath.isEmpty()) {
            paths.check("staging_target_path", stagingTargetPath);
        }
        return new VolumeAt(volumeId, path);
    }

    static PartitionChoice partition(String value) {
        return PartitionChoice.parse(value)
                .orElseThrow(() -> CsiErrors.invalidArgument(
                        "volume_context.%s \"%s\" " + "is neither \"%s\" nor a partition number (1 to %d)",
                        Keys.CONTEXT_PARTITION, value, PartitionChoice.AUTO_VALUE, PartitionChoice.MAX_NUMBER));
    }

    private static VolumeSpec capability(boolean present, csi.v1.VolumeCapability capability) {
        if (!present) {
            throw CsiErrors.invalidArgument("volume_capability is required");
        }
        return CapabilityTranslator.translate(capability, "volume_capability");
    }
}
