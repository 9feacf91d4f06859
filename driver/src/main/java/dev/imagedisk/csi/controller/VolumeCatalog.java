package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.aborted;
import static dev.imagedisk.csi.server.CsiErrors.invalidArgument;

import csi.v1.ListVolumesResponse;
import dev.imagedisk.csi.cloud.ComputeCloud;
import dev.imagedisk.csi.cloud.Disk;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.contract.VolumeId;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads volumes: one by id, and all of this driver's disks (labelled {@code imagedisk-csi=managed}) page by
 * page. Pages are in volume id order and a {@code next_token} is the id of the first volume of the next
 * page, so a token stays valid when volumes are added or deleted between pages.
 */
public final class VolumeCatalog {
    private final ComputeCloud cloud;

    public VolumeCatalog(ComputeCloud cloud) {
        this.cloud = cloud;
    }

    public Optional<Disk> get(DiskRef ref) {
        return cloud.getDisk(ref);
    }

    public ListVolumesResponse list(int maxEntries, String startingToken) {
        if (maxEntries < 0) {
            throw invalidArgument("max_entries must not be negative: %d", maxEntries);
        }
        String start = startingToken == null ? "" : startingToken;
        if (!start.isEmpty() && VolumeId.parse(start).isEmpty()) {
            throw aborted("starting_token \"%s\" is not a token this driver issued", start);
        }
        List<Disk> disks = cloud.listDisks(Map.of(Keys.MANAGED_LABEL_KEY, Keys.MANAGED_LABEL_VALUE));
        List<Disk> sorted = disks.stream()
                .filter(d -> d.ref().path().compareTo(start) >= 0)
                .sorted(Comparator.comparing(d -> d.ref().path()))
                .toList();
        int n = maxEntries == 0 ? sorted.size() : Math.min(maxEntries, sorted.size());
        ListVolumesResponse.Builder response = ListVolumesResponse.newBuilder();
        for (Disk d : sorted.subList(0, n)) {
            response.addEntries(ListVolumesResponse.Entry.newBuilder()
                    .setVolume(Volumes.volume(d))
                    .setStatus(ListVolumesResponse.VolumeStatus.newBuilder()
                            .addAllPublishedNodeIds(Volumes.publishedNodeIds(d))
                            .setVolumeCondition(Volumes.condition(d))));
        }
        if (n < sorted.size()) {
            response.setNextToken(sorted.get(n).ref().path());
        }
        return response.build();
    }
}
