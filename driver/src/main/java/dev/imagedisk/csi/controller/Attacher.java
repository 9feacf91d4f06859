package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.alreadyExists;
import static dev.imagedisk.csi.server.CsiErrors.failedPrecondition;
import static dev.imagedisk.csi.server.CsiErrors.notFound;

import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.ComputeCloud;
import dev.imagedisk.csi.cloud.Disk;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.cloud.Instance;
import dev.imagedisk.csi.cloud.InstanceRef;
import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.common.Futures;
import dev.imagedisk.csi.contract.Keys;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * Attaches disks to nodes' VMs and detaches them, idempotently. The device name is the disk name, so the
 * node finds the disk at {@code /dev/disk/by-id/google-<deviceName>}; ControllerPublishVolume hands it
 * over in the publish context under {@link Keys#PUBLISH_DEVICE_NAME}.
 */
public final class Attacher {
    private final ComputeCloud cloud;

    public Attacher(ComputeCloud cloud) {
        this.cloud = cloud;
    }

    /**
     * Attaches {@code diskRef} to {@code node} in the given mode; returns the publish context. The disk is not
     * read first: Compute Engine refuses to attach a missing disk (notFound) or one in use elsewhere
     * (resourceInUseByAnotherResource), and only then is the disk read, to say where it is attached. A
     * publish costs instances.get, instances.attachDisk and the operation wait, which holds no thread.
     */
    public CompletableFuture<Map<String, String>> publishAsync(DiskRef diskRef, InstanceRef node, boolean readOnly) {
        return Futures.compose(() -> {
            Instance instance = cloud.getInstance(node).orElseThrow(() -> notFound("node %s does not exist", node));
            Optional<Instance.AttachedDisk> here = instance.attachment(diskRef);
            if (here.isPresent()) {
                return CompletableFuture.completedFuture(alreadyAttached(here.get(), diskRef, node, readOnly));
            }
            if (!diskRef.zone().equals(node.zone()) || !diskRef.project().equals(node.project())) {
                throw failedPrecondition(
                        "volume %s is in zone %s; node %s is in zone %s: a zonal disk can only be"
                                + " attached in its own zone",
                        diskRef, diskRef.zone(), node, node.zone());
            }
            String deviceName = diskRef.name();
            return cloud.attachDiskAsync(node, diskRef, deviceName, readOnly)
                    .handle(CallDeadline.current().bind((done, failure) -> {
                        if (failure == null) {
                            return Map.of(Keys.PUBLISH_DEVICE_NAME, deviceName);
                        }
                        Throwable f = Futures.unwrap(failure);
                        if (!(f instanceof CloudException e)) {
                            throw Futures.rethrow(f);
                        }
                        return attachFailed(e, diskRef, node, readOnly);
                    }));
        });
    }

    private Map<String, String> attachFailed(CloudException e, DiskRef diskRef, InstanceRef node, boolean readOnly) {
        if (e.is(CloudException.Kind.NOT_FOUND) && cloud.getDisk(diskRef).isEmpty()) {
            throw notFound("volume %s does not exist", diskRef);
        }
        if (e.is(CloudException.Kind.IN_USE)) {
            // maybe a concurrent attach to this very node won; else it is attached elsewhere
            Optional<Instance.AttachedDisk> now = cloud.getInstance(node).flatMap(i -> i.attachment(diskRef));
            if (now.isPresent()) {
                return alreadyAttached(now.get(), diskRef, node, readOnly);
            }
            Optional<Disk> disk = cloud.getDisk(diskRef);
            if (disk.isEmpty()) {
                throw notFound("volume %s does not exist", diskRef);
            }
            List<InstanceRef> others = new ArrayList<>(disk.get().users());
            others.remove(node);
            if (!others.isEmpty()) {
                throw failedPrecondition(
                        "volume %s is attached to %s; it can be attached read-write to one" + " node only",
                        diskRef, paths(others));
            }
            throw failedPrecondition("volume %s is in use elsewhere: %s", diskRef, e.getMessage());
        }
        throw e;
    }

    private static Map<String, String> alreadyAttached(
            Instance.AttachedDisk attached, DiskRef disk, InstanceRef node, boolean readOnly) {
        if (attached.readOnly() != readOnly) {
            throw alreadyExists(
                    "volume %s is already attached to node %s %s; asked for %s",
                    disk,
                    node,
                    attached.readOnly() ? "read-only" : "read-write",
                    readOnly ? "read-only" : "read-write");
        }
        return Map.of(Keys.PUBLISH_DEVICE_NAME, attached.deviceName());
    }

    /**
     * Detaches {@code diskRef} from {@code node}, or from every node when {@code node} is null. A missing
     * disk, node or attachment is already detached. The detach operations are awaited (one after the other)
     * without holding the thread.
     */
    public CompletableFuture<Void> unpublishAsync(DiskRef diskRef, InstanceRef node) {
        return Futures.compose(() -> {
            List<InstanceRef> nodes;
            if (node != null) {
                nodes = List.of(node);
            } else {
                Optional<Disk> disk = cloud.getDisk(diskRef);
                if (disk.isEmpty()) {
                    return CompletableFuture.completedFuture(null);
                }
                nodes = disk.get().users();
            }
            CallDeadline call = CallDeadline.current();
            CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
            for (InstanceRef n : nodes) {
                chain = chain.thenCompose(v -> CallDeadline.within(call, () -> detach(diskRef, n)));
            }
            return chain;
        });
    }

    private CompletableFuture<Void> detach(DiskRef diskRef, InstanceRef node) {
        return Futures.compose(() -> {
            Optional<Instance.AttachedDisk> attached = cloud.getInstance(node).flatMap(i -> i.attachment(diskRef));
            if (attached.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            return Removal.goneIsDone(
                    cloud.detachDiskAsync(node, attached.get().deviceName()),
                    // detached meanwhile: "No attached disk found with device name"
                    e -> e.is(CloudException.Kind.INVALID)
                            && cloud.getInstance(node)
                                    .flatMap(i -> i.attachment(diskRef))
                                    .isEmpty());
        });
    }

    private static String paths(List<InstanceRef> refs) {
        return refs.stream().map(InstanceRef::path).collect(Collectors.joining(", "));
    }
}
