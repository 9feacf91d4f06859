package dev.imagedisk.csi.mount;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Parses {@code /proc/self/mountinfo} (proc(5)): {@code id parent major:minor root mountpoint options
 * [optional fields...] - fstype source superoptions}. Paths come with space, tab, newline and backslash
 * written as octal escapes ({@code \040}, {@code \011}, {@code \012}, {@code \134}), which are decoded.
 */
public final class MountInfoParser {
    private MountInfoParser() {}

    public static List<MountInfo> parse(String text) {
        List<MountInfo> mounts = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                mounts.add(parseLine(line));
            }
        }
        return mounts;
    }

    public static MountInfo parseLine(String line) {
        String[] f = line.trim().split(" ");
        int separator = Arrays.asList(f).indexOf("-");
        if (separator < 6 || separator + 2 >= f.length) {
            throw new IllegalArgumentException("malformed mountinfo line: " + line);
        }
        String[] dev = f[2].split(":");
        if (dev.length != 2) {
            throw new IllegalArgumentException("malformed major:minor in mountinfo line: " + line);
        }
        try {
            return new MountInfo(
                    Integer.parseInt(f[0]),
                    Integer.parseInt(f[1]),
                    Integer.parseInt(dev[0]),
                    Integer.parseInt(dev[1]),
                    unescape(f[3]),
                    Path.of(unescape(f[4])),
                    List.of(f[5].split(",")),
                    unescape(f[separator + 1]),
                    unescape(f[separator + 2]),
                    separator + 3 < f.length ? List.of(f[separator + 3].split(",")) : List.of());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed number in mountinfo line: " + line, e);
        }
    }

    /** Decodes the kernel's {@code \ooo} octal escapes; anything else is kept as it is. */
    public static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        byte[] pending = new byte[s.length()];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                pending[n++] = (byte) Integer.parseInt(s.substring(i + 1, i + 4), 8);
                i += 3;
                continue;
            }
            if (n > 0) {
                out.append(new String(pending, 0, n, StandardCharsets.UTF_8));
                n = 0;
            }
            out.append(c);
        }
        if (n > 0) {
            out.append(new String(pending, 0, n, StandardCharsets.UTF_8));
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '7') {
                return false;
            }
        }
        return true;
    }
}
