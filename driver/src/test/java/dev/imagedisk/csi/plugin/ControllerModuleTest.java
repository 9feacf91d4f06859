package dev.imagedisk.csi.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.ControllerGrpc;
import csi.v1.IdentityGrpc;
import csi.v1.ProbeRequest;
import csi.v1.Volume;
import dev.imagedisk.csi.controller.ControllerFixture;
import dev.imagedisk.csi.server.CsiChannels;
import dev.imagedisk.gce.emulator.GceEmulator;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Wiring: project and zone from the metadata server; Probe follows the API's reachability. */
@Tag("integration")
class ControllerModuleTest {
    @TempDir
    Path dir;

    private static PluginRuntime plugin(Path socket, String... args) throws Exception {
        PluginCommand command = new PluginCommand();
        String[] base = {"--mode", "controller", "--endpoint", "unix://" + socket, "--shutdown-grace", "0s"};
        String[] all = new String[base.length + args.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(args, 0, all, base.length, args.length);
        new CommandLine(command).parseArgs(all);
        return PluginRuntime.start(command.config());
    }

    @Test
    void projectAndZoneComeFromTheMetadataServer() throws Exception {
        Path socket = dir.resolve("csi.sock");
        try (GceEmulator emulator = GceEmulator.builder().storage(false).start()) {
            emulator.registerImage("meta-project", "img", null, 10);
            emulator.addInstance("meta-project", "europe-west4-b", "controller-vm", "e2-small");
            emulator.setMetadataInstance("meta-project", "europe-west4-b", "controller-vm");
            try (PluginRuntime p = plugin(
                            socket,
                            "--compute-endpoint",
                            emulator.baseUrl(),
                            "--metadata-endpoint",
                            emulator.baseUrl());
                    CsiChannels.Client client = CsiChannels.connect(socket)) {
                Volume v = ControllerGrpc.newBlockingStub(client.channel())
                        .createVolume(ControllerFixture.create("m")
                                .putParameters("image", "global/images/img")
                                .build())
                        .getVolume();
                assertEquals("projects/meta-project/zones/europe-west4-b/disks/m", v.getVolumeId());
                assertTrue(IdentityGrpc.newBlockingStub(client.channel())
                        .probe(ProbeRequest.getDefaultInstance())
                        .getReady()
                        .getValue());
            }
        }
    }

    @Test
    void probeIsNotReadyWhenTheApiCannotBeReached() throws Exception {
        Path socket = dir.resolve("csi.sock");
        int port;
        try (GceEmulator gone = GceEmulator.builder().storage(false).start()) {
            port = gone.port();
        }
        try (PluginRuntime p = plugin(
                        socket,
                        "--project",
                        "p",
                        "--zone",
                        "us-central1-a",
                        "--compute-endpoint",
                        "http://127.0.0.1:" + port,
                        "--api-call-timeout",
                        "2s");
                CsiChannels.Client client = CsiChannels.connect(socket)) {
            assertFalse(IdentityGrpc.newBlockingStub(client.channel())
                    .probe(ProbeRequest.getDefaultInstance())
                    .getReady()
                    .getValue());
        }
    }

    @Test
    void noProjectAndNoMetadataServerFailsAtStart() {
        IllegalStateException e = assertThrows(
                IllegalStateException.class,
                () -> plugin(
                        dir.resolve("csi.sock"),
                        "--metadata-endpoint",
                        "http://127.0.0.1:9",
                        "--compute-endpoint",
                        "http://127.0.0.1:9"));
        assertTrue(e.getMessage().contains("--project"), e.getMessage());
    }

    @Test
    void badRateLimitFailsAtStart() {
        assertThrows(
                IllegalArgumentException.class,
                () -> plugin(
                        dir.resolve("csi.sock"),
                        "--project",
                        "p",
                        "--zone",
                        "us-central1-a",
                        "--api-rate-limit",
                        "0",
                        "--compute-endpoint",
                        "http://127.0.0.1:9"));
    }
}
