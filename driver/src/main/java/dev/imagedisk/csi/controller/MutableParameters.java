package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.invalidArgument;

import dev.imagedisk.csi.cloud.Disk;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The VolumeAttributesClass parameters of a volume ({@code mutable_parameters} of ControllerModifyVolume, and of
 * CreateVolume, which applies them at creation): the provisioned performance of a Hyperdisk. Keys are
 * case-insensitive; any other key is refused, naming it. Which Hyperdisk types take which value is decided here
 * once: IOPS on hyperdisk-balanced(-high-availability) and hyperdisk-extreme, throughput on
 * hyperdisk-balanced(-high-availability), hyperdisk-throughput and hyperdisk-ml. The ranges for a disk's size are
 * Compute Engine's to check (an out-of-range value is its {@code invalid}: INVALID_ARGUMENT).
 *
 * @param iops {@value #IOPS}: IOPS to provision, or null to leave as is
 * @param throughput {@value #THROUGHPUT}: throughput to provision in MiB/s, or null to leave as is
 */
public record MutableParameters(Long iops, Long throughput) {
    public static final String IOPS = "provisioned-iops";
    public static final String THROUGHPUT = "provisioned-throughput";
    public static final MutableParameters NONE = new MutableParameters(null, null);

    private static final Set<String> KNOWN = Set.of(IOPS, THROUGHPUT);
    private static final Set<String> IOPS_TYPES =
            Set.of("hyperdisk-balanced", "hyperdisk-balanced-high-availability", "hyperdisk-extreme");
    private static final Set<String> THROUGHPUT_TYPES = Set.of(
            "hyperdisk-balanced", "hyperdisk-balanced-high-availability", "hyperdisk-throughput", "hyperdisk-ml");
    private static final Pattern NUMBER = Pattern.compile("([0-9]{1,12})");
    private static final Pattern MIB_PER_S = Pattern.compile("([0-9]{1,12})(Mi|MiB|M|MB)?(/s)?");

    /**
     * Reads {@code parameters} ({@code field} names them in errors: {@code mutable_parameters}); INVALID_ARGUMENT
     * naming an unknown key or a value that is not a positive number. Empty parameters are {@link #NONE}.
     */
    public static MutableParameters parse(Map<String, String> parameters, String field) {
        Map<String, String> p = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : parameters.entrySet()) {
            String key = e.getKey().toLowerCase(Locale.ROOT).trim();
            if (!KNOWN.contains(key)) {
                throw invalidArgument(
                        "%s: unknown parameter \"%s\"; a VolumeAttributesClass of this driver takes %s",
                        field, e.getKey(), String.join(", ", new TreeSet<>(KNOWN)));
            }
            if (p.put(key, e.getValue()) != null) {
                throw invalidArgument("%s: \"%s\" is given twice (keys are case-insensitive)", field, e.getKey());
            }
        }
        return new MutableParameters(
                number(field, IOPS, p.get(IOPS), NUMBER, "a number of IOPS"),
                number(field, THROUGHPUT, p.get(THROUGHPUT), MIB_PER_S, "a throughput in MiB/s"));
    }

    private static Long number(String field, String key, String value, Pattern form, String what) {
        if (value == null) {
            return null;
        }
        Matcher m = form.matcher(value.trim());
        long n = m.matches() ? Long.parseLong(m.group(1)) : 0;
        if (n <= 0) {
            throw invalidArgument("%s: \"%s\" is \"%s\", not %s (a positive integer)", field, key, value, what);
        }
        return n;
    }

    public boolean isEmpty() {
        return iops == null && throughput == null;
    }

    /** Why a disk of {@code type} cannot take these values, naming the type and the key; empty when it can. */
    public Optional<String> unsupportedBy(String type) {
        if (iops != null && !IOPS_TYPES.contains(type)) {
            return Optional.of("\"" + IOPS + "\" applies to " + String.join(", ", new TreeSet<>(IOPS_TYPES))
                    + " disks; this volume is " + type);
        }
        if (throughput != null && !THROUGHPUT_TYPES.contains(type)) {
            return Optional.of("\"" + THROUGHPUT + "\" applies to " + String.join(", ", new TreeSet<>(THROUGHPUT_TYPES))
                    + " disks; this volume is " + type);
        }
        return Optional.empty();
    }

    /** The values {@code disk} does not have yet (what an update must send); {@link #NONE} when it has them all. */
    public MutableParameters missingFrom(Disk disk) {
        return new MutableParameters(
                iops != null && !iops.equals(disk.provisionedIops()) ? iops : null,
                throughput != null && !throughput.equals(disk.provisionedThroughput()) ? throughput : null);
    }

    /** As CSI wants them back: the parameters given. */
    public Map<String, String> asMap() {
        Map<String, String> m = new LinkedHashMap<>();
        if (iops != null) {
            m.put(IOPS, Long.toString(iops));
        }
        if (throughput != null) {
            m.put(THROUGHPUT, Long.toString(throughput));
        }
        return m;
    }
}
