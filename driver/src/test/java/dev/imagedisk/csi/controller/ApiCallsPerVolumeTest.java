package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.ControllerFixture.NODE_1;
import static dev.imagedisk.csi.controller.ControllerFixture.create;
import static dev.imagedisk.csi.controller.ControllerFixture.mountWriter;
import static dev.imagedisk.csi.controller.ControllerFixture.nodeId;
import static org.junit.jupiter.api.Assertions.assertEquals;

import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.Volume;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one volume costs in Compute Engine requests with the image cache on: after the first CreateVolume has
 * read the image, CreateVolume is disks.insert + one zoneOperations.wait (the new disk is not read back), and
 * ControllerPublishVolume is instances.get + instances.attachDisk + one wait (the disk is read only when the
 * attach is refused).
 */
@Tag("integration")
class ApiCallsPerVolumeTest {
    @TempDir
    Path dir;

    @Test
    void fiveRequestsPerVolume() throws Exception {
        try (ControllerFixture f = ControllerFixture.start(dir, Duration.ofMillis(100), "--image-cache-ttl", "10m")) {
            f.stub().createVolume(create("first").build());
            Map<String, Long> before = new TreeMap<>(f.emulator.requestCounts());
            Volume v = f.stub().createVolume(create("second").build()).getVolume();
            f.stub()
                    .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                            .setVolumeId(v.getVolumeId())
                            .setNodeId(nodeId(NODE_1))
                            .setVolumeCapability(mountWriter())
                            .build());
            Map<String, Long> used = new TreeMap<>();
            f.emulator.requestCounts().forEach((m, n) -> {
                long d = n - before.getOrDefault(m, 0L);
                if (d > 0) {
                    used.put(m, d);
                }
            });
            assertEquals(
                    Map.of(
                            "disks.insert",
                            1L,
                            "zoneOperations.wait",
                            2L,
                            "instances.get",
                            1L,
                            "instances.attachDisk",
                            1L),
                    used);
            assertEquals(10L << 30, v.getCapacityBytes());
        }
    }
}
