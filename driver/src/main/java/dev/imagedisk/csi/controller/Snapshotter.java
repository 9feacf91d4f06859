package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.aborted;
import static dev.imagedisk.csi.server.CsiErrors.alreadyExists;
import static dev.imagedisk.csi.server.CsiErrors.internal;
import static dev.imagedisk.csi.server.CsiErrors.invalidArgument;
import static dev.imagedisk.csi.server.CsiErrors.notFound;
import static dev.imagedisk.csi.server.CsiErrors.unavailable;

import com.google.protobuf.Timestamp;
import csi.v1.ListSnapshotsResponse;
import csi.v1.Snapshot;
import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.ComputeCloud;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.cloud.Image;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.cloud.ImageSpec;
import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.common.Futures;
import dev.imagedisk.csi.contract.GceNames;
import dev.imagedisk.csi.contract.ImageId;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.contract.VolumeId;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots are global images. CreateSnapshot captures a volume's disk as an image ({@code images.insert} with
 * {@code sourceDisk}, crash-consistent while attached); the snapshot id is the image path. DeleteSnapshot deletes
 * only images this driver made (labelled {@code imagedisk-csi=managed}): any other image is someone's golden image
 * behind a pre-provisioned VolumeSnapshotContent and stays. ListSnapshots finds any image by id, and this
 * driver's images by source volume or all of them, page by page.
 */
public final class Snapshotter {
    private static final Logger LOG = LoggerFactory.getLogger(Snapshotter.class);

    /** A CreateSnapshot, checked. */
    public record CreateRequest(String name, VolumeId source, SnapshotParameters parameters) {}

    private final ComputeCloud cloud;
    private final String project;

    public Snapshotter(ComputeCloud cloud, String project) {
        this.cloud = cloud;
        this.project = project;
    }

    /**
     * The image for this snapshot: made now, or the matching one made by an earlier attempt; the image's operation
     * is awaited without holding the thread.
     */
    public CompletableFuture<Snapshot> createAsync(CreateRequest request) {
        return Futures.compose(() -> {
            ImageRef ref = ImageRef.image(project, GceNames.derive(request.name()));
            Optional<Image> existing = cloud.getImage(ref);
            if (existing.isPresent()) {
                return CompletableFuture.completedFuture(snapshot(matching(existing.get(), request), ref.path()));
            }
            DiskRef disk = DiskRef.of(request.source());
            if (cloud.getDisk(disk).isEmpty()) {
                throw notFound("source volume %s does not exist (source_volume_id)", request.source());
            }
            SnapshotParameters p = request.parameters();
            // forceCreate: the capture is taken while the volume may be attached read-write, as a crash would leave it
            ImageSpec spec = new ImageSpec(
                    ref,
                    disk,
                    p.family(),
                    p.storageLocations(),
                    p.imageLabels(),
                    ImageDescription.of(request.name(), request.source().path(), p),
                    true);
            return cloud.createImageAsync(spec, ref.path())
                    .handle(CallDeadline.current().bind((done, failure) -> {
                        if (failure != null) {
                            Throwable f = Futures.unwrap(failure);
                            if (!(f instanceof CloudException e && e.is(CloudException.Kind.ALREADY_EXISTS))) {
                                throw Futures.rethrow(f);
                            }
                            LOG.info("image {} exists already; checking it is snapshot {}", ref, request.name());
                        }
                        Image image = cloud.getImage(ref)
                                .orElseThrow(() ->
                                        unavailable("image %s disappeared right after it was created; retry", ref));
                        return snapshot(matching(image, request), ref.path());
                    }));
        });
    }

    /** ALREADY_EXISTS unless the image is this request's snapshot; INTERNAL when its capture failed. */
    private static Image matching(Image image, CreateRequest request) {
        String recorded = ImageDescription.snapshotName(image.description());
        if (!isManaged(image) || (recorded != null && !recorded.equals(request.name()))) {
            throw alreadyExists("image %s exists and is not snapshot \"%s\"", image.ref(), request.name());
        }
        if (!DiskRef.of(request.source()).equals(image.sourceDisk())) {
            throw alreadyExists(
                    "snapshot \"%s\" exists as image %s of volume %s, not of %s",
                    request.name(),
                    image.ref(),
                    image.sourceDisk() == null ? "(none)" : image.sourceDisk().path(),
                    request.source());
        }
        if ("FAILED".equals(image.status())) {
            throw internal(
                    "image %s of snapshot \"%s\" FAILED; delete the snapshot and take it again",
                    image.ref(), request.name());
        }
        return image;
    }

    /**
     * Deletes the image of a snapshot this driver made. An id that names no image, a family, or an image the
     * driver did not make is left alone (logged): the answer is OK either way. The image's operation is awaited
     * without holding the thread.
     */
    public CompletableFuture<Void> deleteAsync(String snapshotId) {
        return Futures.compose(() -> {
            Optional<ImageId> id = ImageId.parse(snapshotId);
            if (id.isEmpty()) {
                LOG.info(
                        "DeleteSnapshot {}: not an image path, so no snapshot of this driver; nothing to delete",
                        snapshotId);
                return CompletableFuture.completedFuture(null);
            }
            if (id.get().family()) {
                LOG.info(
                        "DeleteSnapshot {}: names an image family, which this driver never makes; not deleting"
                                + " any image of it",
                        snapshotId);
                return CompletableFuture.completedFuture(null);
            }
            ImageRef ref = ImageRef.image(id.get().project(), id.get().name());
            Optional<Image> image = cloud.getImage(ref);
            if (image.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            if (!isManaged(image.get())) {
                LOG.info(
                        "DeleteSnapshot {}: image {} was not made by this driver (no label {}={}); leaving it in"
                                + " place",
                        snapshotId,
                        ref,
                        Keys.MANAGED_LABEL_KEY,
                        Keys.MANAGED_LABEL_VALUE);
                return CompletableFuture.completedFuture(null);
            }
            return cloud.deleteImageAsync(ref).handle((done, failure) -> {
                if (failure != null) {
                    Throwable f = Futures.unwrap(failure);
                    if (!(f instanceof CloudException e && e.is(CloudException.Kind.NOT_FOUND))) {
                        throw Futures.rethrow(f);
                    }
                }
                return null;
            });
        });
    }

    /**
     * ListSnapshots: the one image {@code snapshotId} names (any image, made by this driver or not, or a family's
     * current image), else this driver's images; when {@code sourceVolumeId} is given too, only those made from it. Pages are in snapshot id
     * order and a {@code next_token} is the id of the first snapshot of the next page.
     */
    public ListSnapshotsResponse list(String snapshotId, String sourceVolumeId, int maxEntries, String startingToken) {
        if (maxEntries < 0) {
            throw invalidArgument("max_entries must not be negative: %d", maxEntries);
        }
        String start = startingToken == null ? "" : startingToken;
        if (!start.isEmpty() && ImageId.parse(start).isEmpty()) {
            throw aborted("starting_token \"%s\" is not a token this driver issued", start);
        }
        List<Snapshot> all = new ArrayList<>();
        Optional<DiskRef> source = Optional.empty();
        if (!sourceVolumeId.isEmpty()) {
            Optional<VolumeId> v = VolumeId.parse(sourceVolumeId);
            if (v.isEmpty()) {
                return ListSnapshotsResponse.getDefaultInstance();
            }
            source = Optional.of(DiskRef.of(v.get()));
        }
        if (!snapshotId.isEmpty()) {
            Optional<DiskRef> of = source;
            find(snapshotId)
                    .filter(i -> of.isEmpty() || of.get().equals(i.sourceDisk()))
                    .ifPresent(i -> all.add(snapshot(i, snapshotId)));
        } else {
            for (Image i : cloud.listImages(project, Map.of(Keys.MANAGED_LABEL_KEY, Keys.MANAGED_LABEL_VALUE))) {
                if (source.isEmpty() || source.get().equals(i.sourceDisk())) {
                    all.add(snapshot(i, i.ref().path()));
                }
            }
        }
        List<Snapshot> sorted = all.stream()
                .filter(s -> s.getSnapshotId().compareTo(start) >= 0)
                .sorted(Comparator.comparing(Snapshot::getSnapshotId))
                .toList();
        int n = maxEntries == 0 ? sorted.size() : Math.min(maxEntries, sorted.size());
        ListSnapshotsResponse.Builder response = ListSnapshotsResponse.newBuilder();
        for (Snapshot s : sorted.subList(0, n)) {
            response.addEntries(ListSnapshotsResponse.Entry.newBuilder().setSnapshot(s));
        }
        if (n < sorted.size()) {
            response.setNextToken(sorted.get(n).getSnapshotId());
        }
        return response.build();
    }

    /** The image a snapshot id names (a family: its newest usable image), or empty. */
    private Optional<Image> find(String snapshotId) {
        Optional<ImageId> id = ImageId.parse(snapshotId);
        if (id.isEmpty()) {
            return Optional.empty();
        }
        ImageRef ref =
                new ImageRef(id.get().project(), id.get().name(), id.get().family());
        return ref.family() ? cloud.getImageFromFamily(ref) : cloud.getImage(ref);
    }

    static boolean isManaged(Image image) {
        return Keys.MANAGED_LABEL_VALUE.equals(image.labels().get(Keys.MANAGED_LABEL_KEY));
    }

    /** The CSI snapshot of an image, under the id it was asked by (an image or a family path). */
    static Snapshot snapshot(Image image, String snapshotId) {
        Snapshot.Builder s = Snapshot.newBuilder()
                .setSnapshotId(snapshotId)
                .setSizeBytes(image.diskSizeGb() * VolumeSize.GIB)
                .setReadyToUse(image.ready());
        if (image.sourceDisk() != null) {
            s.setSourceVolumeId(image.sourceDisk().path());
        }
        if (image.creationTimestamp() != null) {
            try {
                OffsetDateTime t = OffsetDateTime.parse(image.creationTimestamp());
                s.setCreationTime(
                        Timestamp.newBuilder().setSeconds(t.toEpochSecond()).setNanos(t.getNano()));
            } catch (DateTimeParseException e) {
                LOG.debug("image {}: unreadable creationTimestamp {}", image.ref(), image.creationTimestamp());
            }
        }
        return s.build();
    }
}
