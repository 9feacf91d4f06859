package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.common.CsiErrors.invalidArgument;
import static dev.imagedisk.csi.common.CsiErrors.notFound;
import static dev.imagedisk.csi.common.CsiErrors.require;

import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.ControllerExpandVolumeResponse;
import csi.v1.ControllerGetCapabilitiesRequest;
import csi.v1.ControllerGetCapabilitiesResponse;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerGetVolumeResponse;
import csi.v1.ControllerGrpc;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerPublishVolumeResponse;
import csi.v1.ControllerServiceCapability;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.ControllerUnpublishVolumeResponse;
import csi.v1.CreateVolumeRequest;
import csi.v1.CreateVolumeResponse;
import csi.v1.DeleteVolumeRequest;
import csi.v1.DeleteVolumeResponse;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import csi.v1.ValidateVolumeCapabilitiesRequest;
import csi.v1.ValidateVolumeCapabilitiesResponse;
import csi.v1.VolumeCapability;
import dev.imagedisk.csi.cloud.Disk;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.cloud.InstanceRef;
import dev.imagedisk.csi.common.InFlight;
import dev.imagedisk.csi.common.Rpc;
import dev.imagedisk.csi.contract.AccessPolicy;
import dev.imagedisk.csi.contract.NodeId;
import dev.imagedisk.csi.contract.VolumeId;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The CSI Controller service: checks and translates requests, serialises calls per volume
 * ({@link InFlight}: a second call on a busy volume is ABORTED), and leaves the decisions to
 * {@link VolumeProvisioner}, {@link Attacher} and {@link VolumeCatalog}. Each call runs bounded by its gRPC
 * deadline and cancellation ({@link Rpc#bounded}): its Compute Engine requests, retries and waits stop when the
 * caller gives up. RPCs not advertised in
 * ControllerGetCapabilities (GetCapacity, snapshots, ModifyVolume) answer UNIMPLEMENTED.
 */
public final class ControllerService extends ControllerGrpc.ControllerImplBase {
    static final List<Type> CAPABILITIES = List.of(Type.CREATE_DELETE_VOLUME, Type.PUBLISH_UNPUBLISH_VOLUME,
            Type.LIST_VOLUMES, Type.LIST_VOLUMES_PUBLISHED_NODES, Type.EXPAND_VOLUME, Type.GET_VOLUME,
            Type.VOLUME_CONDITION, Type.SINGLE_NODE_MULTI_WRITER, Type.PUBLISH_READONLY);

    private final String project;
    private final String defaultImage;
    private final VolumeProvisioner provisioner;
    private final Attacher attacher;
    private final VolumeCatalog catalog;
    private final InFlight inFlight;

    /** @param defaultImage the image for a CreateVolume that names none ({@code --default-image}), or null */
    public ControllerService(String project, String defaultImage, VolumeProvisioner provisioner, Attacher attacher,
            VolumeCatalog catalog, InFlight inFlight) {
        this.project = project;
        this.defaultImage = defaultImage;
        this.provisioner = provisioner;
        this.attacher = attacher;
        this.catalog = catalog;
        this.inFlight = inFlight;
    }

    @Override
    public void createVolume(CreateVolumeRequest request, StreamObserver<CreateVolumeResponse> observer) {
        Rpc.bounded(observer, () -> {
            String name = require(request.getName(), "name");
            requireCapabilities(request.getVolumeCapabilitiesList(), "volume_capabilities");
            if (request.hasVolumeContentSource()) {
                throw invalidArgument("volume_content_source is not supported: volumes are created from the"
                        + " StorageClass image only (no snapshots, no clones)");
            }
            if (!request.getMutableParamsMap().isEmpty()) {
                throw invalidArgument("mutable_parameters are not supported (no MODIFY_VOLUME)");
            }
            StorageClassParameters params = StorageClassParameters.parse(request.getParametersMap(), project, defaultImage);
            try (InFlight.Lease lease = inFlight.acquire(name, "CreateVolume")) {
                Disk disk = provisioner.create(new VolumeProvisioner.CreateRequest(name, params,
                        request.hasCapacityRange() ? request.getCapacityRange() : null,
                        request.getAccessibilityRequirements()));
                return CreateVolumeResponse.newBuilder().setVolume(Volumes.volume(disk)).build();
            }
        });
    }

    @Override
    public void deleteVolume(DeleteVolumeRequest request, StreamObserver<DeleteVolumeResponse> observer) {
        Rpc.bounded(observer, () -> {
            String id = require(request.getVolumeId(), "volume_id");
            Optional<DiskRef> disk = VolumeId.parse(id).map(DiskRef::of);
            if (disk.isPresent()) { // any other id names no disk of ours: deleted already
                try (InFlight.Lease lease = inFlight.acquire(id, "DeleteVolume")) {
                    provisioner.delete(disk.get());
                }
            }
            return DeleteVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void controllerPublishVolume(ControllerPublishVolumeRequest request,
            StreamObserver<ControllerPublishVolumeResponse> observer) {
        Rpc.bounded(observer, () -> {
            String id = require(request.getVolumeId(), "volume_id");
            String nodeId = require(request.getNodeId(), "node_id");
            requireCapability(request.getVolumeCapability(), request.hasVolumeCapability(), "volume_capability");
            DiskRef disk = volume(id);
            InstanceRef node = NodeId.parse(nodeId).map(InstanceRef::of)
                    .orElseThrow(() -> notFound("node %s does not exist", nodeId));
            boolean readOnly = AccessPolicy.readOnly(request.getVolumeCapability(), request.getReadonly());
            try (InFlight.Lease lease = inFlight.acquire(id, "ControllerPublishVolume")) {
                Map<String, String> context = attacher.publish(disk, node, readOnly);
                return ControllerPublishVolumeResponse.newBuilder().putAllPublishContext(context).build();
            }
        });
    }

    @Override
    public void controllerUnpublishVolume(ControllerUnpublishVolumeRequest request,
            StreamObserver<ControllerUnpublishVolumeResponse> observer) {
        Rpc.bounded(observer, () -> {
            String id = require(request.getVolumeId(), "volume_id");
            Optional<DiskRef> disk = VolumeId.parse(id).map(DiskRef::of);
            String nodeId = request.getNodeId();
            Optional<InstanceRef> node = NodeId.parse(nodeId).map(InstanceRef::of);
            // an id that is not ours names nothing that could be attached: detached already
            if (disk.isPresent() && (nodeId.isEmpty() || node.isPresent())) {
                try (InFlight.Lease lease = inFlight.acquire(id, "ControllerUnpublishVolume")) {
                    attacher.unpublish(disk.get(), node.orElse(null));
                }
            }
            return ControllerUnpublishVolumeResponse.getDefaultInstance();
        });
    }

    @Override
    public void validateVolumeCapabilities(ValidateVolumeCapabilitiesRequest request,
            StreamObserver<ValidateVolumeCapabilitiesResponse> observer) {
        Rpc.bounded(observer, () -> {
            String id = require(request.getVolumeId(), "volume_id");
            if (request.getVolumeCapabilitiesCount() == 0) {
                throw invalidArgument("volume_capabilities is required");
            }
            DiskRef ref = volume(id);
            Disk disk = catalog.get(ref).orElseThrow(() -> notFound("volume %s does not exist", id));
            Optional<String> reason = AccessPolicy.unsupported(request.getVolumeCapabilitiesList());
            if (reason.isEmpty() && !request.getMutableParamsMap().isEmpty()) {
                reason = Optional.of("mutable_parameters are not supported");
            }
            if (reason.isEmpty() && !request.getParametersMap().isEmpty()) {
                StorageClassParameters.Checked params = StorageClassParameters.check(request.getParametersMap(),
                        project, defaultImage);
                reason = params.problem().or(() -> provisioner.mismatch(disk, params.parameters()));
            }
            if (reason.isPresent()) {
                return ValidateVolumeCapabilitiesResponse.newBuilder().setMessage(reason.get()).build();
            }
            return ValidateVolumeCapabilitiesResponse.newBuilder()
                    .setConfirmed(ValidateVolumeCapabilitiesResponse.Confirmed.newBuilder()
                            .putAllVolumeContext(request.getVolumeContextMap())
                            .addAllVolumeCapabilities(request.getVolumeCapabilitiesList())
                            .putAllParameters(request.getParametersMap()))
                    .build();
        });
    }

    @Override
    public void listVolumes(ListVolumesRequest request, StreamObserver<ListVolumesResponse> observer) {
        Rpc.bounded(observer, () -> catalog.list(request.getMaxEntries(), request.getStartingToken()));
    }

    @Override
    public void controllerGetVolume(ControllerGetVolumeRequest request,
            StreamObserver<ControllerGetVolumeResponse> observer) {
        Rpc.bounded(observer, () -> {
            String id = require(request.getVolumeId(), "volume_id");
            DiskRef ref = volume(id);
            Disk disk = catalog.get(ref).orElseThrow(() -> notFound("volume %s does not exist", id));
            return ControllerGetVolumeResponse.newBuilder()
                    .setVolume(Volumes.volume(disk))
                    .setStatus(ControllerGetVolumeResponse.VolumeStatus.newBuilder()
                            .addAllPublishedNodeIds(Volumes.publishedNodeIds(disk))
                            .setVolumeCondition(Volumes.condition(disk)))
                    .build();
        });
    }

    @Override
    public void controllerExpandVolume(ControllerExpandVolumeRequest request,
            StreamObserver<ControllerExpandVolumeResponse> observer) {
        Rpc.bounded(observer, () -> {
            String id = require(request.getVolumeId(), "volume_id");
            if (!request.hasCapacityRange()) {
                throw invalidArgument("capacity_range is required");
            }
            if (request.hasVolumeCapability()) {
                requireCapability(request.getVolumeCapability(), true, "volume_capability");
            }
            DiskRef ref = volume(id);
            boolean block = request.hasVolumeCapability()
                    && request.getVolumeCapability().getAccessTypeCase() == VolumeCapability.AccessTypeCase.BLOCK;
            try (InFlight.Lease lease = inFlight.acquire(id, "ControllerExpandVolume")) {
                long sizeGb = provisioner.expand(ref, request.getCapacityRange());
                return ControllerExpandVolumeResponse.newBuilder()
                        .setCapacityBytes(sizeGb * VolumeSize.GIB)
                        .setNodeExpansionRequired(!block)
                        .build();
            }
        });
    }

    @Override
    public void controllerGetCapabilities(ControllerGetCapabilitiesRequest request,
            StreamObserver<ControllerGetCapabilitiesResponse> observer) {
        Rpc.bounded(observer, () -> {
            ControllerGetCapabilitiesResponse.Builder response = ControllerGetCapabilitiesResponse.newBuilder();
            for (Type t : CAPABILITIES) {
                response.addCapabilities(ControllerServiceCapability.newBuilder()
                        .setRpc(ControllerServiceCapability.RPC.newBuilder().setType(t)));
            }
            return response.build();
        });
    }

    /** INVALID_ARGUMENT unless {@code caps} is non-empty and a zonal disk can meet every entry. */
    private static void requireCapabilities(List<VolumeCapability> caps, String field) {
        if (caps.isEmpty()) {
            throw invalidArgument("%s is required", field);
        }
        AccessPolicy.unsupported(caps).ifPresent(reason -> {
            throw invalidArgument("%s: %s", field, reason);
        });
    }

    /** INVALID_ARGUMENT unless {@code cap} is set and a zonal disk can meet it. */
    private static void requireCapability(VolumeCapability cap, boolean present, String field) {
        if (!present) {
            throw invalidArgument("%s is required", field);
        }
        AccessPolicy.unsupported(cap).ifPresent(reason -> {
            throw invalidArgument("%s: %s", field, reason);
        });
    }

    /** The disk a volume id names; NOT_FOUND for an id that names no disk of this driver. */
    private static DiskRef volume(String id) {
        return VolumeId.parse(id).map(DiskRef::of).orElseThrow(() -> notFound("volume %s does not exist", id));
    }
}
