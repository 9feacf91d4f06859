package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.aborted;
import static dev.imagedisk.csi.server.CsiErrors.invalidArgument;

import csi.v1.ListVolumesResponse;
import dev.imagedisk.csi.cloud.ComputeCloud;
import dev.imagedisk.csi.cloud.Disk;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.contract.VolumeId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads volumes: one by id, and all of this driver's disks (labelled {@code imagedisk-csi=managed}) page by
 * page, a reader set ({@link ReaderSets}) as one volume whatever its disks. Pages are in volume id order and a {@code next_token} is the id of the first volume of the next
 * page, so a token stays valid when volumes are added or deleted between pages.
 */
public final class VolumeCatalog {
    private final ComputeCloud cloud;
    private final String project;

    public VolumeCatalog(ComputeCloud cloud, String project) {
        this.cloud = cloud;
        this.project = project;
    }

    public Optional<Disk> get(DiskRef ref) {
        return cloud.getDisk(ref);
    }

    public ListVolumesResponse list(int maxEntries, String startingToken) {
        if (maxEntries < 0) {
            throw invalidArgument("max_entries must not be negative: %d", maxEntries);
        }
        String start = startingToken == null ? "" : startingToken;
        if (!start.isEmpty() && !VolumeId.isVolume(start)) {
            throw aborted("starting_token \"%s\" is not a token this driver issued", start);
        }
        List<Disk> disks = cloud.listDisks(Map.of(Keys.MANAGED_LABEL_KEY, Keys.MANAGED_LABEL_VALUE));
        // one entry per volume: a plain disk, or a reader set (all its disks as one volume)
        List<ListVolumesResponse.Entry> entries = new ArrayList<>();
        for (Disk d : disks) {
            if (!d.labels().containsKey(Keys.READER_SET_LABEL_KEY)) {
                entries.add(ListVolumesResponse.Entry.newBuilder()
                        .setVolume(Volumes.volume(d))
                        .setStatus(ListVolumesResponse.VolumeStatus.newBuilder()
                                .addAllPublishedNodeIds(Volumes.publishedNodeIds(d))
                                .setVolumeCondition(Volumes.condition(d)))
                        .build());
            }
        }
        for (ReaderSets.View set : ReaderSets.group(project, disks)) {
            entries.add(ListVolumesResponse.Entry.newBuilder()
                    .setVolume(Volumes.volume(set))
                    .setStatus(ListVolumesResponse.VolumeStatus.newBuilder()
                            .addAllPublishedNodeIds(Volumes.publishedNodeIds(set))
                            .setVolumeCondition(Volumes.condition(set)))
                    .build());
        }
        List<ListVolumesResponse.Entry> sorted = entries.stream()
                .filter(e -> e.getVolume().getVolumeId().compareTo(start) >= 0)
                .sorted(Comparator.comparing(e -> e.getVolume().getVolumeId()))
                .toList();
        int n = maxEntries == 0 ? sorted.size() : Math.min(maxEntries, sorted.size());
        ListVolumesResponse.Builder response = ListVolumesResponse.newBuilder().addAllEntries(sorted.subList(0, n));
        if (n < sorted.size()) {
            response.setNextToken(sorted.get(n).getVolume().getVolumeId());
        }
        return response.build();
    }
}
