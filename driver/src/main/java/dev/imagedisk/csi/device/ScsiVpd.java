package dev.imagedisk.csi.device;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads a Compute Engine disk's device name from SCSI Vital Product Data pages, as the kernel exposes them in
 * sysfs ({@code device/vpd_pg83}, {@code device/vpd_pg80}: the page with its 4-byte header).
 *
 * <p>Page 0x83 (device identification) is a list of designation descriptors: byte 0 holds the code set (low
 * nibble: 1 binary, 2 ASCII, 3 UTF-8), byte 1 the association (bits 4-5; 0 = the logical unit) and the designator
 * type (low nibble: 0 vendor specific, 1 T10 vendor ID), byte 3 the designator's length. A persistent disk
 * carries its device name as a vendor-specific ASCII designator of the logical unit, which {@code scsi_id} prints
 * as {@code 0Google  PersistentDisk  NAME} and udev turns into {@code google-NAME}; a T10 vendor ID designator
 * is the 8-byte vendor ({@code Google  }) followed by the name. Page 0x80 (unit serial number) holds the name
 * as the serial, after the same kind of header.
 */
public final class ScsiVpd {
    private static final int PAGE_83 = 0x83;
    private static final int PAGE_80 = 0x80;

    private ScsiVpd() {}

    /** The device name page 0x83 designates (vendor specific first, then T10 vendor ID), if any. */
    public static Optional<String> deviceNameFromPage83(byte[] page) {
        int end = pageEnd(page, PAGE_83);
        if (end < 0) {
            return Optional.empty();
        }
        String t10 = null;
        for (int at = 4; at + 4 <= end; ) {
            int codeSet = page[at] & 0x0f;
            int association = (page[at + 1] >> 4) & 0x03;
            int type = page[at + 1] & 0x0f;
            int length = page[at + 3] & 0xff;
            int from = at + 4;
            if (from + length > end) {
                break; // a truncated descriptor: nothing more to trust
            }
            boolean text = codeSet == 2 || codeSet == 3;
            if (association == 0 && text) {
                String value = text(page, from, length);
                if (type == 0 && !value.isEmpty()) {
                    return Optional.of(value);
                }
                if (type == 1 && t10 == null && length > 8) {
                    String name = text(page, from + 8, length - 8);
                    t10 = name.isEmpty() ? null : name;
                }
            }
            at = from + length;
        }
        return Optional.ofNullable(t10);
    }

    /** The unit serial number of page 0x80, trimmed, if any. */
    public static Optional<String> serialFromPage80(byte[] page) {
        int end = pageEnd(page, PAGE_80);
        if (end < 0) {
            return Optional.empty();
        }
        String serial = text(page, 4, end - 4);
        return serial.isEmpty() ? Optional.empty() : Optional.of(serial);
    }

    /** The end of the page's data (header length field + 4, within the bytes read), or -1 when not that page. */
    private static int pageEnd(byte[] page, int code) {
        if (page == null || page.length < 4 || (page[1] & 0xff) != code) {
            return -1;
        }
        int length = ((page[2] & 0xff) << 8) | (page[3] & 0xff);
        return Math.min(page.length, 4 + length);
    }

    /** ASCII text, cut at the first NUL, without surrounding spaces. */
    private static String text(byte[] bytes, int from, int length) {
        int to = from;
        while (to < from + length && bytes[to] != 0) {
            to++;
        }
        return new String(bytes, from, to - from, StandardCharsets.US_ASCII).trim();
    }
}
