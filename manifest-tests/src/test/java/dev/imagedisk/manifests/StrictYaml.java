package dev.imagedisk.manifests;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.BeanDescription;
import tools.jackson.databind.DeserializationConfig;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.databind.deser.BeanDeserializerBuilder;
import tools.jackson.databind.deser.ValueDeserializerModifier;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Reads manifests into typed fabric8 Kubernetes objects, refusing anything it does not recognise.
 *
 * <p>fabric8's model classes accept any field they do not know into {@code additionalProperties}
 * (a {@code @JsonAnySetter}), so a typo such as {@code imagePullPolcy} would parse without a word. Here
 * the any-setter of every {@code io.fabric8} bean is removed and {@code FAIL_ON_UNKNOWN_PROPERTIES} is on,
 * so an unknown field is an error naming its path. {@code apiVersion}/{@code kind} pick the class through
 * fabric8's own {@code KubernetesDeserializer} (its registry of model classes); a pair it does not know
 * comes back as {@link GenericKubernetesResource}, which is refused too. Duplicate keys are refused. The
 * snapshot kinds, which fabric8's model does not cover, are read into {@link SnapshotKinds}.
 */
final class StrictYaml {
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final JsonMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .addModule(new SimpleModule("imagedisk-strict-fabric8").setDeserializerModifier(new NoAnySetter()))
            .build();

    private StrictYaml() {}

    /** A manifest that failed to read: which document of which file, and why. */
    static final class ManifestException extends RuntimeException {
        ManifestException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The non-empty YAML documents of a (possibly multi-document) text, as trees. */
    static List<JsonNode> documents(String yaml, String source) {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNextValue()) {
                JsonNode doc = it.nextValue();
                if (doc != null && !doc.isNull() && !doc.isMissingNode() && !(doc.isObject() && doc.isEmpty())) {
                    docs.add(doc);
                }
            }
        } catch (JacksonException e) {
            throw new ManifestException(source + ": not valid YAML: " + e.getOriginalMessage(), e);
        }
        return docs;
    }

    /** Every document as a typed Kubernetes object; unknown fields, kinds and duplicate keys are errors. */
    static List<HasMetadata> kubernetes(String yaml, String source) {
        List<HasMetadata> objects = new ArrayList<>();
        List<JsonNode> docs = documents(yaml, source);
        for (int i = 0; i < docs.size(); i++) {
            objects.add(kubernetes(docs.get(i), source + " (document " + (i + 1) + ")"));
        }
        return objects;
    }

    static HasMetadata kubernetes(JsonNode doc, String where) {
        String kind =
                doc.path("apiVersion").asString("?") + " " + doc.path("kind").asString("?");
        KubernetesResource resource;
        try {
            Class<? extends HasMetadata> snapshotKind =
                    SnapshotKinds.API_VERSION.equals(doc.path("apiVersion").asString(""))
                            ? SnapshotKinds.of(doc.path("kind").asString(""))
                            : null;
            resource = snapshotKind != null
                    ? STRICT.treeToValue(doc, snapshotKind)
                    : STRICT.treeToValue(doc, KubernetesResource.class);
        } catch (JacksonException e) {
            throw new ManifestException(
                    where + ": " + kind + ": " + e.getOriginalMessage() + " at " + e.getPathReference(), e);
        }
        if (resource instanceof GenericKubernetesResource || !(resource instanceof HasMetadata)) {
            throw new ManifestException(
                    where + ": " + kind + " is not a Kubernetes kind the fabric8 model knows"
                            + " (misspelt kind or apiVersion?)",
                    null);
        }
        return (HasMetadata) resource;
    }

    /** A plain YAML document (a kustomization, an IAM role) into a record; unknown fields are errors. */
    static <T> T plain(String yaml, Class<T> type, String source) {
        List<JsonNode> docs = documents(yaml, source);
        if (docs.size() != 1) {
            throw new ManifestException(source + ": expected one YAML document, found " + docs.size(), null);
        }
        try {
            return STRICT.treeToValue(docs.get(0), type);
        } catch (JacksonException e) {
            throw new ManifestException(source + ": " + e.getOriginalMessage() + " at " + e.getPathReference(), e);
        }
    }

    /** A deep copy through JSON, for tests that break one field of a real manifest. */
    static <T> T copy(T value, Class<T> type) {
        return STRICT.readValue(STRICT.writeValueAsString(value), type);
    }

    static String json(Object value) {
        return STRICT.writeValueAsString(value);
    }

    /** Drops the {@code @JsonAnySetter} ({@code additionalProperties}) of fabric8 beans. */
    private static final class NoAnySetter extends ValueDeserializerModifier {
        @Override
        public BeanDeserializerBuilder updateBuilder(
                DeserializationConfig config, BeanDescription.Supplier bean, BeanDeserializerBuilder builder) {
            if (bean.getBeanClass().getName().startsWith("io.fabric8.")) {
                builder.setAnySetter(null);
            }
            return builder;
        }
    }
}
