package dev.imagedisk.csi.controller;

import csi.v1.ControllerGrpc;
import csi.v1.CreateVolumeRequest;
import csi.v1.IdentityGrpc;
import csi.v1.VolumeCapability;
import dev.imagedisk.csi.PluginCommand;
import dev.imagedisk.csi.PluginRuntime;
import dev.imagedisk.csi.server.CsiChannels;
import dev.imagedisk.gce.emulator.GceEmulator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * A controller plugin on a real Unix socket, in mode {@code controller}, pointed at an embedded Compute
 * Engine emulator (records only unless asked), with a client channel to it. One image
 * ({@value #IMAGE}, 10 GB, family {@value #FAMILY}) and two instances are there from the start.
 */
final class ControllerFixture implements AutoCloseable {
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

    final GceEmulator emulator;
    final Path socket;
    private final List<String> extraArgs;
    private boolean ownsEmulator;
    PluginRuntime plugin;
    CsiChannels.Client client;
    ControllerGrpc.ControllerBlockingStub stub;

    private ControllerFixture(GceEmulator emulator, Path socket, List<String> extraArgs) throws Exception {
        this.emulator = emulator;
        this.socket = socket;
        this.extraArgs = extraArgs;
        emulator.registerImage(PROJECT, IMAGE, FAMILY, IMAGE_GB);
        emulator.addInstance(PROJECT, ZONE, NODE_1, "e2-standard-2");
        emulator.addInstance(PROJECT, ZONE, NODE_2, "e2-standard-2");
        emulator.setMetadataInstance(PROJECT, ZONE, NODE_1);
        startPlugin();
    }

    /** Storage off, operations of {@code operationDuration}; {@code args} are extra plugin flags. */
    static ControllerFixture start(Path dir, Duration operationDuration, String... args) throws Exception {
        GceEmulator emulator = GceEmulator.builder().storage(false).operationDuration(operationDuration)
                .waitTimeout(Duration.ofSeconds(5)).start();
        try {
            ControllerFixture f = new ControllerFixture(emulator, dir.resolve("csi.sock"), List.of(args));
            f.ownsEmulator = true;
            return f;
        } catch (Exception | Error e) {
            emulator.close();
            throw e;
        }
    }

    static ControllerFixture start(Path dir, GceEmulator emulator, String... args) throws Exception {
        return new ControllerFixture(emulator, dir.resolve("csi.sock"), List.of(args));
    }

    void startPlugin(String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("--mode", "controller", "--endpoint", "unix://" + socket,
                "--project", PROJECT, "--zone", ZONE,
                "--compute-endpoint", emulator.baseUrl(), "--metadata-endpoint", emulator.baseUrl(),
                "--api-rate-limit", "1000", "--api-retry-backoff", "10ms", "--api-retry-max-backoff", "100ms",
                "--image-cache-ttl", "0s",
                "--shutdown-grace", "0s"));
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
        return cap(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER, false);
    }

    static VolumeCapability cap(VolumeCapability.AccessMode.Mode mode, boolean block) {
        VolumeCapability.Builder b = VolumeCapability.newBuilder()
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode));
        if (block) {
            b.setBlock(VolumeCapability.BlockVolume.getDefaultInstance());
        } else {
            b.setMount(VolumeCapability.MountVolume.newBuilder().setFsType("ext4"));
        }
        return b.build();
    }

    static String imagePath() {
        return "projects/" + PROJECT + "/global/images/" + IMAGE;
    }

    /** A CreateVolume for {@code name} from the test image, single-node writer, mount. */
    static CreateVolumeRequest.Builder create(String name) {
        return CreateVolumeRequest.newBuilder()
                .setName(name)
                .addVolumeCapabilities(mountWriter())
                .putAllParameters(Map.of("image", imagePath()));
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
