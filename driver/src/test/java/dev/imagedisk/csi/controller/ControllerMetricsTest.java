package dev.imagedisk.csi.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.Volume;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compute Engine API calls, retries and operation waits show up on the controller's metrics endpoint. */
@Tag("integration")
class ControllerMetricsTest {
    @TempDir
    Path dir;

    private static double sample(String body, String series) {
        Matcher m =
                Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(body);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void apiCallsRetriesAndOperationWaitsAreCounted() throws Exception {
        try (ControllerFixture f =
                ControllerFixture.start(dir, Duration.ofMillis(50), "--metrics-address", "127.0.0.1:0")) {
            f.emulator.faults().injectError("instances.attachDisk", 403, "rateLimitExceeded", 2);
            Volume v = f.stub()
                    .createVolume(ControllerFixture.create("pvc-metrics").build())
                    .getVolume();
            f.stub()
                    .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                            .setVolumeId(v.getVolumeId())
                            .setNodeId(ControllerFixture.nodeId(ControllerFixture.NODE_1))
                            .setVolumeCapability(ControllerFixture.mountWriter())
                            .build());

            HttpResponse<String> r = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(
                                            URI.create("http://127.0.0.1:" + f.plugin.metricsPort() + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            String body = r.body();
            assertEquals(
                    1, sample(body, "imagedisk_compute_api_calls_total{method=\"disks.insert\",outcome=\"ok\"}"), body);
            assertEquals(
                    2,
                    sample(
                            body,
                            "imagedisk_compute_api_calls_total{method=\"instances.attachDisk\",outcome=\"rateLimitExceeded\"}"),
                    body);
            assertEquals(
                    1,
                    sample(body, "imagedisk_compute_api_calls_total{method=\"instances.attachDisk\",outcome=\"ok\"}"),
                    body);
            assertEquals(2, sample(body, "imagedisk_compute_api_retries_total{method=\"instances.attachDisk\"}"), body);
            assertTrue(sample(body, "imagedisk_compute_operation_wait_seconds_count{operation=\"insert\"}") >= 1, body);
            assertTrue(
                    sample(body, "imagedisk_compute_operation_wait_seconds_count{operation=\"attachDisk\"}") >= 1,
                    body);
            assertEquals(
                    f.emulator.requestCount("disks.insert"),
                    sample(body, "imagedisk_compute_api_calls_total{method=\"disks.insert\",outcome=\"ok\"}"));
        }
    }
}
