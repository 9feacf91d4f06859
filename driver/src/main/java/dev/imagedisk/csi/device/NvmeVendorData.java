package dev.imagedisk.csi.device;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a Compute Engine disk's device name from an NVMe Identify Namespace data structure (4096 bytes). Google
 * puts a JSON object in the structure's vendor-specific area (bytes 384 to 4095), NUL-terminated, e.g.
 * {@code {"device_name":"persistent-disk-1","disk_type":"PERSISTENT"}}: the {@code device_name} member is the
 * name udev (through {@code google_nvme_id}) gives the {@code google-NAME} link.
 */
public final class NvmeVendorData {
    /** Size of the Identify Namespace data structure. */
    public static final int IDENTIFY_SIZE = 4096;
    /** Where its vendor-specific area starts. */
    public static final int VENDOR_SPECIFIC_OFFSET = 384;

    private static final Pattern DEVICE_NAME = Pattern.compile("\"device_name\"\\s*:\\s*\"([^\"\\\\]*)\"");

    private NvmeVendorData() {}

    /** The {@code device_name} in the vendor-specific area, if there is one. */
    public static Optional<String> deviceName(byte[] identifyNamespace) {
        if (identifyNamespace == null || identifyNamespace.length <= VENDOR_SPECIFIC_OFFSET) {
            return Optional.empty();
        }
        int end = VENDOR_SPECIFIC_OFFSET;
        int limit = Math.min(identifyNamespace.length, IDENTIFY_SIZE);
        while (end < limit && identifyNamespace[end] != 0) {
            end++;
        }
        String text = new String(
                identifyNamespace, VENDOR_SPECIFIC_OFFSET, end - VENDOR_SPECIFIC_OFFSET, StandardCharsets.UTF_8);
        Matcher m = DEVICE_NAME.matcher(text);
        if (!m.find() || m.group(1).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(m.group(1));
    }
}
