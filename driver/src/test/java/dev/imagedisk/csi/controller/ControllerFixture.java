package dev.imagedisk.csi.controller;

import csi.v1.ControllerGrpc;
import csi.v1.CreateVolumeRequest;
import csi.v1.IdentityGrpc;
import csi.v1.VolumeCapability;
import dev.imagedisk.csi.plugin.PluginCommand;
import dev.imagedisk.csi.plugin.PluginRuntime;
import dev.imagedisk.csi.requests.CsiRequests;
import dev.imagedisk.csi.server.CsiChannels;
import dev.imagedisk.gce.emulator.GceEmulator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import picocli.CommandLine;

/**
 * A controller plugin on a real Unix socket, in mode {@code controller}, pointed at an embedded Compute
 * Engine emulator (records only unless asked), with a client channel to it. One image
 * ({@value #IMAGE}, 10 GB, family {@value #FAMILY}) and two instances are there from the start.
 *
 * <p>A test class that shares one fixture among its tests registers it as an extension, started before the
 * first test and closed after the last: {@code @RegisterExtension static final ControllerFixture f =
 * ControllerFixture.perClass(Duration.ofMillis(20));}
 */
public final class ControllerFixture implements AutoCloseable, BeforeAllCallback, AfterAllCallback {
    static final long GIB = 1L << 30;
    static final String PROJECT = "imagedisk-test";
    static final String ZONE = "us-central1-a";
    static final String OTHER_ZONE = "us-central1-b";
    static final String IMAGE = "base-v1";
    static final String FAMILY = "base";
    static final long IMAGE_GB = 10;
    static final String NODE_1 = "node-1";
    static final String NODE_2 = "node-2";

    static {
        // The emulator's com.sun.net.httpserver leaves Nagle on: each request then waits ~40 ms for a delayed
        // ACK. Read once per JVM, so this helps only when no HttpServer started before (reported as a gap).
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    GceEmulator emulator;
    Path socket;
    private final List<String> extraArgs;
    private final Duration operationDuration;
    private boolean ownsEmulator;
    private Path perClassDir;
    PluginRuntime plugin;
    CsiChannels.Client client;
    ControllerGrpc.ControllerBlockingStub stub;

    private ControllerFixture(Duration operationDuration, List<String> extraArgs) {
        this.operationDuration = operationDuration;
        this.extraArgs = extraArgs;
    }

    /** Its records in {@code emulator} (closed on failure when {@code owns}), then the plugin on {@code socket}. */
    private ControllerFixture open(GceEmulator emulator, Path socket, boolean owns) throws Exception {
        this.emulator = emulator;
        this.socket = socket;
        this.ownsEmulator = owns;
        try {
            emulator.registerImage(PROJECT, IMAGE, FAMILY, IMAGE_GB);
            emulator.addInstance(PROJECT, ZONE, NODE_1, "e2-standard-2");
            emulator.addInstance(PROJECT, ZONE, NODE_2, "e2-standard-2");
            emulator.setMetadataInstance(PROJECT, ZONE, NODE_1);
            startPlugin();
            return this;
        } catch (Exception | Error e) {
            if (owns) {
                emulator.close();
            }
            throw e;
        }
    }

    private static GceEmulator startEmulator(Duration operationDuration) throws Exception {
        return GceEmulator.builder()
                .storage(false)
                .operationDuration(operationDuration)
                .waitTimeout(Duration.ofSeconds(5))
                .start();
    }

    /** Storage off, operations of {@code operationDuration}; {@code args} are extra plugin flags. */
    static ControllerFixture start(Path dir, Duration operationDuration, String... args) throws Exception {
        return new ControllerFixture(operationDuration, List.of(args))
                .open(startEmulator(operationDuration), dir.resolve("csi.sock"), true);
    }

    static ControllerFixture start(Path dir, GceEmulator emulator, String... args) throws Exception {
        return new ControllerFixture(null, List.of(args)).open(emulator, dir.resolve("csi.sock"), false);
    }

    /**
     * A fixture as {@link #start(Path, Duration, String...)} makes, for a test class to register with
     * {@code @RegisterExtension}: started (in a temp directory of its own) before the class's first test,
     * closed after its last.
     */
    static ControllerFixture perClass(Duration operationDuration, String... args) {
        return new ControllerFixture(operationDuration, List.of(args));
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        perClassDir = Files.createTempDirectory("imagedisk-controller-");
        open(startEmulator(operationDuration), perClassDir.resolve("csi.sock"), true);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        try {
            close();
        } finally {
            if (perClassDir != null) {
                deleteTree(perClassDir);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    void startPlugin(String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--mode",
                "controller",
                "--endpoint",
                "unix://" + socket,
                "--project",
                PROJECT,
                "--zone",
                ZONE,
                "--compute-endpoint",
                emulator.baseUrl(),
                "--metadata-endpoint",
                emulator.baseUrl(),
                "--api-rate-limit",
                "1000",
                "--api-retry-backoff",
                "10ms",
                "--api-retry-max-backoff",
                "100ms",
                "--image-cache-ttl",
                "0s",
                "--shutdown-grace",
                "0s"));
        args.addAll(extraArgs);
        args.addAll(List.of(more));
        PluginCommand command = new PluginCommand();
        new CommandLine(command).setOverwrittenOptionsAllowed(true).parseArgs(args.toArray(String[]::new));
        plugin = PluginRuntime.start(command.config());
        client = CsiChannels.connect(socket);
        stub = ControllerGrpc.newBlockingStub(client.channel());
    }

    /** Stops the plugin (as a crash would, with no grace), keeping the emulator. */
    void stopPlugin() {
        if (client != null) {
            client.close();
            client = null;
        }
        if (plugin != null) {
            plugin.close();
            plugin = null;
        }
    }

    ControllerGrpc.ControllerBlockingStub stub() {
        return stub;
    }

    IdentityGrpc.IdentityBlockingStub identity() {
        return IdentityGrpc.newBlockingStub(client.channel());
    }

    static VolumeCapability mountWriter() {
        return CsiRequests.RWO_EXT4;
    }

    /** Block, or an ext4 mount. */
    static VolumeCapability cap(VolumeCapability.AccessMode.Mode mode, boolean block) {
        return CsiRequests.capability(mode, block, "ext4");
    }

    /** Creates volume {@code name} ({@link #create}) and returns its id. */
    String volume(String name) {
        return stub.createVolume(create(name).build()).getVolume().getVolumeId();
    }

    static String imagePath() {
        return "projects/" + PROJECT + "/global/images/" + IMAGE;
    }

    /** A CreateVolume for {@code name} from the test image, single-node writer, mount. */
    public static CreateVolumeRequest.Builder create(String name) {
        return CsiRequests.createVolume(name, imagePath(), mountWriter());
    }

    static String nodeId(String instance) {
        return "projects/" + PROJECT + "/zones/" + ZONE + "/instances/" + instance;
    }

    /** Stops the plugin, and the emulator when the fixture started it. */
    @Override
    public void close() {
        stopPlugin();
        if (ownsEmulator) {
            emulator.close();
        }
    }
}
