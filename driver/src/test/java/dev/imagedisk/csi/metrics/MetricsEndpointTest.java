package dev.imagedisk.csi.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.IdentityGrpc;
import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeGrpc;
import csi.v1.ProbeRequest;
import dev.imagedisk.csi.plugin.PluginCommand;
import dev.imagedisk.csi.plugin.PluginRuntime;
import dev.imagedisk.csi.server.CsiChannels;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Scrapes the plugin's Prometheus endpoint over HTTP and checks the CSI call counters move. */
class MetricsEndpointTest {
    @TempDir
    Path dir;

    private static double sample(String body, String series) {
        Matcher m =
                Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(body);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static String scrape(int port) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    @Test
    void csiCallsAreCountedByMethodAndCode() throws Exception {
        Path socket = dir.resolve("csi.sock");
        PluginCommand command = new PluginCommand();
        new CommandLine(command)
                .parseArgs(
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
                        "--metrics-address",
                        "127.0.0.1:0");
        try (PluginRuntime plugin = PluginRuntime.start(command.config());
                CsiChannels.Client client = CsiChannels.connect(socket)) {
            String probe = "imagedisk_csi_calls_total{code=\"OK\",method=\"csi.v1.Identity/Probe\"}";
            double before = sample(scrape(plugin.metricsPort()), probe);
            for (int i = 0; i < 3; i++) {
                IdentityGrpc.newBlockingStub(client.channel()).probe(ProbeRequest.getDefaultInstance());
            }
            assertThrows(
                    StatusRuntimeException.class,
                    () -> NodeGrpc.newBlockingStub(client.channel())
                            .nodeGetVolumeStats(NodeGetVolumeStatsRequest.getDefaultInstance()));
            String body = scrape(plugin.metricsPort());
            assertEquals(before + 3, sample(body, probe), body);
            assertTrue(
                    Pattern.compile("(?m)^imagedisk_csi_calls_total\\{code=\"(?!OK)[A-Z_]+\","
                                    + "method=\"csi.v1.Node/NodeGetVolumeStats\"\\} 1\\.0$")
                            .matcher(body)
                            .find(),
                    "the failed call is counted under its error code: " + body);
            assertTrue(
                    sample(body, "imagedisk_csi_call_duration_seconds_count{method=\"csi.v1.Identity/Probe\"}") >= 3,
                    body);
            assertEquals(0, sample(body, "imagedisk_csi_calls_in_flight{method=\"csi.v1.Identity/Probe\"}"), body);
        }
    }

    @Test
    void addressParsing() {
        assertEquals(9808, MetricsServer.parse(":9808").getPort());
        assertEquals("127.0.0.1", MetricsServer.parse("127.0.0.1:9809").getHostString());
        assertThrows(IllegalArgumentException.class, () -> MetricsServer.parse("localhost"));
        assertThrows(IllegalArgumentException.class, () -> MetricsServer.parse("h:70000"));
    }
}
