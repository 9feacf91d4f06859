package dev.imagedisk.gce.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Compute Engine's field rules and small helpers shared by the emulator's services. */
final class Checks {
    private Checks() {}

    static final long GIB = 1L << 30;

    /**
     * The longest {@code description} accepted. The Compute Engine REST reference documents no
     * limit for the field; 2048 characters is this emulator's assumption (see the README), so that a
     * caller writing whole 100,000-character names into descriptions fails here as it would there.
     */
    static final int MAX_DESCRIPTION = 2048;

    /**
     * Labels as documented in "Requirements for labels" (cloud.google.com/compute/docs/labeling-resources):
     * at most 64 per resource; keys 1-63 characters, starting with a lowercase letter (or an
     * international character), then lowercase letters, digits, underscores and dashes; values 0-63
     * of the same characters.
     */
    static final int MAX_LABELS = 64;

    static final Pattern LABEL_KEY = Pattern.compile("[\\p{Ll}\\p{Lo}][\\p{Ll}\\p{Lo}\\p{Nd}_-]{0,62}");

    static final Pattern LABEL_VALUE = Pattern.compile("[\\p{Ll}\\p{Lo}\\p{Nd}_-]{0,63}");

    static final String EMPTY_LABEL_FINGERPRINT = "42WmSpB8rSM=";

    static final Pattern NAME = Pattern.compile("[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?");

    static final String NAME_REGEX = "(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)";

    static final Pattern ZONE = Pattern.compile("[a-z]+-[a-z]+[0-9]+-[a-z]");

    static long newId() {
        return java.util.concurrent.ThreadLocalRandom.current().nextLong(1_000_000_000_000_000_000L, Long.MAX_VALUE);
    }

    static String newOperationName() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        return String.format(
                "operation-%d-%013x-%08x-%08x",
                System.currentTimeMillis(), r.nextLong(1L << 52), r.nextInt() & 0xffffffffL, r.nextInt() & 0xffffffffL);
    }

    static String instancePathOf(String instanceKey) {
        String[] k = instanceKey.split("/", 3);
        return Links.instancePath(k[0], k[1], k[2]);
    }

    static String labelFingerprint(Map<String, String> labels) {
        if (labels.isEmpty()) {
            return EMPTY_LABEL_FINGERPRINT;
        }
        return fingerprint(new TreeMap<>(labels).toString());
    }

    static String fingerprint(String s) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(h, 8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void checkZone(String project, String zone) {
        if (!ZONE.matcher(zone).matches()) {
            throw GceException.notFound(Links.zonePath(project, zone));
        }
    }

    /**
     * A source (image or disk) named in a request that does not exist: Compute Engine answers 400
     * {@code invalid}, not 404 (e.g. "Invalid value for field 'resource.sourceDisk': '...'.
     * Referenced resource was not found.", hashicorp/packer issue 1877).
     */
    static GceException referenceNotFound(String field, String ref) {
        return GceException.invalidField(field, ref, "Referenced resource was not found.");
    }

    static String checkDescription(JsonNode body) {
        String d = Json.text(body, "description");
        if (d != null && d.length() > MAX_DESCRIPTION) {
            throw GceException.invalid("Invalid value for field 'resource.description': the description"
                    + " is " + d.length() + " characters long; it must be at most " + MAX_DESCRIPTION
                    + " characters.");
        }
        return d;
    }

    /** The request's labels, validated as Compute Engine does. */
    static Map<String, String> checkLabels(JsonNode body) {
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode labels = body == null ? null : body.get("labels");
        if (labels == null || labels.isNull()) {
            return out;
        }
        if (!labels.isObject()) {
            throw GceException.invalidField("resource.labels", labels.toString(), "Labels must be a map of strings.");
        }
        if (labels.size() > MAX_LABELS) {
            throw GceException.invalidField(
                    "resource.labels",
                    "",
                    "Too many labels: " + labels.size() + ". A resource can have at most " + MAX_LABELS + " labels.");
        }
        for (Map.Entry<String, JsonNode> e : labels.properties()) {
            String k = e.getKey();
            String v = e.getValue().isNull() ? "" : e.getValue().asText();
            if (!LABEL_KEY.matcher(k).matches()) {
                throw GceException.invalidField(
                        "resource.labels",
                        "",
                        "Label key '" + k + "' violates"
                                + " format constraints. The key must start with a lowercase character, can only"
                                + " contain lowercase letters, numeric characters, underscores and dashes. The key can"
                                + " be at most 63 characters long. International characters are allowed.");
            }
            if (!LABEL_VALUE.matcher(v).matches()) {
                throw GceException.invalidField(
                        "resource.labels",
                        "",
                        "Label value '" + v + "' violates"
                                + " format constraints. The value can only contain lowercase letters, numeric"
                                + " characters, underscores and dashes. The value can be at most 63 characters long."
                                + " International characters are allowed.");
            }
            out.put(k, v);
        }
        return out;
    }

    /** The name of a resource to insert: the body and its name present, the name of {@link #NAME}. */
    static String checkResourceName(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw GceException.required("resource");
        }
        String name = Json.text(body, "name");
        if (name == null || name.isEmpty()) {
            throw GceException.required("resource.name");
        }
        checkNameField("resource.name", name);
        return name;
    }

    /** A request field that must be a name of {@link #NAME}. */
    static void checkNameField(String field, String value) {
        if (!NAME.matcher(value).matches()) {
            throw GceException.invalidField(field, value, "Must be a match of regex '" + NAME_REGEX + "'");
        }
    }

    static void checkName(String what, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(what + " must match " + NAME_REGEX + ": " + name);
        }
    }
}
