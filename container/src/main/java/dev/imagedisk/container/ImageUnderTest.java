package dev.imagedisk.container;

import dev.imagedisk.csi.common.Version;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The image the container tests and the container B4 run: the one named by {@code -Dimagedisk.image=NAME} or the
 * environment's {@code IMAGEDISK_IMAGE} (CI builds it with {@code ./imagedisk image} before the README's {@code mvn
 * verify}), else the one this run builds, once, with
 * {@code container/build-image --no-maven} from the plugin artifact the reactor just packaged.
 */
public final class ImageUnderTest {
    private static String built;

    private ImageUnderTest() {}

    /** The tag {@code ./imagedisk image} gives the image of this version. */
    public static String defaultTag() {
        return "localhost/imagedisk-csi:" + Version.get();
    }

    /** The name given by -Dimagedisk.image, else by IMAGEDISK_IMAGE, if any. */
    public static Optional<String> named() {
        String env = System.getenv("IMAGEDISK_IMAGE");
        String name =
                System.getProperty("imagedisk.image", env == null ? "" : env).trim();
        return name.isEmpty() ? Optional.empty() : Optional.of(name);
    }

    /** Why the image cannot be built here (a build tool missing), or empty. */
    public static Optional<String> unbuildable() {
        for (String tool : List.of("buildah", "mmdebstrap")) {
            if (Podman.onPath(tool).isEmpty()) {
                return Optional.of(
                        tool + " is not installed (apt-get install -y buildah podman mmdebstrap runc uidmap)");
            }
        }
        return Optional.empty();
    }

    /** The image for this run: the named one (which must exist) or one built now, once per JVM. */
    public static synchronized String get(Podman podman) throws IOException, InterruptedException {
        Optional<String> named = named();
        if (named.isPresent()) {
            if (!podman.imageExists(named.get())) {
                throw new IOException("-Dimagedisk.image=" + named.get() + " is not in the local container storage"
                        + " (podman images); build it with ./imagedisk image");
            }
            return named.get();
        }
        if (built == null) {
            built = build(root());
        }
        return built;
    }

    /** The checkout holding container/build-image. */
    public static Path root() throws IOException {
        Path manifest = PluginContainer.manifest("node.yaml");
        Path root = manifest.getParent().getParent();
        if (!Files.isExecutable(root.resolve("container").resolve("build-image"))) {
            throw new IOException(root + "/container/build-image is missing or not executable");
        }
        return root;
    }

    private static String build(Path root) throws IOException, InterruptedException {
        Path log =
                Files.createDirectories(root.resolve("target").resolve("image")).resolve("build.log");
        String tag = defaultTag();
        ProcessBuilder pb = new ProcessBuilder(
                        root.resolve("container").resolve("build-image").toString(), "--no-maven", "--tag", tag)
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        System.out.println("container tests: building " + tag + " (container/build-image --no-maven; log " + log + ")");
        long t0 = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(20, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("container/build-image did not finish within 20 minutes; see " + log);
        }
        List<String> lines = Files.readAllLines(log);
        if (p.exitValue() != 0) {
            throw new IOException("container/build-image exited " + p.exitValue() + "; end of " + log + ":\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
        }
        lines.stream().filter(l -> l.startsWith("imagedisk image: ")).forEach(System.out::println);
        System.out.printf(
                "container tests: image built in %d s%n",
                Duration.ofNanos(System.nanoTime() - t0).toSeconds());
        return tag;
    }
}
