package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.ControllerFixture.NODE_1;
import static dev.imagedisk.csi.controller.ControllerFixture.create;
import static dev.imagedisk.csi.controller.ControllerFixture.mountWriter;
import static dev.imagedisk.csi.controller.ControllerFixture.nodeId;

import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerUnpublishVolumeRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not part of the normal run (tagged, and its name matches no surefire include): the driver's own latency
 * on top of Compute Engine's. 100 CreateVolume and 100 ControllerPublishVolume calls, one after another,
 * against the emulator with 200 ms operations; reports p50 and p99 of (call latency - 200 ms).
 * Run: {@code mvn -pl driver test -DexcludedGroups=none -Dtest=ControllerLatencyMeasurement}.
 */
@Tag("measure")
class ControllerLatencyMeasurement {
    private static final Duration OPERATION = Duration.ofMillis(200);
    private static final int CALLS = 100;
    private static final int WARMUP = 10;

    @TempDir
    Path dir;

    @Test
    void createAndPublishOverhead() throws Exception {
        try (ControllerFixture f = ControllerFixture.start(dir, OPERATION)) {
            for (int i = 0; i < WARMUP; i++) {
                String v = f.stub().createVolume(create("warmup-" + i).build()).getVolume().getVolumeId();
                f.stub().controllerPublishVolume(publish(v));
                f.stub().controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder().setVolumeId(v)
                        .setNodeId(nodeId(NODE_1)).build());
            }
            List<String> volumes = new ArrayList<>();
            List<Double> create = new ArrayList<>();
            for (int i = 0; i < CALLS; i++) {
                long t0 = System.nanoTime();
                volumes.add(f.stub().createVolume(create(String.format("pvc-measure-%03d", i)).build())
                        .getVolume().getVolumeId());
                create.add((System.nanoTime() - t0) / 1e6);
            }
            List<Double> publish = new ArrayList<>();
            for (String v : volumes) {
                long t0 = System.nanoTime();
                f.stub().controllerPublishVolume(publish(v));
                publish.add((System.nanoTime() - t0) / 1e6);
            }
            String report = String.format("operation duration %d ms, %d calls each, sequential%n%s%n%s%n",
                    OPERATION.toMillis(), CALLS, line("CreateVolume", create), line("ControllerPublishVolume", publish));
            System.out.print(report);
            Files.writeString(Path.of("target", "controller-latency.txt"), report);
        }
    }

    private static ControllerPublishVolumeRequest publish(String v) {
        return ControllerPublishVolumeRequest.newBuilder().setVolumeId(v).setNodeId(nodeId(NODE_1))
                .setVolumeCapability(mountWriter()).build();
    }

    private static String line(String what, List<Double> millis) {
        List<Double> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        double op = OPERATION.toMillis();
        return String.format("%-24s total p50 %.1f ms p99 %.1f ms | minus operation: p50 %.1f ms p99 %.1f ms"
                + " (min %.1f, max %.1f)", what, pct(sorted, 50), pct(sorted, 99), pct(sorted, 50) - op,
                pct(sorted, 99) - op, sorted.get(0) - op, sorted.get(sorted.size() - 1) - op);
    }

    private static double pct(List<Double> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
