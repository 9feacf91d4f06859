package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.ControllerFixture.create;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import csi.v1.ControllerGrpc;
import csi.v1.CreateVolumeResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The project's API rate limit (in the emulator: 4 mutating requests a second) is ridden out by backoff. */
@Tag("integration")
class RateLimitTest {
    @RegisterExtension
    static final ControllerFixture f = ControllerFixture.perClass(
            Duration.ofMillis(20),
            "--api-retries",
            "12",
            "--api-retry-backoff",
            "50ms",
            "--api-retry-max-backoff",
            "500ms");

    @Test
    void burstOverTheProjectRateLimitStillSucceeds() throws Exception {
        f.emulator.faults().setRateLimit(4);
        try {
            ControllerGrpc.ControllerFutureStub stub = ControllerGrpc.newFutureStub(f.client.channel());
            List<ListenableFuture<CreateVolumeResponse>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(stub.createVolume(create("pvc-burst-" + i).build()));
            }
            for (ListenableFuture<CreateVolumeResponse> c : calls) {
                c.get(30, TimeUnit.SECONDS);
            }
            long inserts = f.emulator.requestCount("disks.insert");
            assertTrue(inserts > 8, "rate-limited inserts were retried: " + inserts + " requests for 8 disks");
        } finally {
            f.emulator.faults().setRateLimit(0);
        }
        assertEquals(
                8,
                f.stub()
                        .listVolumes(csi.v1.ListVolumesRequest.getDefaultInstance())
                        .getEntriesCount());
    }
}
