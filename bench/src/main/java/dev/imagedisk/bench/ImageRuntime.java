package dev.imagedisk.bench;

import dev.imagedisk.csi.plugin.archive.JavaRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Java runtime the image runs the plugin on, found on this machine: the feature release of the Debian JDK
 * the Dockerfile jlinks its runtime from ({@code openjdk-17-jdk-headless}), or of its last stage's Temurin
 * ({@code FROM eclipse-temurin:25-jre...}), matched to this JVM or to a JDK under
 * /usr/lib/jvm with that release. B4 measures on it, so the figures are the image's.
 *
 * @param runtime the runtime to measure on
 * @param note how it was chosen (shown in the report)
 */
record ImageRuntime(JavaRuntime runtime, String note) {
    private static final Pattern TEMURIN = Pattern.compile("(?i)^FROM\\s+\\S*temurin:(\\d+)\\S*");
    /** The Debian JDK the Dockerfile's runtime stage jlinks the image's runtime from. */
    private static final Pattern DEBIAN_JDK = Pattern.compile("\\bopenjdk-(\\d+)-jdk");

    static ImageRuntime find() {
        JavaRuntime current = JavaRuntime.current();
        Path dockerfile = ManifestJvmDir.dockerfile();
        if (dockerfile == null) {
            return new ImageRuntime(current, "no Dockerfile found: this JVM (" + current.feature() + ")");
        }
        int feature;
        try {
            feature = lastStageFeature(Files.readAllLines(dockerfile));
        } catch (IOException e) {
            return new ImageRuntime(current, dockerfile + " unreadable: this JVM (" + current.feature() + ")");
        }
        if (feature <= 0) {
            return new ImageRuntime(current, dockerfile + " names no Java release: this JVM");
        }
        if (current.feature() == feature) {
            return new ImageRuntime(current, "Java " + feature + " as in " + dockerfile + ": " + current.home());
        }
        try (Stream<Path> homes = Files.list(Path.of("/usr/lib/jvm"))) {
            for (Path home : homes.sorted().toList()) {
                try {
                    JavaRuntime r = JavaRuntime.at(home);
                    if (r.feature() == feature && Files.isExecutable(r.java())) {
                        return new ImageRuntime(r, "Java " + feature + " as in " + dockerfile + ": " + home);
                    }
                } catch (IOException e) {
                    // not a runtime
                }
            }
        } catch (IOException e) {
            // no /usr/lib/jvm
        }
        return new ImageRuntime(
                current, "no Java " + feature + " (the image's) on this machine: this JVM (" + current.feature() + ")");
    }

    /**
     * The feature release of the Debian JDK the image's runtime is jlinked from, else the Temurin release of the
     * last FROM line (the runtime stage); 0 when it names neither.
     */
    static int lastStageFeature(List<String> lines) {
        for (String line : lines) {
            Matcher m = DEBIAN_JDK.matcher(line);
            if (!line.trim().startsWith("#") && m.find()) {
                return Integer.parseInt(m.group(1));
            }
        }
        int feature = 0;
        for (String line : lines) {
            String t = line.trim();
            if (t.regionMatches(true, 0, "FROM ", 0, 5)) {
                Matcher m = TEMURIN.matcher(t);
                feature = m.find() ? Integer.parseInt(m.group(1)) : 0;
            }
        }
        return feature;
    }

    /** Where the repository's files are: the directory holding manifests/ (current one or above). */
    static final class ManifestJvmDir {
        private ManifestJvmDir() {}

        static Path dockerfile() {
            Path manifest = dev.imagedisk.csi.plugin.archive.ManifestJvm.find("node.yaml");
            if (manifest == null) {
                return null;
            }
            Path d = manifest.getParent().getParent().resolve("Dockerfile");
            return Files.isRegularFile(d) ? d : null;
        }
    }
}
