package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.invalidArgument;

import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.imagedisk.csi.cloud.DiskSpec;
import dev.imagedisk.csi.contract.AccessPolicy;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which disks can be shared read-only by several nodes, decided once for CreateVolume and the reader sets.
 *
 * <ul>
 *   <li>Shareable types and how many nodes one disk serves by default ({@code max-readers-per-disk}):
 *       {@code hyperdisk-ml} 2,500 (Compute Engine's documented limit); {@code pd-standard}, {@code pd-balanced},
 *       {@code pd-ssd} 10 (a conservative number: Compute Engine documents read-only sharing of these types but no
 *       limit; unconfirmed, hence a parameter). Any other type (pd-extreme, hyperdisk-balanced, -throughput,
 *       -extreme) cannot be shared read-only, and a MULTI_NODE_READER_ONLY volume of it is INVALID_ARGUMENT naming
 *       the types that can.
 *   <li>A {@code hyperdisk-ml} disk made from an image must be {@code READ_ONLY_MANY} (Compute Engine refuses other
 *       access modes), so a hyperdisk-ml volume is read-only: writer capabilities are INVALID_ARGUMENT.
 *   <li>Attaches to one {@code hyperdisk-ml} disk are paced at 100 per 30 s ({@link AttachPace}).
 * </ul>
 */
public final class SharedReadOnly {
    /** The shareable disk types and the nodes one disk of each serves unless {@code max-readers-per-disk} says. */
    public static final Map<String, Integer> DEFAULT_MAX_READERS =
            new TreeMap<>(Map.of("hyperdisk-ml", 2500, "pd-balanced", 10, "pd-ssd", 10, "pd-standard", 10));
    /** The most readers any type serves per disk (Hyperdisk ML). */
    public static final int MAX_READERS_LIMIT = 2500;

    public static final String HYPERDISK_ML = "hyperdisk-ml";

    private SharedReadOnly() {}

    /** What CreateVolume makes for a request, as far as read-only sharing goes. */
    public record Plan(String accessMode, boolean readerSet, int maxReaders) {}

    public static boolean shareable(String type) {
        return DEFAULT_MAX_READERS.containsKey(type);
    }

    /** Whether attaches to one disk of the type are paced (Hyperdisk ML: 100 per 30 s). */
    public static boolean paced(String type) {
        return HYPERDISK_ML.equals(type);
    }

    /** The shareable types, for messages: {@code hyperdisk-ml, pd-balanced, pd-ssd, pd-standard}. */
    public static String shareableTypes() {
        return String.join(", ", DEFAULT_MAX_READERS.keySet());
    }

    /**
     * Checks a CreateVolume's capabilities against its StorageClass parameters and says how the disk is made; throws
     * INVALID_ARGUMENT naming the field and the rule.
     *
     * @param clone whether the volume is a copy of another volume ({@code volume_content_source.volume})
     */
    public static Plan plan(StorageClassParameters params, List<VolumeCapability> caps, boolean clone) {
        String type = params.type();
        boolean multiReader = caps.stream().anyMatch(c -> c.getAccessMode().getMode() == Mode.MULTI_NODE_READER_ONLY);
        boolean allReadOnly = caps.stream().allMatch(AccessPolicy::readOnly);
        if (multiReader && !shareable(type)) {
            throw invalidArgument(
                    "volume_capabilities: MULTI_NODE_READER_ONLY needs a disk that several nodes can attach read-only,"
                            + " and disk type %s (StorageClass parameter \"type\") cannot be shared read-only; types"
                            + " that can: %s",
                    type, shareableTypes());
        }
        if (HYPERDISK_ML.equals(type) && !allReadOnly) {
            throw invalidArgument(
                    "volume_capabilities: a %s disk made from an image is READ_ONLY_MANY (Compute Engine allows no"
                            + " other access mode), so every capability must be read-only (SINGLE_NODE_READER_ONLY or"
                            + " MULTI_NODE_READER_ONLY)",
                    type);
        }
        String accessMode = HYPERDISK_ML.equals(type) ? DiskSpec.READ_ONLY_MANY : null;
        if (!params.readerSet()) {
            if (params.maxReadersPerDisk() != null) {
                throw invalidArgument(
                        "StorageClass parameter \"%s\" applies only with \"%s: %s\"",
                        StorageClassParameters.MAX_READERS_PER_DISK,
                        StorageClassParameters.REPLICAS,
                        StorageClassParameters.REPLICAS_ON_DEMAND);
            }
            return new Plan(accessMode, false, 0);
        }
        if (!multiReader || !allReadOnly) {
            throw invalidArgument(
                    "volume_capabilities: \"%s: %s\" makes a ReadOnlyMany volume; its capabilities must be"
                            + " MULTI_NODE_READER_ONLY (or other read-only modes), got %s",
                    StorageClassParameters.REPLICAS,
                    StorageClassParameters.REPLICAS_ON_DEMAND,
                    caps.stream().map(c -> c.getAccessMode().getMode().name()).toList());
        }
        if (clone) {
            throw invalidArgument(
                    "volume_content_source.volume: a \"%s: %s\" volume is made from an image (a StorageClass image or a"
                            + " snapshot), not cloned from a volume",
                    StorageClassParameters.REPLICAS, StorageClassParameters.REPLICAS_ON_DEMAND);
        }
        int defaultCap = DEFAULT_MAX_READERS.get(type);
        Integer asked = params.maxReadersPerDisk();
        if (asked != null && HYPERDISK_ML.equals(type) && asked > defaultCap) {
            throw invalidArgument(
                    "StorageClass parameter \"%s\": %d is more than %d, the most nodes a %s disk is attached to",
                    StorageClassParameters.MAX_READERS_PER_DISK, asked, defaultCap, type);
        }
        return new Plan(accessMode, true, asked != null ? asked : defaultCap);
    }
}
