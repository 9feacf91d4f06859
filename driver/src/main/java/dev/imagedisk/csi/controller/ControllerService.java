package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.invalidArgument;
import static dev.imagedisk.csi.server.CsiErrors.notFound;
import static dev.imagedisk.csi.server.CsiErrors.require;

import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.ControllerExpandVolumeResponse;
import csi.v1.ControllerGetCapabilitiesRequest;
import csi.v1.ControllerGetCapabilitiesResponse;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerGetVolumeResponse;
import csi.v1.ControllerGrpc;
import csi.v1.ControllerModifyVolumeRequest;
import csi.v1.ControllerModifyVolumeResponse;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerPublishVolumeResponse;
import csi.v1.ControllerServiceCapability;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.ControllerUnpublishVolumeResponse;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateSnapshotResponse;
import csi.v1.CreateVolumeRequest;
import csi.v1.CreateVolumeResponse;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.DeleteSnapshotResponse;
import csi.v1.DeleteVolumeRequest;
import csi.v1.DeleteVolumeResponse;
import csi.v1.ListSnapshotsRequest;
import csi.v1.ListSnapshotsResponse;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import csi.v1.ValidateVolumeCapabilitiesRequest;
import csi.v1.ValidateVolumeCapabilitiesResponse;
import csi.v1.VolumeCapability;
import csi.v1.VolumeContentSource;
import dev.imagedisk.csi.cloud.Disk;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.cloud.DiskSpec;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.cloud.InstanceRef;
import dev.imagedisk.csi.contract.AccessPolicy;
import dev.imagedisk.csi.contract.FsTypes;
import dev.imagedisk.csi.contract.GceNames;
import dev.imagedisk.csi.contract.ImageId;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.contract.NodeId;
import dev.imagedisk.csi.contract.ReaderSetId;
import dev.imagedisk.csi.contract.VolumeId;
import dev.imagedisk.csi.server.CsiErrors;
import dev.imagedisk.csi.server.InFlight;
import dev.imagedisk.csi.server.Rpc;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The CSI Controller service: checks and translates requests, serialises calls per volume
 * ({@link InFlight}: a second call on a busy volume is ABORTED), and leaves the decisions to
 * {@link VolumeProvisioner}, {@link Attacher}, {@link VolumeCatalog} and {@link Snapshotter} (snapshots are
 * global images). Each call runs bounded by its gRPC deadline and cancellation ({@link Rpc#bounded}): its Compute
 * Engine requests, retries and waits stop when the caller gives up. The calls that wait for Compute Engine
 * operations (Create/DeleteVolume, ControllerPublish/Unpublish, ControllerExpand, Create/DeleteSnapshot) answer
 * asynchronously ({@link Rpc#unaryAsync}): their thread goes back to the server's pool while the operation runs,
 * and the volume's {@link InFlight} key is held until the answer. ControllerModifyVolume changes a Hyperdisk's
 * provisioned performance ({@link VolumeModifier}). RPCs not advertised in ControllerGetCapabilities (GetCapacity)
 * answer UNIMPLEMENTED.
 */
public final class ControllerService extends ControllerGrpc.ControllerImplBase {
    static final List<Type> CAPABILITIES = List.of(
            Type.CREATE_DELETE_VOLUME,
            Type.PUBLISH_UNPUBLISH_VOLUME,
            Type.LIST_VOLUMES,
            Type.LIST_VOLUMES_PUBLISHED_NODES,
            Type.EXPAND_VOLUME,
            Type.GET_VOLUME,
            Type.VOLUME_CONDITION,
            Type.SINGLE_NODE_MULTI_WRITER,
            Type.PUBLISH_READONLY,
            Type.CREATE_DELETE_SNAPSHOT,
            Type.LIST_SNAPSHOTS,
            Type.CLONE_VOLUME,
            Type.MODIFY_VOLUME);

    private final String project;
    private final ImageRef defaultImage;
    private final VolumeProvisioner provisioner;
    private final Attacher attacher;
    private final VolumeCatalog catalog;
    private final Snapshotter snapshotter;
    private final VolumeModifier modifier;
    private final ReaderSets readerSets;
    private final InFlight inFlight;

    /** @param defaultImage the image for a CreateVolume that names none ({@code --default-image}), or null */
    public ControllerService(
            String project,
            ImageRef defaultImage,
            VolumeProvisioner provisioner,
            Attacher attacher,
            VolumeCatalog catalog,
            Snapshotter snapshotter,
            VolumeModifier modifier,
            ReaderSets readerSets,
            InFlight inFlight) {
        this.project = project;
        this.defaultImage = defaultImage;
        this.provisioner = provisioner;
        this.attacher = attacher;
        this.catalog = catalog;
        this.snapshotter = snapshotter;
        this.modifier = modifier;
        this.readerSets = readerSets;
        this.inFlight = inFlight;
    }

    @Override
    public void createVolume(CreateVolumeRequest request, StreamObserver<CreateVolumeResponse> observer) {
        Rpc.unaryAsync(observer, () -> {
            String name = requireName(request.getName(), "name");
            requireCapabilities(request.getVolumeCapabilitiesList(), "volume_capabilities");
            // the VolumeAttributesClass's values, applied at creation (the spec's MUST with MODIFY_VOLUME)
            MutableParameters mutable = MutableParameters.parse(request.getMutableParamsMap(), "mutable_parameters");
            ImageRef snapshot = null;
            DiskRef cloneOf = null;
            StorageClassParameters params;
            if (request.hasVolumeContentSource()) {
                VolumeContentSource source = request.getVolumeContentSource();
                switch (source.getTypeCase()) {
                    case SNAPSHOT ->
                        snapshot = snapshotSource(source.getSnapshot().getSnapshotId());
                    case VOLUME -> cloneOf = volumeSource(source.getVolume().getVolumeId());
                    default -> throw invalidArgument("volume_content_source names neither a snapshot nor a volume");
                }
                params = StorageClassParameters.parseForSource(request.getParametersMap(), project);
            } else {
                params = StorageClassParameters.parse(request.getParametersMap(), project, defaultImage);
            }
            if (!mutable.isEmpty()) {
                String type = params.type();
                mutable.unsupportedBy(type).ifPresent(reason -> {
                    throw invalidArgument("mutable_parameters: %s", reason);
                });
                params = params.withPerformance(mutable.iops(), mutable.throughput());
            }
            SharedReadOnly.Plan sharing =
                    SharedReadOnly.plan(params, request.getVolumeCapabilitiesList(), cloneOf != null);
            VolumeProvisioner.CreateRequest create = VolumeProvisioner.CreateRequest.of(
                    name,
                    params,
                    request.hasCapacityRange() ? request.getCapacityRange() : null,
                    request.getAccessibilityRequirements(),
                    snapshot,
                    cloneOf,
                    sharing);
            String partition = params.partition().value();
            return inFlight.holding(name, "CreateVolume", () -> provisioner.createAsync(create))
                    .thenApply(disk -> {
                        csi.v1.Volume described = sharing.readerSet()
                                ? Volumes.volume(new ReaderSets.View(
                                        new ReaderSetId(
                                                disk.ref().project(), disk.ref().name()),
                                        List.of(disk),
                                        DiskDescription.setLayout(disk.description())
                                                .orElseThrow(() -> CsiErrors.internal(
                                                        "disk %s of reader set %s records no layout",
                                                        disk.ref(), name))))
                                : Volumes.volume(disk);
                        csi.v1.Volume.Builder volume =
                                described.toBuilder().putVolumeContext(Keys.CONTEXT_PARTITION, partition);
                        if (request.hasVolumeContentSource()) {
                            volume.setContentSource(request.getVolumeContentSource());
                        }
                        return CreateVolumeResponse.newBuilder()
                                .setVolume(volume)
                                .build();
                    });
        });
    }

    /** The image a snapshot source names; NOT_FOUND when the id is no image path (it names no snapshot). */
    private static ImageRef snapshotSource(String id) {
        require(id, "volume_content_source.snapshot.snapshot_id");
        ImageId image = ImageId.parse(id)
                .orElseThrow(() ->
                        notFound("snapshot %s does not exist: a snapshot id is an image path, %s", id, ImageId.FORM));
        return ImageRef.of(image);
    }

    /** The disk a clone source names; NOT_FOUND when the id is no volume id of this driver. */
    private static DiskRef volumeSource(String id) {
        require(id, "volume_content_source.volume.volume_id");
        VolumeId v = VolumeId.parse(id).orElseThrow(() -> notFound("source volume %s does not exist", id));
        return DiskRef.of(v);
    }

    /** A required CSI name of at most 128 bytes (the spec's limit), naming the field otherwise. */
    private static String requireName(String value, String field) {
        require(value, field);
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > GceNames.MAX_CSI_NAME_BYTES) {
            throw invalidArgument(
                    "%s is %d bytes long; CSI allows at most %d", field, bytes, GceNames.MAX_CSI_NAME_BYTES);
        }
        return value;
    }

    @Override
    public void createSnapshot(CreateSnapshotRequest request, StreamObserver<CreateSnapshotResponse> observer) {
        Rpc.unaryAsync(observer, () -> {
            String name = requireName(request.getName(), "name");
            String sourceId = require(request.getSourceVolumeId(), "source_volume_id");
            SnapshotParameters params = SnapshotParameters.parse(request.getParametersMap());
            if (ReaderSetId.parse(sourceId).isPresent()) {
                throw CsiErrors.failedPrecondition(
                        "source volume %s is a reader set: read-only copies of one image, which it holds unchanged;"
                                + " make new volumes from that image (volume_context \"%s\") instead",
                        sourceId, Keys.CONTEXT_IMAGE);
            }
            VolumeId source = VolumeId.parse(sourceId)
                    .orElseThrow(() -> notFound("source volume %s does not exist (source_volume_id)", sourceId));
            // keyed by the image path, as DeleteSnapshot is: a create and a delete of one snapshot do not overlap
            String imagePath = ImageId.image(project, GceNames.derive(name)).path();
            Snapshotter.CreateRequest create = new Snapshotter.CreateRequest(name, source, params);
            return inFlight.holding(imagePath, "CreateSnapshot", () -> snapshotter.createAsync(create))
                    .thenApply(snapshot -> CreateSnapshotResponse.newBuilder()
                            .setSnapshot(snapshot)
                            .build());
        });
    }

    @Override
    public void deleteSnapshot(DeleteSnapshotRequest request, StreamObserver<DeleteSnapshotResponse> observer) {
        Rpc.unaryAsync(observer, () -> {
            String id = require(request.getSnapshotId(), "snapshot_id");
            return inFlight.holding(id, "DeleteSnapshot", () -> snapshotter.deleteAsync(id))
                    .thenApply(done -> DeleteSnapshotResponse.getDefaultInstance());
        });
    }

    @Override
    public void listSnapshots(ListSnapshotsRequest request, StreamObserver<ListSnapshotsResponse> observer) {
        Rpc.bounded(
                observer,
                () -> snapshotter.list(
                        request.getSnapshotId(),
                        request.getSourceVolumeId(),
                        request.getMaxEntries(),
                        request.getStartingToken()));
    }

    @Override
    public void deleteVolume(DeleteVolumeRequest request, StreamObserver<DeleteVolumeResponse> observer) {
        Rpc.unaryAsync(observer, () -> {
            String id = require(request.getVolumeId(), "volume_id");
            Optional<ReaderSetId> set = ReaderSetId.parse(id);
            if (set.isPresent()) {
                return inFlight.holding(id, "DeleteVolume", () -> readerSets.deleteAsync(set.get()))
                        .thenApply(done -> DeleteVolumeResponse.getDefaultInstance());
            }
            Optional<DiskRef> disk = VolumeId.parse(id).map(DiskRef::of);
            if (disk.isEmpty()) { // any other id names no disk of ours: deleted already
                return CompletableFuture.completedFuture(DeleteVolumeResponse.getDefaultInstance());
            }
            return inFlight.holding(id, "DeleteVolume", () -> provisioner.deleteAsync(disk.get()))
                    .thenApply(done -> DeleteVolumeResponse.getDefaultInstance());
        });
    }

    @Override
    public void controllerPublishVolume(
            ControllerPublishVolumeRequest request, StreamObserver<ControllerPublishVolumeResponse> observer) {
        Rpc.unaryAsync(observer, () -> {
            String id = require(request.getVolumeId(), "volume_id");
            String nodeId = require(request.getNodeId(), "node_id");
            requireCapability(request.getVolumeCapability(), request.hasVolumeCapability(), "volume_capability");
            Optional<ReaderSetId> set = ReaderSetId.parse(id);
            InstanceRef node = NodeId.parse(nodeId)
                    .map(InstanceRef::of)
                    .orElseThrow(() -> notFound("node %s does not exist", nodeId));
            boolean readOnly = AccessPolicy.readOnly(request.getVolumeCapability(), request.getReadonly());
            if (set.isPresent()) {
                // readers of one set publish side by side: the key is the volume on that node
                return inFlight.holding(
                                id + "@" + nodeId,
                                "ControllerPublishVolume",
                                () -> readerSets.publishAsync(set.get(), node, readOnly))
                        .thenApply(context -> ControllerPublishVolumeResponse.newBuilder()
                                .putAllPublishContext(context)
                                .build());
            }
            DiskRef disk = volume(id);
            return inFlight.holding(id, "ControllerPublishVolume", () -> attacher.publishAsync(disk, node, readOnly))
                    .thenApply(context -> ControllerPublishVolumeResponse.newBuilder()
                            .putAllPublishContext(context)
                            .build());
        });
    }

    @Override
    public void controllerUnpublishVolume(
            ControllerUnpublishVolumeRequest request, StreamObserver<ControllerUnpublishVolumeResponse> observer) {
        Rpc.unaryAsync(observer, () -> {
            String id = require(request.getVolumeId(), "volume_id");
            Optional<DiskRef> disk = VolumeId.parse(id).map(DiskRef::of);
            String nodeId = request.getNodeId();
            Optional<InstanceRef> node = NodeId.parse(nodeId).map(InstanceRef::of);
            Optional<ReaderSetId> set = ReaderSetId.parse(id);
            if (set.isPresent() && (nodeId.isEmpty() || node.isPresent())) {
                return inFlight.holding(
                                nodeId.isEmpty() ? id : id + "@" + nodeId,
                                "ControllerUnpublishVolume",
                                () -> readerSets.unpublishAsync(set.get(), node.orElse(null)))
                        .thenApply(done -> ControllerUnpublishVolumeResponse.getDefaultInstance());
            }
            // an id that is not ours names nothing that could be attached: detached already
            if (disk.isEmpty() || (!nodeId.isEmpty() && node.isEmpty())) {
                return CompletableFuture.completedFuture(ControllerUnpublishVolumeResponse.getDefaultInstance());
            }
            return inFlight.holding(
                            id,
                            "ControllerUnpublishVolume",
                            () -> attacher.unpublishAsync(disk.get(), node.orElse(null)))
                    .thenApply(done -> ControllerUnpublishVolumeResponse.getDefaultInstance());
        });
    }

    @Override
    public void validateVolumeCapabilities(
            ValidateVolumeCapabilitiesRequest request, StreamObserver<ValidateVolumeCapabilitiesResponse> observer) {
        Rpc.bounded(observer, () -> {
            String id = require(request.getVolumeId(), "volume_id");
            if (request.getVolumeCapabilitiesCount() == 0) {
                throw invalidArgument("volume_capabilities is required");
            }
            // a filesystem no node can mount is bad input, not an unconfirmed capability
            FsTypes.unsupported(request.getVolumeCapabilitiesList()).ifPresent(reason -> {
                throw invalidArgument("volume_capabilities: %s", reason);
            });
            Optional<ReaderSetId> set = ReaderSetId.parse(id);
            Disk disk;
            Optional<String> reason = AccessPolicy.unsupported(request.getVolumeCapabilitiesList());
            if (set.isPresent()) {
                disk = readerSets
                        .get(set.get())
                        .orElseThrow(() -> notFound("volume %s does not exist", id))
                        .template();
                if (reason.isEmpty()
                        && !request.getVolumeCapabilitiesList().stream().allMatch(AccessPolicy::readOnly)) {
                    reason = Optional.of("volume " + id + " is a reader set: read-only on every node");
                }
            } else {
                disk = catalog.get(volume(id)).orElseThrow(() -> notFound("volume %s does not exist", id));
                if (reason.isEmpty()
                        && DiskSpec.READ_ONLY_MANY.equals(disk.accessMode())
                        && !request.getVolumeCapabilitiesList().stream().allMatch(AccessPolicy::readOnly)) {
                    reason = Optional.of("volume " + id + " is a READ_ONLY_MANY disk: read-only on every node");
                }
            }
            if (reason.isEmpty() && !request.getMutableParamsMap().isEmpty()) {
                reason = mutableProblem(request.getMutableParamsMap(), disk);
            }
            if (reason.isEmpty() && !request.getParametersMap().isEmpty()) {
                StorageClassParameters.Checked params =
                        StorageClassParameters.check(request.getParametersMap(), project, defaultImage);
                reason = params.problem().or(() -> provisioner.mismatch(disk, params.parameters()));
            }
            if (reason.isPresent()) {
                return ValidateVolumeCapabilitiesResponse.newBuilder()
                        .setMessage(reason.get())
                        .build();
            }
            return ValidateVolumeCapabilitiesResponse.newBuilder()
                    .setConfirmed(ValidateVolumeCapabilitiesResponse.Confirmed.newBuilder()
                            .putAllVolumeContext(request.getVolumeContextMap())
                            .addAllVolumeCapabilities(request.getVolumeCapabilitiesList())
                            .putAllParameters(request.getParametersMap())
                            .putAllMutableParams(request.getMutableParamsMap()))
                    .build();
        });
    }

    @Override
    public void listVolumes(ListVolumesRequest request, StreamObserver<ListVolumesResponse> observer) {
        Rpc.bounded(observer, () -> catalog.list(request.getMaxEntries(), request.getStartingToken()));
    }

    @Override
    public void controllerGetVolume(
            ControllerGetVolumeRequest request, StreamObserver<ControllerGetVolumeResponse> observer) {
        Rpc.bounded(observer, () -> {
            String id = require(request.getVolumeId(), "volume_id");
            Optional<ReaderSetId> set = ReaderSetId.parse(id);
            if (set.isPresent()) {
                ReaderSets.View view =
                        readerSets.get(set.get()).orElseThrow(() -> notFound("volume %s does not exist", id));
                return ControllerGetVolumeResponse.newBuilder()
                        .setVolume(Volumes.volume(view))
                        .setStatus(ControllerGetVolumeResponse.VolumeStatus.newBuilder()
                                .addAllPublishedNodeIds(Volumes.publishedNodeIds(view))
                                .setVolumeCondition(Volumes.condition(view)))
                        .build();
            }
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
    public void controllerExpandVolume(
            ControllerExpandVolumeRequest request, StreamObserver<ControllerExpandVolumeResponse> observer) {
        Rpc.unaryAsync(observer, () -> {
            String id = require(request.getVolumeId(), "volume_id");
            if (!request.hasCapacityRange()) {
                throw invalidArgument("capacity_range is required");
            }
            if (request.hasVolumeCapability()) {
                requireCapability(request.getVolumeCapability(), true, "volume_capability");
            }
            if (ReaderSetId.parse(id).isPresent()) {
                throw CsiErrors.failedPrecondition(
                        "volume %s is a reader set: read-only copies of one image, never grown", id);
            }
            DiskRef ref = volume(id);
            boolean block = request.hasVolumeCapability()
                    && request.getVolumeCapability().getAccessTypeCase() == VolumeCapability.AccessTypeCase.BLOCK;
            return inFlight.holding(
                            id,
                            "ControllerExpandVolume",
                            () -> provisioner.expandAsync(ref, request.getCapacityRange()))
                    .thenApply(sizeGb -> ControllerExpandVolumeResponse.newBuilder()
                            .setCapacityBytes(sizeGb * VolumeSize.GIB)
                            .setNodeExpansionRequired(!block)
                            .build());
        });
    }

    /**
     * ControllerModifyVolume: the VolumeAttributesClass's {@code provisioned-iops} / {@code provisioned-throughput}
     * on a Hyperdisk, through {@code disks.update}; any other parameter is INVALID_ARGUMENT naming it. Serialised
     * with every other call on the volume ({@link InFlight}: an attach in flight makes it ABORTED, and it makes a
     * publish ABORTED while it runs).
     */
    @Override
    public void controllerModifyVolume(
            ControllerModifyVolumeRequest request, StreamObserver<ControllerModifyVolumeResponse> observer) {
        Rpc.unaryAsync(observer, () -> {
            String id = require(request.getVolumeId(), "volume_id");
            // no parameters (a class without any) change nothing: the volume must exist, nothing is sent
            MutableParameters wanted = MutableParameters.parse(request.getMutableParametersMap(), "mutable_parameters");
            DiskRef disk = volume(id);
            return inFlight.holding(id, "ControllerModifyVolume", () -> modifier.modifyAsync(disk, wanted))
                    .thenApply(done -> ControllerModifyVolumeResponse.getDefaultInstance());
        });
    }

    /** Why {@code disk} cannot have these mutable parameters, or empty (ValidateVolumeCapabilities). */
    private static Optional<String> mutableProblem(java.util.Map<String, String> parameters, Disk disk) {
        try {
            return MutableParameters.parse(parameters, "mutable_parameters").unsupportedBy(disk.type());
        } catch (dev.imagedisk.csi.server.CsiFailure invalid) {
            return Optional.of(invalid.getMessage());
        }
    }

    @Override
    public void controllerGetCapabilities(
            ControllerGetCapabilitiesRequest request, StreamObserver<ControllerGetCapabilitiesResponse> observer) {
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
