package dev.imagedisk.csi.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The StorageClasses of this driver, and the claim sizes asked of them, read from Kubernetes objects in JSON
 * ({@code kubectl get storageclass,pvc,statefulset -o json}: a List or single objects): every StorageClass whose
 * provisioner is the driver, every PersistentVolumeClaim and StatefulSet volumeClaimTemplate naming one of them.
 */
public final class StorageClasses {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern QUANTITY = Pattern.compile("([0-9]+)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?");

    /** A StorageClass of the driver. */
    public record StorageClass(String name, Map<String, String> parameters) {}

    /** A claim's requested size on a class, and where it was asked. */
    public record Claim(String storageClass, long bytes, String where) {}

    private final List<StorageClass> classes = new ArrayList<>();
    private final List<Claim> claims = new ArrayList<>();
    private final String driverName;

    public StorageClasses(String driverName) {
        this.driverName = driverName;
    }

    public List<StorageClass> classes() {
        return List.copyOf(classes);
    }

    /** The claims on {@code storageClass}. */
    public List<Claim> claims(String storageClass) {
        return claims.stream()
                .filter(c -> c.storageClass().equals(storageClass))
                .toList();
    }

    /** Reads a file of Kubernetes objects in JSON (a List, an object, or several objects one after another). */
    public StorageClasses readFile(Path file) throws IOException {
        return read(Files.readString(file), file.toString());
    }

    public StorageClasses read(String json, String origin) throws IOException {
        try (var parser = JSON.createParser(json)) {
            for (JsonNode node : (Iterable<JsonNode>) () -> {
                try {
                    return JSON.readValues(parser, JsonNode.class);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }) {
                add(node, origin);
            }
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        return this;
    }

    private void add(JsonNode o, String origin) {
        add(o, origin, null);
    }

    /**
     * {@code implied}: the kind of a typed list's items, which the API leaves out of each item (a StorageClassList
     * from {@code /apis/storage.k8s.io/v1/storageclasses} has items without {@code kind}).
     */
    private void add(JsonNode o, String origin, String implied) {
        String kind = o.path("kind").asText("");
        if (kind.isEmpty() && implied != null) {
            kind = implied;
        }
        switch (kind) {
            case "List" -> o.path("items").forEach(item -> add(item, origin, null));
            case "StorageClassList", "PersistentVolumeClaimList", "StatefulSetList" -> {
                String itemKind = kind.substring(0, kind.length() - "List".length());
                o.path("items").forEach(item -> add(item, origin, itemKind));
            }
            case "StorageClass" -> {
                if (driverName.equals(o.path("provisioner").asText())) {
                    Map<String, String> parameters = new LinkedHashMap<>();
                    o.path("parameters")
                            .fields()
                            .forEachRemaining(
                                    e -> parameters.put(e.getKey(), e.getValue().asText()));
                    classes.add(new StorageClass(o.path("metadata").path("name").asText(), parameters));
                }
            }
            case "PersistentVolumeClaim" ->
                claim(
                        o.path("spec"),
                        "PersistentVolumeClaim "
                                + o.path("metadata").path("name").asText() + " (" + origin + ")");
            case "StatefulSet" ->
                o.path("spec")
                        .path("volumeClaimTemplates")
                        .forEach(t -> claim(
                                t.path("spec"),
                                "StatefulSet " + o.path("metadata").path("name").asText() + " volumeClaimTemplate "
                                        + t.path("metadata").path("name").asText() + " (" + origin + ")"));
            default -> {}
        }
    }

    private void claim(JsonNode spec, String where) {
        String cls = spec.path("storageClassName").asText("");
        String storage = spec.path("resources").path("requests").path("storage").asText("");
        if (!cls.isEmpty() && !storage.isEmpty()) {
            claims.add(new Claim(cls, bytes(storage), where));
        }
    }

    /** A Kubernetes quantity of bytes ({@code 10Gi}, {@code 20G}, {@code 512Mi}, {@code 1073741824}). */
    public static long bytes(String quantity) {
        Matcher m = QUANTITY.matcher(quantity.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a quantity of bytes: " + quantity);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2);
        long factor = switch (unit.toLowerCase(Locale.ROOT)) {
            case "" -> 1L;
            case "ki" -> 1L << 10;
            case "mi" -> 1L << 20;
            case "gi" -> 1L << 30;
            case "ti" -> 1L << 40;
            case "pi" -> 1L << 50;
            case "k" -> 1_000L;
            case "m" -> 1_000_000L;
            case "g" -> 1_000_000_000L;
            case "t" -> 1_000_000_000_000L;
            case "p" -> 1_000_000_000_000_000L;
            default -> throw new IllegalArgumentException("unknown unit in " + quantity);
        };
        return Math.multiplyExact(n, factor);
    }
}
