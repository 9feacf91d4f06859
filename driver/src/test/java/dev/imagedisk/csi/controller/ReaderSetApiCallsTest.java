package dev.imagedisk.csi.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import csi.v1.ControllerGrpc;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerPublishVolumeResponse;
import csi.v1.CreateVolumeRequest;
import csi.v1.TopologyRequirement;
import csi.v1.VolumeCapability.AccessMode.Mode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a reader costs in Compute Engine requests when many publish at once (the emulator counts them): a reader set
 * on one Hyperdisk ML disk, 60 readers publishing together. Printed as a table; bounded loosely (a regression guard,
 * not the benchmark).
 */
@Tag("integration")
class ReaderSetApiCallsTest {
    @TempDir
    Path dir;

    @Test
    void sixtyConcurrentReadersCostFewRequestsEach() throws Exception {
        int readers = 60;
        try (ControllerFixture f = ControllerFixture.start(dir, Duration.ofMillis(100))) {
            List<String> nodes = new ArrayList<>();
            for (int i = 1; i <= readers; i++) {
                f.emulator.addInstance(ControllerFixture.PROJECT, ControllerFixture.ZONE, "r-" + i, "e2-standard-2");
                nodes.add("projects/" + ControllerFixture.PROJECT + "/zones/" + ControllerFixture.ZONE + "/instances/r-"
                        + i);
            }
            String id = f.stub()
                    .createVolume(CreateVolumeRequest.newBuilder()
                            .setName("pvc-calls")
                            .addVolumeCapabilities(ControllerFixture.cap(Mode.MULTI_NODE_READER_ONLY, false))
                            .putParameters(
                                    "image",
                                    "projects/" + ControllerFixture.PROJECT + "/global/images/"
                                            + ControllerFixture.IMAGE)
                            .putParameters("type", "hyperdisk-ml")
                            .putParameters("replicas", "on-demand")
                            .setAccessibilityRequirements(TopologyRequirement.newBuilder()
                                    .addRequisite(FakeController.zone(ControllerFixture.ZONE)))
                            .build())
                    .getVolume()
                    .getVolumeId();
            f.emulator.resetRequestCounts();
            ControllerGrpc.ControllerFutureStub async =
                    ControllerGrpc.newFutureStub(f.client.channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
            List<ListenableFuture<ControllerPublishVolumeResponse>> calls = new ArrayList<>();
            for (String n : nodes) {
                calls.add(async.controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                        .setVolumeId(id)
                        .setNodeId(n)
                        .setVolumeCapability(ControllerFixture.cap(Mode.MULTI_NODE_READER_ONLY, false))
                        .setReadonly(true)
                        .build()));
            }
            for (var c : calls) {
                assertEquals(
                        "pvc-calls",
                        c.get(60, TimeUnit.SECONDS).getPublishContextMap().get("deviceName"));
            }
            Map<String, Long> counts = new TreeMap<>(f.emulator.requestCounts());
            long total = counts.values().stream().mapToLong(Long::longValue).sum();
            StringBuilder table = new StringBuilder("| method | requests | per reader |\n| --- | --- | --- |\n");
            counts.forEach((m, n) -> table.append(String.format("| %s | %d | %.2f |%n", m, n, n / (double) readers)));
            table.append(String.format("| total | %d | %.2f |%n", total, total / (double) readers));
            System.out.println(table);
            assertEquals(readers, counts.get("instances.attachDisk"));
            assertTrue(total <= 3L * readers, table.toString());
        }
    }
}
