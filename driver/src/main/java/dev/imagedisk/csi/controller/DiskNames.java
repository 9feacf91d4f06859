package dev.imagedisk.csi.controller;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Derives the Compute Engine disk name from the CSI request name, deterministically. A name Compute
 * Engine accepts as it is ({@code [a-z]([-a-z0-9]{0,61}[a-z0-9])?}, e.g. the provisioner's
 * {@code pvc-<uuid>}) is used unchanged. Any other name (longer than 63 characters, upper case, dots,
 * ...) becomes a sanitized prefix plus {@code -} plus 16 hex digits of its SHA-256: at most 63
 * characters, and two different request names differ in the hash. (A sanitized-and-hashed name can only
 * equal a pass-through name if someone picks the latter to match; the provisioner records the request
 * name on the disk and checks it, see {@link DiskDescription}.)
 */
public final class DiskNames {
    public static final int MAX_LENGTH = 63;
    private static final Pattern VALID = Pattern.compile("[a-z]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final int HASH_HEX = 16;

    private DiskNames() {}

    public static String diskName(String requestName) {
        if (VALID.matcher(requestName).matches()) {
            return requestName;
        }
        String hash = HexFormat.of().formatHex(sha256(requestName), 0, HASH_HEX / 2);
        String prefix = requestName.toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9-]+", "-")
                .replaceAll("-{2,}", "-")
                .replaceAll("^[^a-z]+", "");
        int room = MAX_LENGTH - HASH_HEX - 1;
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
