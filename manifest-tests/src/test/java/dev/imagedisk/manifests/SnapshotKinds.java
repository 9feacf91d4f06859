package dev.imagedisk.manifests;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.Map;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * The three {@code snapshot.storage.k8s.io/v1} kinds, with the fields of the external-snapshotter v8 CRDs
 * that manifests set (fabric8 publishes no model of them for its Jackson 3 line). Read strictly like every
 * other kind: a field not declared here is an error.
 */
final class SnapshotKinds {
    static final String API_VERSION = "snapshot.storage.k8s.io/v1";

    private SnapshotKinds() {}

    /** The class for a kind of {@link #API_VERSION}, or null. */
    static Class<? extends HasMetadata> of(String kind) {
        return switch (kind) {
            case "VolumeSnapshotClass" -> VolumeSnapshotClass.class;
            case "VolumeSnapshot" -> VolumeSnapshot.class;
            case "VolumeSnapshotContent" -> VolumeSnapshotContent.class;
            default -> null;
        };
    }

    @JsonAutoDetect(
            fieldVisibility = Visibility.ANY,
            getterVisibility = Visibility.NONE,
            isGetterVisibility = Visibility.NONE,
            setterVisibility = Visibility.NONE)
    abstract static class Base implements HasMetadata {
        public String apiVersion;
        public String kind;
        public ObjectMeta metadata;

        @Override
        public ObjectMeta getMetadata() {
            return metadata;
        }

        @Override
        public void setMetadata(ObjectMeta metadata) {
            this.metadata = metadata;
        }

        @Override
        public void setApiVersion(String apiVersion) {
            this.apiVersion = apiVersion;
        }
    }

    @Group("snapshot.storage.k8s.io")
    @Version("v1")
    @Kind("VolumeSnapshotClass")
    @JsonDeserialize(using = ValueDeserializer.None.class) // not fabric8's registry, inherited from KubernetesResource
    static final class VolumeSnapshotClass extends Base {
        public String driver;
        public String deletionPolicy;
        public Map<String, String> parameters;
    }

    @Group("snapshot.storage.k8s.io")
    @Version("v1")
    @Kind("VolumeSnapshot")
    @JsonDeserialize(using = ValueDeserializer.None.class)
    static final class VolumeSnapshot extends Base {
        public SnapshotSpec spec;
    }

    @JsonAutoDetect(fieldVisibility = Visibility.ANY)
    static final class SnapshotSpec {
        public String volumeSnapshotClassName;
        public SnapshotSource source;
    }

    @JsonAutoDetect(fieldVisibility = Visibility.ANY)
    static final class SnapshotSource {
        public String persistentVolumeClaimName;
        public String volumeSnapshotContentName;
    }

    @Group("snapshot.storage.k8s.io")
    @Version("v1")
    @Kind("VolumeSnapshotContent")
    @JsonDeserialize(using = ValueDeserializer.None.class)
    static final class VolumeSnapshotContent extends Base {
        public ContentSpec spec;
    }

    @JsonAutoDetect(fieldVisibility = Visibility.ANY)
    static final class ContentSpec {
        public String driver;
        public String deletionPolicy;
        public String volumeSnapshotClassName;
        public String sourceVolumeMode;
        public ContentSource source;
        public ObjectReference volumeSnapshotRef;
    }

    @JsonAutoDetect(fieldVisibility = Visibility.ANY)
    static final class ContentSource {
        public String snapshotHandle;
        public String volumeHandle;
    }
}
