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
