package dev.imagedisk.bench;

import dev.imagedisk.gce.emulator.GceEmulator;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The emulated Compute Engine the controller benchmarks run against, and the controller flags that point at it. */
final class BenchEmulator {
    private BenchEmulator() {}

    /**
     * An emulator on a free loopback port, without disk storage, whose operations take {@code operation}, holding
     * one 10 GiB image {@code image} (family of the same name) in {@code project}.
     */
    static GceEmulator start(Duration operation, String project, String image) throws IOException {
        GceEmulator emulator = GceEmulator.builder()
                .storage(false)
                .operationDuration(operation)
                .port(0)
                .start();
        try {
            emulator.registerImage(project, image, image, 10);
            return emulator;
        } catch (RuntimeException e) {
            emulator.close();
            throw e;
        }
    }

    /**
     * The flags of a controller serving on {@code socket} for {@code project} in {@code zone}, with Compute
     * Engine and the metadata server at {@code emulator}, followed by {@code more}.
     */
    static List<String> controllerArgs(Path socket, String project, String zone, GceEmulator emulator, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "--mode",
                "controller",
                "--endpoint",
                "unix://" + socket,
                "--project",
                project,
                "--zone",
                zone,
                "--compute-endpoint",
                emulator.baseUrl(),
                "--metadata-endpoint",
                emulator.baseUrl()));
        args.addAll(List.of(more));
        return List.copyOf(args);
    }
}
