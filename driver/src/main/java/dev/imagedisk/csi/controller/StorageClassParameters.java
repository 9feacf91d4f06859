package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.invalidArgument;

import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.contract.ComputeUrls;
import dev.imagedisk.csi.contract.GceNames;
import dev.imagedisk.csi.contract.ImageId;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.contract.PartitionChoice;
import dev.imagedisk.csi.server.CsiFailure;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The StorageClass parameters of a CreateVolume (and ValidateVolumeCapabilities) request, checked. Keys
 * are case-insensitive; an unknown key is refused, naming it.
 *
 * @param image the image or image family to create the disk from (null only when the volume has a source)
 * @param type the disk type, {@code pd-balanced} unless given
 * @param labels user labels for the disk, checked against Compute Engine's label rules
 * @param kmsKey Cloud KMS key for customer-managed encryption, or null
 * @param provisionedIops IOPS to provision at creation, or null
 * @param provisionedThroughput throughput (MB/s) to provision at creation, or null
 * @param pvcName the PVC's name when the provisioner passes it (--extra-create-metadata), else null
 * @param partition which partition of the disk holds the filesystem ({@code auto} unless given); passed to the
 *     node in the volume context
 * @param replicas {@code on-demand}: the volume is a reader set (read-only disks made in each zone as readers
 *     appear, {@link ReaderSets}); null: one disk
 * @param maxReadersPerDisk how many nodes one disk of a reader set serves ({@code max-readers-per-disk}), or null for
 *     the disk type's default ({@link SharedReadOnly#DEFAULT_MAX_READERS})
 */
public record StorageClassParameters(
        ImageRef image,
        String type,
        Map<String, String> labels,
        String kmsKey,
        Long provisionedIops,
        Long provisionedThroughput,
        String pvcName,
        String pvcNamespace,
        String pvName,
        PartitionChoice partition,
        String replicas,
        Integer maxReadersPerDisk) {

    public static final String IMAGE = "image";
    public static final String TYPE = "type";
    public static final String LABELS = "labels";
    public static final String KMS_KEY = "disk-encryption-kms-key";
    public static final String PROVISIONED_IOPS = "provisioned-iops-on-create";
    public static final String PROVISIONED_THROUGHPUT = "provisioned-throughput-on-create";
    public static final String PVC_NAME = "csi.storage.k8s.io/pvc/name";
    public static final String PVC_NAMESPACE = "csi.storage.k8s.io/pvc/namespace";
    public static final String PV_NAME = "csi.storage.k8s.io/pv/name";
    public static final String PARTITION = Keys.CONTEXT_PARTITION;
    public static final String REPLICAS = "replicas";
    public static final String REPLICAS_ON_DEMAND = "on-demand";
    public static final String MAX_READERS_PER_DISK = "max-readers-per-disk";
    public static final String DEFAULT_TYPE = "pd-balanced";

    /** Compute Engine allows this many labels per resource; ours takes one. */
    static final int MAX_LABELS = 64;

    private static final java.util.Set<String> KNOWN = java.util.Set.of(
            IMAGE,
            TYPE,
            LABELS,
            KMS_KEY,
            PROVISIONED_IOPS,
            PROVISIONED_THROUGHPUT,
            PVC_NAME,
            PVC_NAMESPACE,
            PV_NAME,
            PARTITION,
            REPLICAS,
            MAX_READERS_PER_DISK);
    /** The short form of an image in the controller's own project. */
    private static final String OWN_PROJECT_IMAGE = "global/images/";

    private static final Pattern KMS = Pattern.compile(
            "projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+(/cryptoKeyVersions/[^/]+)?");
    private static final Pattern THROUGHPUT = Pattern.compile("([0-9]+)(Mi|M|MiB|MB)?(/s)?");

    public StorageClassParameters {
        labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    }

    /**
     * Parses and checks the parameters; {@code defaultProject} completes {@code global/images/...}.
     * Throws INVALID_ARGUMENT naming the key at fault.
     */
    public static StorageClassParameters parse(Map<String, String> parameters, String defaultProject) {
        return parse(parameters, defaultProject, null);
    }

    /** Parameters that were read, or why they are not valid (what {@link #parse} would refuse them with). */
    public record Checked(StorageClassParameters parameters, Optional<String> problem) {}

    /**
     * The parameters of an existing volume (ValidateVolumeCapabilities), with the problem as a value: that call
     * answers it unconfirmed, not as an error. Every failure of {@code parse} is an INVALID_ARGUMENT naming the key.
     * {@code image} is optional, as for a volume with a source (a clone or a restore needs none), and
     * {@code defaultImage} stands in for it as in CreateVolume.
     */
    public static Checked check(Map<String, String> parameters, String defaultProject, ImageRef defaultImage) {
        try {
            return new Checked(parse(parameters, defaultProject, defaultImage, true), Optional.empty());
        } catch (CsiFailure invalid) {
            return new Checked(null, Optional.of(invalid.getMessage()));
        }
    }

    /**
     * As {@link #parse(Map, String)}, with {@code defaultImage} (the controller's {@code --default-image}, read once
     * at start, or null) standing in for a missing {@code image} parameter.
     */
    public static StorageClassParameters parse(
            Map<String, String> parameters, String defaultProject, ImageRef defaultImage) {
        return parse(parameters, defaultProject, defaultImage, false);
    }

    /**
     * The parameters of a volume whose content comes from a snapshot or another volume: {@code image} is then
     * optional (the source wins over it) and {@link #image()} is null when it is absent.
     */
    public static StorageClassParameters parseForSource(Map<String, String> parameters, String defaultProject) {
        return parse(parameters, defaultProject, null, true);
    }

    private static StorageClassParameters parse(
            Map<String, String> parameters, String defaultProject, ImageRef defaultImage, boolean imageOptional) {
        Map<String, String> p = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : parameters.entrySet()) {
            String key = e.getKey().toLowerCase(Locale.ROOT);
            if (!KNOWN.contains(key)) {
                throw invalidArgument(
                        "unknown StorageClass parameter \"%s\"; known parameters: %s",
                        e.getKey(), String.join(", ", new java.util.TreeSet<>(KNOWN)));
            }
            if (p.put(key, e.getValue()) != null) {
                throw invalidArgument(
                        "StorageClass parameter \"%s\" is given twice (keys are case-insensitive)", e.getKey());
            }
        }
        String image = p.get(IMAGE);
        boolean named = image != null && !image.isBlank();
        if (!named && defaultImage == null && !imageOptional) {
            throw invalidArgument(
                    "StorageClass parameter \"%s\" is required: projects/P/global/images/NAME,"
                            + " projects/P/global/images/family/FAMILY or global/images/NAME",
                    IMAGE);
        }
        String type = p.getOrDefault(TYPE, DEFAULT_TYPE).trim();
        if (!GceNames.isName(type)) {
            throw invalidArgument("StorageClass parameter \"%s\": \"%s\" is not a disk type name", TYPE, type);
        }
        String kms = blankToNull(p.get(KMS_KEY));
        if (kms != null && !KMS.matcher(kms).matches()) {
            throw invalidArgument(
                    "StorageClass parameter \"%s\": \"%s\" is not a Cloud KMS key name"
                            + " (projects/P/locations/L/keyRings/R/cryptoKeys/K)",
                    KMS_KEY, kms);
        }
        return new StorageClassParameters(
                named ? parseImage(image.trim(), defaultProject) : defaultImage,
                type,
                parseLabels(p.getOrDefault(LABELS, "")),
                kms,
                parsePositive(PROVISIONED_IOPS, blankToNull(p.get(PROVISIONED_IOPS)), false),
                parsePositive(PROVISIONED_THROUGHPUT, blankToNull(p.get(PROVISIONED_THROUGHPUT)), true),
                blankToNull(p.get(PVC_NAME)),
                blankToNull(p.get(PVC_NAMESPACE)),
                blankToNull(p.get(PV_NAME)),
                parsePartition(p.get(PARTITION)),
                parseReplicas(blankToNull(p.get(REPLICAS))),
                parseMaxReaders(blankToNull(p.get(MAX_READERS_PER_DISK))));
    }

    static String parseReplicas(String value) {
        if (value == null) {
            return null;
        }
        if (!value.equals(REPLICAS_ON_DEMAND)) {
            throw invalidArgument(
                    "StorageClass parameter \"%s\": \"%s\" is not known; the one value is \"%s\" (a ReadOnlyMany"
                            + " volume served by read-only disks made in each zone as readers appear)",
                    REPLICAS, value, REPLICAS_ON_DEMAND);
        }
        return value;
    }

    static Integer parseMaxReaders(String value) {
        if (value == null) {
            return null;
        }
        Long n = parsePositive(MAX_READERS_PER_DISK, value, false);
        if (n > SharedReadOnly.MAX_READERS_LIMIT) {
            throw invalidArgument(
                    "StorageClass parameter \"%s\": %d is more than %d, the most nodes any disk type can be attached"
                            + " to read-only (Hyperdisk ML)",
                    MAX_READERS_PER_DISK, n, SharedReadOnly.MAX_READERS_LIMIT);
        }
        return n.intValue();
    }

    /** Whether the volume is a reader set ({@code replicas: on-demand}). */
    public boolean readerSet() {
        return REPLICAS_ON_DEMAND.equals(replicas);
    }

    static PartitionChoice parsePartition(String value) {
        String v = value == null ? "" : value.trim();
        return PartitionChoice.parse(v)
                .orElseThrow(() -> invalidArgument(
                        "StorageClass parameter \"%s\": \"%s\" is " + "neither \"%s\" nor a partition number (1 to %d)",
                        PARTITION, v, PartitionChoice.AUTO_VALUE, PartitionChoice.MAX_NUMBER));
    }

    /**
     * The image an {@code image} parameter (or {@code --default-image}) names: {@code projects/P/global/images/...},
     * its self link, or {@code global/images/...} in {@code defaultProject}; empty when it names none.
     */
    public static Optional<ImageRef> readImage(String image, String defaultProject) {
        Optional<String> path = ComputeUrls.relative(image).path();
        if (path.isEmpty()) {
            return Optional.empty();
        }
        String s = path.get();
        if (s.startsWith(OWN_PROJECT_IMAGE)) {
            s = "projects/" + defaultProject + "/" + s;
        }
        return ImageId.parse(s).map(ImageRef::of);
    }

    static ImageRef parseImage(String image, String defaultProject) {
        Optional<ImageRef> ref = readImage(image, defaultProject);
        if (ref.isPresent()) {
            return ref.get();
        }
        String urlProblem = ComputeUrls.relative(image).problem();
        if (urlProblem != null) {
            throw invalidArgument(
                    "StorageClass parameter \"%s\": \"%s\" is not an image: %s; use"
                            + " projects/P/global/images/NAME, projects/P/global/images/family/FAMILY or global/images/NAME",
                    IMAGE, image, urlProblem);
        }
        throw invalidArgument(
                "StorageClass parameter \"%s\": \"%s\" is not an image; use"
                        + " projects/P/global/images/NAME, projects/P/global/images/family/FAMILY or global/images/NAME",
                IMAGE, image);
    }

    /** {@code k=v,k2=v2} with Compute Engine's rules; the driver's own label key is reserved. */
    static Map<String, String> parseLabels(String value) {
        return parseLabels(value, "StorageClass");
    }

    /** As {@link #parseLabels(String)}; {@code origin} ("StorageClass", "VolumeSnapshotClass") words the errors. */
    static Map<String, String> parseLabels(String value, String origin) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (value.isBlank()) {
            return labels;
        }
        for (String pair : value.split(",")) {
            String item = pair.trim();
            if (item.isEmpty()) {
                continue;
            }
            int eq = item.indexOf('=');
            if (eq < 0) {
                throw invalidArgument("%s parameter \"%s\": \"%s\" is not key=value", origin, LABELS, item);
            }
            String k = item.substring(0, eq).trim();
            String v = item.substring(eq + 1).trim();
            checkLabelKey(k, origin);
            checkLabelValue(k, v, origin);
            if (k.equals(Keys.MANAGED_LABEL_KEY)) {
                throw invalidArgument(
                        "%s parameter \"%s\": the label key \"%s\" is reserved for the driver", origin, LABELS, k);
            }
            if (labels.put(k, v) != null) {
                throw invalidArgument("%s parameter \"%s\": label \"%s\" is given twice", origin, LABELS, k);
            }
        }
        if (labels.size() > MAX_LABELS - 1) {
            throw invalidArgument(
                    "%s parameter \"%s\": %d labels; at most %d (Compute Engine allows %d," + " one is the driver's)",
                    origin, LABELS, labels.size(), MAX_LABELS - 1, MAX_LABELS);
        }
        return labels;
    }

    private static void checkLabelKey(String k, String origin) {
        int n = k.codePointCount(0, k.length());
        if (n < 1 || n > 63) {
            throw invalidArgument(
                    "%s parameter \"%s\": label key \"%s\" must be 1 to 63 characters", origin, LABELS, k);
        }
        if (!Character.isLowerCase(k.codePointAt(0)) || !labelChars(k)) {
            throw invalidArgument(
                    "%s parameter \"%s\": label key \"%s\" must start with a lowercase letter"
                            + " and contain only lowercase letters, digits, '_' and '-'",
                    origin, LABELS, k);
        }
    }

    private static void checkLabelValue(String k, String v, String origin) {
        if (v.codePointCount(0, v.length()) > 63) {
            throw invalidArgument(
                    "%s parameter \"%s\": the value of label \"%s\" is longer than 63" + " characters",
                    origin, LABELS, k);
        }
        if (!labelChars(v)) {
            throw invalidArgument(
                    "%s parameter \"%s\": the value \"%s\" of label \"%s\" may contain only"
                            + " lowercase letters, digits, '_' and '-'",
                    origin, LABELS, v, k);
        }
    }

    /** Lowercase letters (international ones too), ASCII digits, '_' and '-'. */
    private static boolean labelChars(String s) {
        return s.codePoints().allMatch(c -> Character.isLowerCase(c) || (c >= '0' && c <= '9') || c == '_' || c == '-');
    }

    private static Long parsePositive(String key, String value, boolean throughput) {
        if (value == null) {
            return null;
        }
        String digits = value.trim();
        if (throughput) {
            Matcher m = THROUGHPUT.matcher(digits);
            if (!m.matches()) {
                throw invalidArgument("StorageClass parameter \"%s\": \"%s\" is not a throughput in MB/s", key, value);
            }
            digits = m.group(1);
        }
        try {
            long n = Long.parseLong(digits);
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw invalidArgument("StorageClass parameter \"%s\": \"%s\" is not a positive integer", key, value);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** These parameters with provisioned performance set (null keeps the StorageClass's value). */
    public StorageClassParameters withPerformance(Long iops, Long throughput) {
        return new StorageClassParameters(
                image,
                type,
                labels,
                kmsKey,
                iops != null ? iops : provisionedIops,
                throughput != null ? throughput : provisionedThroughput,
                pvcName,
                pvcNamespace,
                pvName,
                partition,
                replicas,
                maxReadersPerDisk);
    }

    /** The labels the disk gets: the user's plus the driver's own. */
    public Map<String, String> diskLabels() {
        Map<String, String> all = new LinkedHashMap<>(labels);
        all.put(Keys.MANAGED_LABEL_KEY, Keys.MANAGED_LABEL_VALUE);
        return all;
    }
}
