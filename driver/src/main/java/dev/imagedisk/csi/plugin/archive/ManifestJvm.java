package dev.imagedisk.csi.plugin.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The JVM options and memory limit a plugin container runs with, read from its manifest
 * ({@code manifests/node.yaml} or {@code controller.yaml}: the {@code imagedisk} container's
 * {@code JAVA_TOOL_OPTIONS} and {@code resources.limits.memory}), so the benchmarks and the manifests cannot
 * drift. A container's memory limit is what the JVM sizes its heap from ({@code -XX:MaxRAMPercentage}); on a
 * bench machine without that cgroup limit it is passed as {@code -XX:MaxRAM}.
 *
 * @param source where the options came from (a file, or "built-in default")
 */
public record ManifestJvm(String source, String javaToolOptions, long memoryLimitBytes) {
    /** Used when no manifest is found: the values the manifests had when the benchmarks were written. */
    static final String DEFAULT_NODE_OPTIONS = "-XX:+UseSerialGC -XX:MaxRAMPercentage=30 -Xss256k "
            + "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=24m -XX:MaxMetaspaceSize=64m "
            + "-XX:MaxDirectMemorySize=32m -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError";

    static final String DEFAULT_CONTROLLER_OPTIONS = "-XX:+UseSerialGC -XX:MaxRAMPercentage=50 -Xss256k "
            + "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=24m -XX:MaxMetaspaceSize=96m "
            + "-XX:MaxDirectMemorySize=32m -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError";

    public static ManifestJvm node() {
        return read("node.yaml", DEFAULT_NODE_OPTIONS, 256L << 20);
    }

    public static ManifestJvm controller() {
        return read("controller.yaml", DEFAULT_CONTROLLER_OPTIONS, 320L << 20);
    }

    /**
     * The options as a list, plus {@code -XX:MaxRAM} standing in for the container's memory limit, less the
     * image's class-data-sharing archive ({@code -XX:SharedArchiveFile}), which exists only in the image: the
     * benchmark makes its own the way the image build does (see {@link #usesSharedArchive()}).
     */
    public List<String> options() {
        List<String> o = new ArrayList<>(Arrays.asList(javaToolOptions.trim().split("\\s+")));
        o.removeIf(opt -> opt.startsWith("-XX:SharedArchiveFile=") || opt.startsWith("-XX:AOTCache="));
        if (memoryLimitBytes > 0) {
            o.add("-XX:MaxRAM=" + memoryLimitBytes);
        }
        return o;
    }

    /** Whether the manifest's JVM maps the image's class-data-sharing archive. */
    public boolean usesSharedArchive() {
        return javaToolOptions.contains("-XX:SharedArchiveFile=") || javaToolOptions.contains("-XX:AOTCache=");
    }

    public String describe() {
        return javaToolOptions + (memoryLimitBytes > 0 ? " -XX:MaxRAM=" + (memoryLimitBytes >> 20) + "m" : "")
                + " (from " + source + ")";
    }

    /** The options and limit of the imagedisk container in the manifest at {@code manifest}. */
    public static ManifestJvm of(Path manifest) throws IOException {
        List<String> lines = Files.readAllLines(manifest);
        String options = javaToolOptions(lines);
        if (options == null) {
            throw new IOException(manifest + " sets no JAVA_TOOL_OPTIONS for its imagedisk container");
        }
        return new ManifestJvm(manifest.toString(), options, memoryLimit(lines));
    }

    private static ManifestJvm read(String file, String defaultOptions, long defaultLimit) {
        Path manifest = find(file);
        if (manifest == null) {
            return new ManifestJvm(
                    "built-in default (no manifests/" + file + " above "
                            + Path.of("").toAbsolutePath() + ")",
                    defaultOptions,
                    defaultLimit);
        }
        try {
            List<String> lines = Files.readAllLines(manifest);
            String options = javaToolOptions(lines);
            long limit = memoryLimit(lines);
            return new ManifestJvm(
                    manifest.toString(), options == null ? defaultOptions : options, limit > 0 ? limit : defaultLimit);
        } catch (IOException | RuntimeException e) {
            return new ManifestJvm(
                    "built-in default (" + manifest + " unreadable: " + e.getMessage() + ")",
                    defaultOptions,
                    defaultLimit);
        }
    }

    /** manifests/FILE in the current directory or one above it. */
    public static Path find(String file) {
        Path dir = Path.of("").toAbsolutePath();
        for (int i = 0; i < 4 && dir != null; i++, dir = dir.getParent()) {
            Path p = dir.resolve("manifests").resolve(file);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    /** The value of the first JAVA_TOOL_OPTIONS env entry: inline, quoted, or a folded block ({@code >-}). */
    static String javaToolOptions(List<String> lines) {
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).trim().matches("-?\\s*name:\\s*JAVA_TOOL_OPTIONS\\s*")) {
                continue;
            }
            for (int j = i + 1; j < lines.size(); j++) {
                String t = lines.get(j).trim();
                if (t.isEmpty() || t.startsWith("#")) {
                    continue;
                }
                if (!t.startsWith("value:")) {
                    return null;
                }
                String v = t.substring("value:".length()).trim();
                if (v.startsWith(">") || v.startsWith("|")) {
                    int indent = indent(lines.get(j));
                    StringBuilder b = new StringBuilder();
                    for (int k = j + 1; k < lines.size(); k++) {
                        String l = lines.get(k);
                        if (!l.isBlank() && indent(l) <= indent) {
                            break;
                        }
                        b.append(' ').append(l.trim());
                    }
                    return b.toString().trim();
                }
                return v.replaceAll("^[\"']|[\"']$", "");
            }
        }
        return null;
    }

    /** resources.limits.memory of the container named imagedisk, in bytes; 0 when not found. */
    static long memoryLimit(List<String> lines) {
        boolean inContainer = false;
        boolean inLimits = false;
        int containerIndent = -1;
        for (String line : lines) {
            String t = line.trim();
            // a list item's name at the container's depth (or shallower) starts another container; the
            // names of its ports, env entries and mounts are deeper
            if (t.matches("-\\s*name:\\s*\\S+") && (containerIndent < 0 || indent(line) <= containerIndent)) {
                inContainer = t.matches("-\\s*name:\\s*imagedisk");
                containerIndent = inContainer ? indent(line) : -1;
                inLimits = false;
            } else if (inContainer && t.equals("limits:")) {
                inLimits = true;
            } else if (inContainer && inLimits && t.startsWith("memory:")) {
                return quantity(t.substring("memory:".length()).trim().replaceAll("[\"']", ""));
            } else if (inLimits && t.endsWith(":") && !t.startsWith("memory")) {
                inLimits = t.equals("limits:");
            }
        }
        return 0;
    }

    /** A Kubernetes quantity of bytes ({@code 128Mi}, {@code 1G}, {@code 1000}) as a number of bytes. */
    public static long quantity(String q) {
        String s = q.trim().toLowerCase(Locale.ROOT);
        String[][] units = {
            {"ki", "1024"},
            {"mi", "1048576"},
            {"gi", "1073741824"},
            {"k", "1000"},
            {"m", "1000000"},
            {"g", "1000000000"}
        };
        for (String[] u : units) {
            if (s.endsWith(u[0])) {
                return (long) (Double.parseDouble(s.substring(0, s.length() - u[0].length())) * Long.parseLong(u[1]));
            }
        }
        return Long.parseLong(s);
    }

    private static int indent(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) == ' ') {
            i++;
        }
        return i;
    }
}
