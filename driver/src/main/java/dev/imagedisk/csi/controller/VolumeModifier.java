package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.invalidArgument;
import static dev.imagedisk.csi.server.CsiErrors.notFound;

import dev.imagedisk.csi.cloud.ComputeCloud;
import dev.imagedisk.csi.cloud.Disk;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.common.Futures;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ControllerModifyVolume's logic: changes a Hyperdisk's provisioned IOPS and/or throughput to the
 * VolumeAttributesClass's values. Idempotent: a disk that has the values already is left alone (no
 * {@code disks.update}, which Compute Engine limits in how often it may change a disk). The caller serialises calls
 * per volume, so a modification and an attach of one volume never overlap.
 */
public final class VolumeModifier {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeModifier.class);

    private final ComputeCloud cloud;

    public VolumeModifier(ComputeCloud cloud) {
        this.cloud = cloud;
    }

    /**
     * Completes when the disk has {@code wanted}. NOT_FOUND for a disk that does not exist; INVALID_ARGUMENT when
     * its type takes no such value (naming the type), or when Compute Engine refuses the value for its size.
     */
    public CompletableFuture<Void> modifyAsync(DiskRef ref, MutableParameters wanted) {
        return Futures.compose(() -> {
            Disk disk = cloud.getDisk(ref).orElseThrow(() -> notFound("volume %s does not exist", ref));
            wanted.unsupportedBy(disk.type()).ifPresent(reason -> {
                throw invalidArgument("mutable_parameters: %s", reason);
            });
            MutableParameters change = wanted.missingFrom(disk);
            if (change.isEmpty()) {
                LOG.info("volume {} has {} already", ref, wanted.asMap());
                return CompletableFuture.completedFuture(null);
            }
            LOG.info("volume {}: provisioned performance {} -> {}", ref, current(disk), change.asMap());
            return cloud.updateDiskPerformanceAsync(ref, change.iops(), change.throughput());
        });
    }

    private static String current(Disk d) {
        return "{iops=" + d.provisionedIops() + ", throughput=" + d.provisionedThroughput() + "}";
    }
}
