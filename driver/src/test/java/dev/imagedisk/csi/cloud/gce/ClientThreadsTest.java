package dev.imagedisk.csi.cloud.gce;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.api.gax.httpjson.HttpJsonCallContext;
import com.google.cloud.compute.v1.Disk;
import com.google.cloud.compute.v1.InsertDiskRequest;
import com.google.cloud.compute.v1.Operation;
import com.google.cloud.compute.v1.WaitZoneOperationRequest;
import dev.imagedisk.gce.emulator.GceEmulator;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The client library must not leave a thread behind per call: a burst of 1,000 PVCs would exhaust the pod. */
@Tag("integration")
class ClientThreadsTest {
    private static long gaxThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("Gax-") || t.getName().startsWith("compute-http-"))
                .count();
    }

    @Test
    void sequentialCallsDoNotGrowTheClientThreadCount() throws Exception {
        try (GceEmulator emu = GceEmulator.builder().storage(false).start();
                ComputeClients clients =
                        ComputeClients.create(emu.baseUrl(), "test", Duration.ofSeconds(10), Duration.ofSeconds(30))) {
            emu.registerImage("p", "img", null, 10);
            for (int i = 0; i < 5; i++) {
                clients.images().get("p", "img");
            }
            long before = gaxThreads();
            for (int i = 0; i < 200; i++) {
                clients.images().get("p", "img");
                Operation op = clients.disks()
                        .insertCallable()
                        .call(InsertDiskRequest.newBuilder()
                                .setProject("p")
                                .setZone("us-central1-a")
                                .setDiskResource(
                                        Disk.newBuilder().setName("d" + i).setSizeGb(10))
                                .build());
                clients.zoneOperations()
                        .waitCallable()
                        .call(
                                WaitZoneOperationRequest.newBuilder()
                                        .setProject("p")
                                        .setZone("us-central1-a")
                                        .setOperation(op.getName())
                                        .build(),
                                HttpJsonCallContext.createDefault().withTimeoutDuration(Duration.ofSeconds(5)));
            }
            long after = gaxThreads();
            assertTrue(after <= before + 8, "client threads grew from " + before + " to " + after + " over 600 calls");
        }
    }
}
