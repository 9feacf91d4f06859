package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.invalidArgument;

import dev.imagedisk.csi.contract.GceNames;
import dev.imagedisk.csi.contract.Keys;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The VolumeSnapshotClass parameters of a CreateSnapshot, checked. Keys are case-insensitive; an unknown key is
 * refused, naming it. A snapshot is always a global image ({@code snapshot-type: images}).
 *
 * @param family the image family the new image joins, or null
 * @param storageLocations where the image is stored (empty: Compute Engine's default)
 * @param labels user labels for the image (the driver's own is added by {@link #imageLabels()})
 * @param snapshotName the VolumeSnapshot's name (from the external-snapshotter), or null
 * @param snapshotNamespace the VolumeSnapshot's namespace, or null
 * @param contentName the VolumeSnapshotContent's name, or null
 */
public record SnapshotParameters(
        String family,
        List<String> storageLocations,
        Map<String, String> labels,
        String snapshotName,
        String snapshotNamespace,
        String contentName) {

    public static final String IMAGE_FAMILY = "image-family";
    public static final String STORAGE_LOCATIONS = "storage-locations";
    public static final String LABELS = "labels";
    public static final String SNAPSHOT_TYPE = "snapshot-type";
    public static final String SNAPSHOT_NAME = "csi.storage.k8s.io/volumesnapshot/name";
    public static final String SNAPSHOT_NAMESPACE = "csi.storage.k8s.io/volumesnapshot/namespace";
    public static final String CONTENT_NAME = "csi.storage.k8s.io/volumesnapshotcontent/name";
    /** The only snapshot type: a global image. */
    public static final String TYPE_IMAGES = "images";
    /** Kubernetes object names are at most this long (DNS subdomains). */
    static final int MAX_OBJECT_NAME = 253;

    private static final Set<String> KNOWN = Set.of(
            IMAGE_FAMILY, STORAGE_LOCATIONS, LABELS, SNAPSHOT_TYPE, SNAPSHOT_NAME, SNAPSHOT_NAMESPACE, CONTENT_NAME);
    /** A region or multi-region: {@code us}, {@code eu}, {@code us-central1}. */
    private static final Pattern LOCATION = Pattern.compile("[a-z][a-z0-9-]{0,62}");

    public SnapshotParameters {
        storageLocations = List.copyOf(storageLocations);
        labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    }

    /** Parses and checks the parameters; INVALID_ARGUMENT naming the key at fault. */
    public static SnapshotParameters parse(Map<String, String> parameters) {
        Map<String, String> p = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : parameters.entrySet()) {
            String key = e.getKey().toLowerCase(Locale.ROOT);
            if (!KNOWN.contains(key)) {
                throw invalidArgument(
                        "unknown VolumeSnapshotClass parameter \"%s\"; known parameters: %s",
                        e.getKey(), String.join(", ", new TreeSet<>(KNOWN)));
            }
            if (p.put(key, e.getValue() == null ? "" : e.getValue().trim()) != null) {
                throw invalidArgument(
                        "VolumeSnapshotClass parameter \"%s\" is given twice (keys are" + " case-insensitive)",
                        e.getKey());
            }
        }
        String type = p.getOrDefault(SNAPSHOT_TYPE, "");
        if (!type.isEmpty() && !type.equals(TYPE_IMAGES)) {
            throw invalidArgument(
                    "VolumeSnapshotClass parameter \"%s\": \"%s\" is not supported; only \"%s\": a"
                            + " snapshot of this driver is a global image, because disk snapshots bring back the restore"
                            + " rate limits this driver exists to avoid",
                    SNAPSHOT_TYPE, type, TYPE_IMAGES);
        }
        String family = blankToNull(p.get(IMAGE_FAMILY));
        if (family != null && !GceNames.isName(family)) {
            throw invalidArgument(
                    "VolumeSnapshotClass parameter \"%s\": \"%s\" is not a valid image family name"
                            + " (lowercase letters, digits and '-', at most %d characters, starting with a letter)",
                    IMAGE_FAMILY, family, GceNames.MAX_NAME_LENGTH);
        }
        List<String> locations = new ArrayList<>();
        for (String l : p.getOrDefault(STORAGE_LOCATIONS, "").split(",")) {
            String loc = l.trim();
            if (loc.isEmpty()) {
                continue;
            }
            if (!LOCATION.matcher(loc).matches()) {
                throw invalidArgument(
                        "VolumeSnapshotClass parameter \"%s\": \"%s\" is not a region or multi-region",
                        STORAGE_LOCATIONS, loc);
            }
            locations.add(loc);
        }
        if (locations.size() > 1) {
            throw invalidArgument(
                    "VolumeSnapshotClass parameter \"%s\": an image has one storage location, not %d",
                    STORAGE_LOCATIONS, locations.size());
        }
        return new SnapshotParameters(
                family,
                locations,
                StorageClassParameters.parseLabels(p.getOrDefault(LABELS, ""), "VolumeSnapshotClass"),
                objectName(SNAPSHOT_NAME, p.get(SNAPSHOT_NAME)),
                objectName(SNAPSHOT_NAMESPACE, p.get(SNAPSHOT_NAMESPACE)),
                objectName(CONTENT_NAME, p.get(CONTENT_NAME)));
    }

    private static String objectName(String key, String value) {
        String v = blankToNull(value);
        if (v != null && v.length() > MAX_OBJECT_NAME) {
            throw invalidArgument(
                    "VolumeSnapshotClass parameter \"%s\" is %d characters long; a Kubernetes name has" + " at most %d",
                    key, v.length(), MAX_OBJECT_NAME);
        }
        return v;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** The labels the image gets: the user's plus the driver's own. */
    public Map<String, String> imageLabels() {
        Map<String, String> all = new LinkedHashMap<>(labels);
        all.put(Keys.MANAGED_LABEL_KEY, Keys.MANAGED_LABEL_VALUE);
        return all;
    }
}
