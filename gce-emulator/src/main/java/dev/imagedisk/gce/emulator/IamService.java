package dev.imagedisk.gce.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code testIamPermissions} methods of images, disks and instances: the caller holds every permission except
 * those {@link Faults#revokePermissions revoked}. As Compute Engine: the resource must exist (404), the body
 * names {@code permissions} (at most 100), each a permission of the resource's own type ({@code compute.images.*}
 * on an image; any other answers 400), and the answer lists the ones held, in the request's order ({@code
 * permissions} absent when none is).
 */
final class IamService extends ComputeApi {
    private static final int MAX_PERMISSIONS = 100;

    IamService(ComputeState state, OperationService ops) {
        super(state, ops);
    }

    ObjectNode testImage(String project, String name, JsonNode body) {
        synchronized (lock) {
            image(project, name);
        }
        return answer("images", body);
    }

    ObjectNode testDisk(String project, String zone, String name, JsonNode body) {
        synchronized (lock) {
            disk(project, zone, name);
        }
        return answer("disks", body);
    }

    ObjectNode testInstance(String project, String zone, String name, JsonNode body) {
        synchronized (lock) {
            instance(project, zone, name);
        }
        return answer("instances", body);
    }

    private ObjectNode answer(String collection, JsonNode body) {
        JsonNode asked = body == null ? null : body.get("permissions");
        if (asked == null || !asked.isArray() || asked.isEmpty()) {
            throw GceException.required("resource.permissions");
        }
        if (asked.size() > MAX_PERMISSIONS) {
            throw GceException.invalidField(
                    "resource.permissions", asked.size(), "At most " + MAX_PERMISSIONS + " permissions may be tested.");
        }
        Set<String> held = new LinkedHashSet<>();
        for (JsonNode p : asked) {
            String permission = p.asText();
            if (!permission.startsWith("compute." + collection + ".")
                    || permission.length() == ("compute." + collection + ".").length()) {
                throw new GceException(
                        400, "badRequest", "Permission '" + permission + "' is not valid for this resource.");
            }
            if (!faults.revoked(permission)) {
                held.add(permission);
            }
        }
        ObjectNode out = Json.object();
        if (!held.isEmpty()) {
            ArrayNode list = out.putArray("permissions");
            List<String> ordered = new ArrayList<>(held);
            ordered.forEach(list::add);
        }
        return out;
    }
}
