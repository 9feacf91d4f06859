package dev.imagedisk.csi.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The driver's package rule, read from its sources: each top-level package of {@code dev.imagedisk.csi} names the
 * packages it may use; everything else is an upward import or a cycle. {@code plugin} alone wires the program and may
 * use every package. The README's "Layout" section states the same rule in one line.
 */
class LayeringTest {
    static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("common", Set.of()),
            Map.entry("contract", Set.of("common")),
            Map.entry("log", Set.of("common")),
            Map.entry("exec", Set.of("common")),
            Map.entry("sys", Set.of("common")),
            Map.entry("metadata", Set.of("common")),
            Map.entry("cloud", Set.of("common", "contract")),
            Map.entry("device", Set.of("common", "contract", "exec", "sys")),
            Map.entry("mount", Set.of("common", "exec", "sys")),
            Map.entry("metrics", Set.of("common", "cloud", "exec")),
            Map.entry("server", Set.of("common", "contract", "cloud")),
            Map.entry("identity", Set.of("common", "server")),
            Map.entry("controller", Set.of("common", "contract", "cloud", "server")),
            Map.entry("node", Set.of("common", "contract", "device", "exec", "mount", "sys", "metadata", "server")),
            Map.entry("doctor", Set.of("common", "contract", "cloud", "controller", "exec", "metadata", "node")),
            Map.entry("plugin", Set.of("*")));

    private static final Path MAIN = Path.of("src/main/java/dev/imagedisk/csi");
    private static final Pattern USE = Pattern.compile("\\bdev\\.imagedisk\\.csi\\.([a-z]+)\\b");

    @Test
    void everyPackageUsesOnlyWhatItMay() throws IOException {
        List<String> violations = new ArrayList<>();
        Set<String> seen = new TreeSet<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Path rel = MAIN.relativize(file);
                if (rel.getNameCount() < 2) {
                    violations.add(rel + ": the root package holds no classes");
                    continue;
                }
                String from = rel.getName(0).toString();
                seen.add(from);
                Set<String> allowed = ALLOWED.get(from);
                if (allowed == null) {
                    violations.add(rel + ": package " + from + " has no entry in LayeringTest.ALLOWED");
                    continue;
                }
                Matcher m = USE.matcher(code(Files.readString(file)));
                while (m.find()) {
                    String to = m.group(1);
                    if (!to.equals(from) && !allowed.contains("*") && !allowed.contains(to)) {
                        violations.add(rel + " uses " + to + " (" + from + " may use " + allowed + ")");
                    }
                }
            }
        }
        assertEquals(List.of(), violations);
        assertEquals(new TreeSet<>(ALLOWED.keySet()), seen, "every listed package exists, and no other");
    }

    /** The source without comments and string literals (a logger's name or a Javadoc example is not a use). */
    static String code(String source) {
        return source.replaceAll("(?s)/\\*.*?\\*/", " ")
                .replaceAll("//[^\\n]*", " ")
                .replaceAll("\"(?:[^\"\\\\\\n]|\\\\.)*\"", "\"\"");
    }

    @Test
    void theRuleHasNoCycle() {
        for (String start : ALLOWED.keySet()) {
            Set<String> reached = new HashSet<>();
            List<String> todo = new ArrayList<>(ALLOWED.get(start));
            while (!todo.isEmpty()) {
                String next = todo.remove(todo.size() - 1);
                if (next.equals("*") || !reached.add(next)) {
                    continue;
                }
                assertTrue(!next.equals(start), start + " reaches itself through " + reached);
                todo.addAll(ALLOWED.getOrDefault(next, Set.of()));
            }
        }
    }
}
