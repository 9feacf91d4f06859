package dev.imagedisk.csi.plugin.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Java runtime on this machine: its home and feature release (17, 25, ...), read from its {@code release}
 * file. The kind of start-up archive a runtime makes depends on its release.
 */
public record JavaRuntime(Path home, int feature) {
    private static final Pattern VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)");

    /** The runtime of this JVM. */
    public static JavaRuntime current() {
        return new JavaRuntime(
                Path.of(System.getProperty("java.home")), Runtime.version().feature());
    }

    /** The runtime at {@code home}. */
    public static JavaRuntime at(Path home) throws IOException {
        Matcher m = VERSION.matcher(Files.readString(home.resolve("release")));
        if (!m.find()) {
            throw new IOException(home.resolve("release") + " names no JAVA_VERSION");
        }
        return new JavaRuntime(home, Integer.parseInt(m.group(1)));
    }

    public Path java() {
        return home.resolve("bin").resolve("java");
    }

    public StartupArchive.Kind archiveKind() {
        return StartupArchive.Kind.of(feature);
    }
}
