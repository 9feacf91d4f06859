package dev.imagedisk.csisanity;

import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.CreateVolumeResponse;
import csi.v1.DeleteVolumeRequest;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import dev.imagedisk.csi.requests.CsiRequests;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * What one test made, so that it is undone after the test whatever happened: node publications, stagings,
 * controller publications, volumes, and the directories the test made under the kubelet dir (as kubelet
 * would). Everything is registered before the call that makes it, and cleanup tolerates NOT_FOUND, so a
 * half-done step is undone too. Cleanup failures fail the test.
 */
final class Resources {
    private record Publication(String volumeId, String nodeId) {}

    private record PathUse(String volumeId, Path path) {}

    /** A volume as a pod sees it: created, attached, staged and published. */
    record Mounted(
            Volume volume, Map<String, String> publishContext, VolumeCapability capability, Path staging, Path target) {
        String id() {
            return volume.getVolumeId();
        }
    }

    private final Csi csi;
    private final Set<String> volumes = new LinkedHashSet<>();
    private final List<Publication> publications = new ArrayList<>();
    private final List<PathUse> stagings = new ArrayList<>();
    private final List<PathUse> targets = new ArrayList<>();
    private final List<Path> dirs = new ArrayList<>();

    Resources(Csi csi) {
        this.csi = csi;
    }

    // ----------------------------------------------------------------------------- requests

    /** A CreateVolume request as the external-provisioner sends it for a 10 GiB RWO claim on this node. */
    CreateVolumeRequest.Builder createRequest(String what) {
        CreateVolumeRequest.Builder b = CsiRequests.createVolume(csi.volumeName(what), csi.image, CsiRequests.RWO)
                .setCapacityRange(CsiRequests.atLeast(Csi.SIZE))
                .putParameters(CsiRequests.TYPE, "pd-balanced");
        if (csi.nodeTopology.getSegmentsCount() > 0) {
            b.setAccessibilityRequirements(CsiRequests.requiring(csi.nodeTopology));
        }
        return b;
    }

    // --------------------------------------------------------------------- tracked calls

    Volume create(String what) {
        return createVolume(createRequest(what).build()).getVolume();
    }

    /** CreateVolume (from any thread); the volume is deleted after the test. */
    CreateVolumeResponse createVolume(CreateVolumeRequest request) {
        CreateVolumeResponse r = csi.controller().createVolume(request);
        track(r.getVolume().getVolumeId());
        return r;
    }

    synchronized void track(String volumeId) {
        if (!volumeId.isEmpty()) {
            volumes.add(volumeId);
            csi.createdVolumeIds.add(volumeId);
        }
    }

    /** ControllerPublishVolume to this node; unpublished after the test. */
    Map<String, String> controllerPublish(Volume v, VolumeCapability cap, boolean readOnly) {
        return controllerPublish(CsiRequests.controllerPublish(v, csi.nodeId, cap)
                .setReadonly(readOnly)
                .build());
    }

    Map<String, String> controllerPublish(ControllerPublishVolumeRequest request) {
        trackPublication(request.getVolumeId(), request.getNodeId());
        return csi.controller().controllerPublishVolume(request).getPublishContextMap();
    }

    synchronized void trackPublication(String volumeId, String nodeId) {
        Publication p = new Publication(volumeId, nodeId);
        if (!volumeId.isEmpty() && !publications.contains(p)) {
            publications.add(p);
        }
    }

    void stage(Volume v, Map<String, String> publishContext, Path staging, VolumeCapability cap) {
        stage(CsiRequests.nodeStage(v, publishContext, staging, cap).build());
    }

    void stage(NodeStageVolumeRequest request) {
        trackStaging(request.getVolumeId(), Path.of(request.getStagingTargetPath()));
        csi.node().nodeStageVolume(request);
    }

    synchronized void trackStaging(String volumeId, Path staging) {
        PathUse u = new PathUse(volumeId, staging);
        if (!stagings.contains(u)) {
            stagings.add(u);
        }
    }

    void publish(
            Volume v,
            Map<String, String> publishContext,
            Path staging,
            Path target,
            VolumeCapability cap,
            boolean readOnly) {
        publish(CsiRequests.nodePublish(v, publishContext, staging, target, cap)
                .setReadonly(readOnly)
                .build());
    }

    void publish(NodePublishVolumeRequest request) {
        trackTarget(request.getVolumeId(), Path.of(request.getTargetPath()));
        csi.node().nodePublishVolume(request);
    }

    synchronized void trackTarget(String volumeId, Path target) {
        PathUse u = new PathUse(volumeId, target);
        if (!targets.contains(u)) {
            targets.add(u);
        }
    }

    /** Create, attach, stage and publish read-write, as for a pod of a StatefulSet. */
    Mounted mountNew(String what) {
        return mountNew(what, CsiRequests.RWO);
    }

    Mounted mountNew(String what, VolumeCapability cap) {
        Volume v = createVolume(createRequest(what)
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(cap)
                        .build())
                .getVolume();
        Map<String, String> ctx = controllerPublish(v, cap, false);
        Path staging = newStagingDir();
        stage(v, ctx, staging, cap);
        Path target = newTargetPath();
        publish(v, ctx, staging, target, cap, false);
        return new Mounted(v, ctx, cap, staging, target);
    }

    // --------------------------------------------------------------------------- paths

    /** A staging directory as kubelet makes it (created; removed after the test). */
    synchronized Path newStagingDir() {
        Path top = csi.kubeletDir.resolve("plugins/kubernetes.io/csi/sanity-" + csi.runId + "/" + UUID.randomUUID());
        Path staging = top.resolve("globalmount");
        mkdirs(staging);
        dirs.add(top);
        return staging;
    }

    /** A target path whose parent exists, as kubelet hands it over; the plugin makes the last element. */
    synchronized Path newTargetPath() {
        String pod = UUID.randomUUID().toString();
        Path top = csi.kubeletDir.resolve("pods/" + pod);
        Path parent = top.resolve("volumes/kubernetes.io~csi/pv-" + csi.runId);
        mkdirs(parent);
        dirs.add(top);
        return parent.resolve("mount");
    }

    /** Any directory under the kubelet dir the test wants (removed after the test). */
    synchronized Path newDir(String what) {
        Path top = csi.kubeletDir.resolve("sanity-" + csi.runId + "-" + what + "-" + UUID.randomUUID());
        mkdirs(top);
        dirs.add(top);
        return top;
    }

    private static void mkdirs(Path p) {
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create " + p + ": " + e, e);
        }
    }

    // ------------------------------------------------------------------------- cleanup

    /** Undoes everything in reverse; fails listing whatever could not be undone. */
    synchronized void cleanup() {
        List<String> errors = new ArrayList<>();
        for (PathUse t : reversed(targets)) {
            undo(
                    errors,
                    "NodeUnpublishVolume " + t.volumeId() + " " + t.path(),
                    () -> csi.node()
                            .nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                                    .setVolumeId(t.volumeId())
                                    .setTargetPath(t.path().toString())
                                    .build()));
        }
        for (PathUse s : reversed(stagings)) {
            undo(
                    errors,
                    "NodeUnstageVolume " + s.volumeId() + " " + s.path(),
                    () -> csi.node()
                            .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                                    .setVolumeId(s.volumeId())
                                    .setStagingTargetPath(s.path().toString())
                                    .build()));
        }
        for (Publication p : reversed(publications)) {
            undo(
                    errors,
                    "ControllerUnpublishVolume " + p.volumeId() + " from " + p.nodeId(),
                    () -> csi.controller()
                            .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                                    .setVolumeId(p.volumeId())
                                    .setNodeId(p.nodeId())
                                    .build()));
        }
        for (String id : reversed(new ArrayList<>(volumes))) {
            undo(
                    errors,
                    "DeleteVolume " + id,
                    () -> csi.controller()
                            .deleteVolume(DeleteVolumeRequest.newBuilder()
                                    .setVolumeId(id)
                                    .build()));
        }
        for (Path d : reversed(dirs)) {
            List<Mounts.Mount> left = Mounts.under(d);
            if (!left.isEmpty()) {
                errors.add("still mounted under " + d + ": " + left);
                continue;
            }
            try {
                deleteTree(d);
            } catch (IOException e) {
                errors.add("cannot remove " + d + ": " + e);
            }
        }
        targets.clear();
        stagings.clear();
        publications.clear();
        volumes.clear();
        dirs.clear();
        if (!errors.isEmpty()) {
            throw new AssertionError("cleanup after the test failed:\n  " + String.join("\n  ", errors));
        }
    }

    /** Runs an undo step: OK or NOT_FOUND is done; ABORTED (something still in flight) is retried. */
    private static void undo(List<String> errors, String what, Supplier<?> call) {
        for (int attempt = 0; ; attempt++) {
            try {
                call.get();
                return;
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                if (code == Status.Code.NOT_FOUND) {
                    return;
                }
                if (code == Status.Code.ABORTED && attempt < 50) {
                    sleep(200);
                    continue;
                }
                errors.add(what + ": " + code + ": " + e.getStatus().getDescription());
                return;
            }
        }
    }

    private static <T> List<T> reversed(List<T> list) {
        List<T> r = new ArrayList<>(list);
        java.util.Collections.reverse(r);
        return r;
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
