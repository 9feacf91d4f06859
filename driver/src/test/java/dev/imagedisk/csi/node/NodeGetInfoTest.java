package dev.imagedisk.csi.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import csi.v1.NodeGetInfoRequest;
import csi.v1.NodeGetInfoResponse;
import dev.imagedisk.csi.contract.Keys;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NodeGetInfo from flags and from a (local, fake) Compute Engine metadata server. */
class NodeGetInfoTest {
    @TempDir
    Path dir;

    HttpServer server;
    final AtomicInteger requests = new AtomicInteger();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** Serves {@code /computeMetadata/v1/<path>} only with the Metadata-Flavor: Google header. */
    String metadata(String machineType) throws Exception {
        Map<String, String> answers = Map.of(
                "project/project-id", "proj-1",
                "instance/zone", "projects/123456/zones/europe-west1-b",
                "instance/name", "vm-7",
                "instance/machine-type", "projects/123456/machineTypes/" + machineType);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/computeMetadata/v1/", exchange -> {
            requests.incrementAndGet();
            String path = exchange.getRequestURI().getPath().substring("/computeMetadata/v1/".length());
            String answer = answers.get(path);
            int status = !"Google".equals(exchange.getRequestHeaders().getFirst("Metadata-Flavor"))
                    ? 403
                    : answer == null ? 404 : 200;
            byte[] body = (status == 200 ? answer : "no").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Metadata-Flavor", "Google");
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    NodeGetInfoResponse info(NodePlugin plugin) {
        return plugin.node().nodeGetInfo(NodeGetInfoRequest.getDefaultInstance());
    }

    @Test
    void flagsAloneNeedNoMetadataServer() throws Exception {
        DeviceLab lab = new DeviceLab(dir);
        try (NodePlugin plugin = new NodePlugin(
                lab,
                "--node-id",
                "projects/p/zones/us-east1-c/instances/n-1",
                "--zone",
                "us-east1-c",
                "--metadata-endpoint",
                "http://127.0.0.1:9")) {
            NodeGetInfoResponse info = info(plugin);
            assertEquals("projects/p/zones/us-east1-c/instances/n-1", info.getNodeId());
            assertEquals(
                    Map.of(Keys.TOPOLOGY_ZONE, "us-east1-c"),
                    info.getAccessibleTopology().getSegmentsMap());
            assertEquals(127, info.getMaxVolumesPerNode(), "machine type unknown: the general limit");
        }
        try (NodePlugin plugin = new NodePlugin(
                lab,
                "--node-id",
                "projects/p/zones/us-east1-c/instances/n-1",
                "--zone",
                "",
                "--max-volumes-per-node",
                "15",
                "--metadata-endpoint",
                "http://127.0.0.1:9")) {
            NodeGetInfoResponse info = info(plugin);
            assertEquals(
                    "us-east1-c",
                    info.getAccessibleTopology().getSegmentsMap().get(Keys.TOPOLOGY_ZONE),
                    "the zone comes from --node-id");
            assertEquals(15, info.getMaxVolumesPerNode());
        }
    }

    @Test
    void theMetadataServerFillsWhatTheFlagsLeaveOut() throws Exception {
        DeviceLab lab = new DeviceLab(dir);
        try (NodePlugin plugin =
                new NodePlugin(lab, "--node-id", "", "--zone", "", "--metadata-endpoint", metadata("e2-medium"))) {
            NodeGetInfoResponse info = info(plugin);
            assertEquals("projects/proj-1/zones/europe-west1-b/instances/vm-7", info.getNodeId());
            assertEquals(
                    "europe-west1-b",
                    info.getAccessibleTopology().getSegmentsMap().get(Keys.TOPOLOGY_ZONE));
            assertEquals(15, info.getMaxVolumesPerNode(), "e2-medium is shared-core");
            int asked = requests.get();
            assertEquals(info, info(plugin));
            assertEquals(asked, requests.get(), "the answer is cached");
        }
    }

    @Test
    void aStandardMachineTypeAttaches127() throws Exception {
        DeviceLab lab = new DeviceLab(dir);
        try (NodePlugin plugin =
                new NodePlugin(lab, "--node-id", "", "--zone", "", "--metadata-endpoint", metadata("n2-standard-8"))) {
            assertEquals(127, info(plugin).getMaxVolumesPerNode());
        }
        assertEquals(15, NodeIdentity.maxVolumesFor("f1-micro"));
        assertEquals(15, NodeIdentity.maxVolumesFor("g1-small"));
        assertEquals(15, NodeIdentity.maxVolumesFor("e2-micro"));
        assertEquals(15, NodeIdentity.maxVolumesFor("e2-small"));
        assertEquals(127, NodeIdentity.maxVolumesFor("e2-standard-2"));
    }

    @Test
    void withoutFlagsOrMetadataTheNodeStartsAndSaysWhy() throws Exception {
        DeviceLab lab = new DeviceLab(dir);
        try (NodePlugin plugin =
                new NodePlugin(lab, "--node-id", "", "--zone", "", "--metadata-endpoint", "http://127.0.0.1:9")) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> info(plugin));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
            assertTrue(
                    e.getStatus().getDescription().contains("--node-id"),
                    e.getStatus().getDescription());
        }
    }

    @Test
    void aMalformedNodeIdOrAConflictingZoneStopsTheStart() throws Exception {
        DeviceLab lab = new DeviceLab(dir);
        IllegalArgumentException bad =
                assertThrows(IllegalArgumentException.class, () -> new NodePlugin(lab, "--node-id", "node-1"));
        assertTrue(bad.getMessage().contains("projects/P/zones/Z/instances/NAME"), bad.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> new NodePlugin(lab, "--node-id", "projects/p/zones/a/instances/n", "--zone", "b"));
    }
}
