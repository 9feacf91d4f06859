package dev.imagedisk.csi.controller;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagedisk.csi.contract.GceNames;

/**
 * The description the driver writes on each disk: JSON naming the CSI request it was created for and, when
 * the provisioner passes them, the PVC and PV, e.g.
 * {@code {"imagedisk.csi.dev/volume-name":"pvc-…","kubernetes.io/created-for/pvc/name":"data",…}}.
 */
public final class DiskDescription {
    public static final String VOLUME_NAME = "imagedisk.csi.dev/volume-name";
    public static final String PVC_NAME = "kubernetes.io/created-for/pvc/name";
    public static final String PVC_NAMESPACE = "kubernetes.io/created-for/pvc/namespace";
    public static final String PV_NAME = "kubernetes.io/created-for/pv/name";

    private static final ObjectMapper JSON = new ObjectMapper();

    private DiskDescription() {}

    /**
     * The description; at most {@link GceNames#MAX_DESCRIPTION_LENGTH} characters (the PVC and PV names are
     * left out in the unlikely case that they would not fit).
     */
    public static String of(String requestName, StorageClassParameters p) {
        ObjectNode n = JSON.createObjectNode();
        n.put(VOLUME_NAME, requestName);
        String bare = write(n);
        if (p.pvcName() != null) {
            n.put(PVC_NAME, p.pvcName());
        }
        if (p.pvcNamespace() != null) {
            n.put(PVC_NAMESPACE, p.pvcNamespace());
        }
        if (p.pvName() != null) {
            n.put(PV_NAME, p.pvName());
        }
        String full = write(n);
        return full.length() <= GceNames.MAX_DESCRIPTION_LENGTH ? full : bare;
    }

    /** A reader set's layout, in each of its disks' descriptions. */
    public static final String SET_ZONES = "imagedisk.csi.dev/reader-set-zones";

    public static final String SET_MAX_READERS = "imagedisk.csi.dev/max-readers-per-disk";
    public static final String SET_KMS_KEY = "imagedisk.csi.dev/disk-encryption-kms-key";
    public static final String SET_IOPS = "imagedisk.csi.dev/provisioned-iops";
    public static final String SET_THROUGHPUT = "imagedisk.csi.dev/provisioned-throughput";

    /**
     * What every disk of a reader set records, so any one of them is enough to make the set's next disk: the zones
     * the set may serve, the readers one disk serves, and what the disk type takes at creation.
     */
    public record SetLayout(
            java.util.List<String> zones,
            int maxReaders,
            String kmsKey,
            Long provisionedIops,
            Long provisionedThroughput) {
        public SetLayout {
            zones = java.util.List.copyOf(zones);
        }
    }

    /** The description of a reader set's disk: {@link #of} plus the set's layout. */
    public static String ofReaderSet(String requestName, StorageClassParameters p, SetLayout layout) {
        ObjectNode n = (ObjectNode) read(of(requestName, p));
        n.put(SET_ZONES, String.join(",", layout.zones()));
        n.put(SET_MAX_READERS, layout.maxReaders());
        if (layout.kmsKey() != null) {
            n.put(SET_KMS_KEY, layout.kmsKey());
        }
        if (layout.provisionedIops() != null) {
            n.put(SET_IOPS, layout.provisionedIops());
        }
        if (layout.provisionedThroughput() != null) {
            n.put(SET_THROUGHPUT, layout.provisionedThroughput());
        }
        return write(n);
    }

    /** The reader set layout a description records, or empty when it records none. */
    public static java.util.Optional<SetLayout> setLayout(String description) {
        JsonNode n = description == null ? null : read(description);
        if (n == null || !n.hasNonNull(SET_ZONES) || !n.hasNonNull(SET_MAX_READERS)) {
            return java.util.Optional.empty();
        }
        java.util.List<String> zones = java.util.Arrays.stream(
                        n.get(SET_ZONES).asText().split(","))
                .filter(z -> !z.isBlank())
                .toList();
        return java.util.Optional.of(new SetLayout(
                zones,
                n.get(SET_MAX_READERS).asInt(),
                n.hasNonNull(SET_KMS_KEY) ? n.get(SET_KMS_KEY).asText() : null,
                n.hasNonNull(SET_IOPS) ? n.get(SET_IOPS).asLong() : null,
                n.hasNonNull(SET_THROUGHPUT) ? n.get(SET_THROUGHPUT).asLong() : null));
    }

    private static JsonNode read(String description) {
        if (description.isBlank() || !description.trim().startsWith("{")) {
            return null;
        }
        try {
            return JSON.readTree(description);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    static String write(ObjectNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The request name recorded in a description, or null when there is none (not our description). */
    public static String requestName(String description) {
        if (description == null || description.isBlank() || !description.trim().startsWith("{")) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(description);
            JsonNode v = n.get(VOLUME_NAME);
            return v == null || !v.isTextual() ? null : v.asText();
        } catch (JsonProcessingException e) {
            return null;
        }
    }
}
