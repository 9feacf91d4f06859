package dev.imagedisk.container;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.Optional;

/** What every container test needs first: podman that can run the image, and the image (built once per run). */
final class ContainerSupport {
    private ContainerSupport() {}

    /** A podman, or the test is skipped saying why not (no root, no podman or runc, no way to build the image). */
    static Podman podmanOrSkip() throws IOException {
        Optional<String> podman = Podman.unavailable();
        Optional<String> why =
                podman.isEmpty() && ImageUnderTest.named().isEmpty() ? ImageUnderTest.unbuildable() : podman;
        why.ifPresent(w -> System.out.println("container tests skipped: " + w));
        assumeTrue(why.isEmpty(), () -> "container tests skipped: " + why.orElse(""));
        return Podman.open();
    }
}
