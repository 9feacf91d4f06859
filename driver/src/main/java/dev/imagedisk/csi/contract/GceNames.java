package dev.imagedisk.csi.contract;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Compute Engine's naming rules, written once: resource names (disks, images, instances, device names, disk
 * types, families) are RFC 1035 labels of at most 63 characters; project ids and zones are the path segments
 * that hold them. {@link #derive} turns any CSI request name into a valid resource name, deterministically.
 */
public final class GceNames {
    /** A resource name: {@code [a-z]([-a-z0-9]{0,61}[a-z0-9])?}. */
    public static final String NAME_REGEX = "[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?";
    /** A project id, including the domain-scoped form {@code example.com:p}. */
    public static final String PROJECT_REGEX = "[a-z][-a-z0-9.:]{0,62}";
    /** A zone such as {@code us-central1-a}. */
    public static final String ZONE_REGEX = "[a-z][-a-z0-9]{0,62}";

    public static final int MAX_NAME_LENGTH = 63;
    /** The longest description Compute Engine accepts on a disk or an image, in characters. */
    public static final int MAX_DESCRIPTION_LENGTH = 2048;
    /** CSI's limit on a volume or snapshot name, in bytes (UTF-8). */
    public static final int MAX_CSI_NAME_BYTES = 128;

    private static final Pattern NAME = Pattern.compile(NAME_REGEX);
    private static final Pattern PROJECT = Pattern.compile(PROJECT_REGEX);
    private static final Pattern ZONE = Pattern.compile(ZONE_REGEX);
    private static final int HASH_HEX = 16;

    private GceNames() {}

    public static boolean isName(String s) {
        return s != null && NAME.matcher(s).matches();
    }

    public static boolean isProject(String s) {
        return s != null && PROJECT.matcher(s).matches();
    }

    public static boolean isZone(String s) {
        return s != null && ZONE.matcher(s).matches();
    }

    /**
     * The resource name for a CSI request name. A name Compute Engine accepts as it is (e.g. the provisioner's
     * {@code pvc-<uuid>}, the snapshotter's {@code snapshot-<uuid>}) is used unchanged. Any other name becomes a
     * sanitized prefix, {@code -}, and 16 hex digits of its SHA-256: at most 63 characters, and two different
     * request names give different resource names.
     */
    public static String derive(String requestName) {
        if (isName(requestName)) {
            return requestName;
        }
        String hash = HexFormat.of().formatHex(sha256(requestName), 0, HASH_HEX / 2);
        String prefix = requestName
                .toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9-]+", "-")
                .replaceAll("-{2,}", "-")
                .replaceAll("^[^a-z]+", "");
        int room = MAX_NAME_LENGTH - HASH_HEX - 1;
        if (prefix.length() > room) {
            prefix = prefix.substring(0, room);
        }
        prefix = prefix.replaceAll("-+$", "");
        if (prefix.isEmpty()) {
            prefix = "vol";
        }
        return prefix + "-" + hash;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
