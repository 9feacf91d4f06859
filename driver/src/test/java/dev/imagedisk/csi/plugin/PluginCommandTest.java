package dev.imagedisk.csi.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.IdentityGrpc;
import csi.v1.ProbeRequest;
import dev.imagedisk.csi.server.CsiChannels;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class PluginCommandTest {
    @TempDir
    Path dir;

    private int run(StringWriter err, String... args) {
        CommandLine cl = new CommandLine(new PluginCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        return cl.execute(args);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp://127.0.0.1:10000", "/tmp/csi.sock", "unix://relative/csi.sock", "unix:csi.sock", ""})
    void badEndpointExitsTwoWithTheReason(String endpoint) {
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, "--mode", "node", "--endpoint", endpoint));
        assertTrue(err.toString().contains("endpoint"), err.toString());
        assertTrue(err.toString().contains("Usage"), "usage is printed: " + err);
    }

    @ParameterizedTest
    @ValueSource(strings = {"--no-such-flag", "--mode=sideways", "--shutdown-grace=soon", "--log-format=xml"})
    void unknownOrMalformedFlagsExitTwo(String flag) {
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, flag));
        assertFalse(err.toString().isBlank());
    }

    /** The image build's class-data-sharing training run: starts, calls itself over its socket, exits 0. */
    @Test
    void selfTestServesItsFirstCallsAndExits() {
        Path socket = dir.resolve("cds/csi.sock");
        StringWriter err = new StringWriter();
        assertEquals(
                0,
                run(
                        err,
                        "--self-test",
                        "--mode",
                        "node",
                        "--endpoint",
                        "unix://" + socket,
                        "--node-id",
                        "projects/p/zones/z/instances/i",
                        "--zone",
                        "z",
                        "--kubelet-dir",
                        dir.toString(),
                        "--device-dir",
                        dir.toString(),
                        "--log-level",
                        "warn"),
                err.toString());
        assertFalse(Files.exists(socket), "the socket is removed when the self-test ends");
    }

    /** The real process: serves, answers Probe, and on SIGTERM exits 0 and removes its socket. */
    @Test
    void processServesAndExitsZeroOnSigterm() throws Exception {
        Path socket = dir.resolve("run/csi.sock");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                PluginCommand.class.getName(),
                "--mode",
                "node",
                "--endpoint",
                "unix://" + socket,
                "--node-id",
                "projects/p/zones/z/instances/i",
                "--zone",
                "z",
                "--kubelet-dir",
                dir.toString(),
                "--device-dir",
                dir.toString(),
                "--shutdown-grace",
                "5s"));
        pb.redirectErrorStream(true);
        File log = dir.resolve("plugin.log").toFile();
        pb.redirectOutput(log);
        Process p = pb.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            boolean answered = false;
            while (!answered && System.nanoTime() < deadline && p.isAlive()) {
                if (Files.exists(socket)) {
                    try (CsiChannels.Client client = CsiChannels.connect(socket)) {
                        answered = IdentityGrpc.newBlockingStub(client.channel())
                                .withDeadlineAfter(2, TimeUnit.SECONDS)
                                .probe(ProbeRequest.getDefaultInstance())
                                .getReady()
                                .getValue();
                    } catch (RuntimeException notYet) {
                        // still starting
                    }
                }
                if (!answered) {
                    Thread.sleep(50);
                }
            }
            assertTrue(answered, "plugin never answered Probe: " + Files.readString(log.toPath()));
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "plugin did not stop on SIGTERM");
            assertEquals(0, p.exitValue(), Files.readString(log.toPath()));
            assertFalse(Files.exists(socket), "socket removed on shutdown");
            assertTrue(
                    Files.readString(log.toPath()).contains("method=csi.v1.Identity/Probe"),
                    "every RPC is logged: " + Files.readString(log.toPath()));
        } finally {
            p.destroyForcibly();
        }
    }
}
