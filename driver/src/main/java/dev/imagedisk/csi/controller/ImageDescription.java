package dev.imagedisk.csi.controller;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imagedisk.csi.contract.GceNames;

/**
 * The description the driver writes on each image it makes for a snapshot: JSON naming the CSI snapshot and,
 * when the external-snapshotter passes them, the VolumeSnapshot and its content, e.g.
 * {@code {"imagedisk.csi.dev/snapshot-name":"snapshot-…","kubernetes.io/created-for/volumesnapshot/name":"sd",…}}.
 * At most {@link GceNames#MAX_DESCRIPTION_LENGTH} characters.
 */
public final class ImageDescription {
    public static final String SNAPSHOT_NAME = "imagedisk.csi.dev/snapshot-name";
    public static final String SOURCE_VOLUME = "imagedisk.csi.dev/source-volume";
    public static final String VOLUMESNAPSHOT_NAME = "kubernetes.io/created-for/volumesnapshot/name";
    public static final String VOLUMESNAPSHOT_NAMESPACE = "kubernetes.io/created-for/volumesnapshot/namespace";
    public static final String VOLUMESNAPSHOTCONTENT_NAME = "kubernetes.io/created-for/volumesnapshotcontent/name";

    private static final ObjectMapper JSON = new ObjectMapper();

    private ImageDescription() {}

    public static String of(String snapshotName, String sourceVolume, SnapshotParameters p) {
        ObjectNode n = JSON.createObjectNode();
        n.put(SNAPSHOT_NAME, snapshotName);
        n.put(SOURCE_VOLUME, sourceVolume);
        String bare = DiskDescription.write(n);
        if (p.snapshotName() != null) {
            n.put(VOLUMESNAPSHOT_NAME, p.snapshotName());
        }
        if (p.snapshotNamespace() != null) {
            n.put(VOLUMESNAPSHOT_NAMESPACE, p.snapshotNamespace());
        }
        if (p.contentName() != null) {
            n.put(VOLUMESNAPSHOTCONTENT_NAME, p.contentName());
        }
        String full = DiskDescription.write(n);
        return full.length() <= GceNames.MAX_DESCRIPTION_LENGTH ? full : bare;
    }

    /** The snapshot name recorded in a description, or null when there is none (not our description). */
    public static String snapshotName(String description) {
        if (description == null || !description.trim().startsWith("{")) {
            return null;
        }
        try {
            JsonNode v = JSON.readTree(description).get(SNAPSHOT_NAME);
            return v == null || !v.isTextual() ? null : v.asText();
        } catch (JsonProcessingException e) {
            return null;
        }
    }
}
