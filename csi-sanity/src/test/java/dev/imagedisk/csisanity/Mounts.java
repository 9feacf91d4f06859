package dev.imagedisk.csisanity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** This process's mount table ({@code /proc/self/mountinfo}), read independently of the driver's code. */
final class Mounts {
    /** One mount: where, from what, which filesystem, and whether it is read-only. */
    record Mount(Path mountPoint, String source, String fsType, boolean readOnly, String majorMinor, String root) {}

    private Mounts() {}

    static List<Mount> all() {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Mount> out = new ArrayList<>();
        for (String line : lines) {
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] left = line.substring(0, dash).split(" ");
            String[] right = line.substring(dash + 3).split(" ");
            if (left.length < 6 || right.length < 2) {
                continue;
            }
            boolean ro = List.of(left[5].split(",")).contains("ro");
            out.add(new Mount(
                    Path.of(unescape(left[4])), unescape(right[1]), right[0], ro, left[2], unescape(left[3])));
        }
        return out;
    }

    /** Mounts at or below {@code dir}. */
    static List<Mount> under(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        return all().stream().filter(m -> m.mountPoint().startsWith(d)).toList();
    }

    /** Mounts exactly at {@code path} (stacked mounts give several). */
    static List<Mount> at(Path path) {
        Path p = path.toAbsolutePath().normalize();
        return all().stream().filter(m -> m.mountPoint().equals(p)).toList();
    }

    static boolean isMountPoint(Path path) {
        return !at(path).isEmpty();
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && isOctal(s, i + 1)) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isOctal(String s, int from) {
        for (int i = from; i < from + 3; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '7') {
                return false;
            }
        }
        return true;
    }
}
