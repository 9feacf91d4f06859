package dev.imagedisk.gce.emulator;

import static dev.imagedisk.gce.emulator.TestSupport.P;
import static dev.imagedisk.gce.emulator.TestSupport.Z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.compute.v1.AttachDiskInstanceRequest;
import com.google.cloud.compute.v1.AttachedDisk;
import com.google.cloud.compute.v1.Disk;
import com.google.cloud.compute.v1.InsertDiskRequest;
import com.google.cloud.compute.v1.Operation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Storage off: 500 inserts and attaches through the real client, records only. */
class StorageOffScaleTest {
    @Test
    void fiveHundredInsertsAndAttachesSucceedAndLeaveNoFiles() throws Exception {
        Path data = Files.createTempDirectory("gce-emu-scale-");
        try (GceEmulator emu = GceEmulator.builder()
                        .storage(false)
                        .dataDir(data)
                        .operationDuration(Duration.ofMillis(20))
                        .start();
                Clients c = new Clients(emu.baseUrl())) {
            String image = emu.registerImage(P, "lib", "lib", 10);
            int nodes = 5;
            for (int n = 0; n < nodes; n++) {
                emu.addInstance(P, Z, "node-" + n, "e2-standard-4");
            }
            long t0 = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(16);
            try {
                List<Future<Operation>> results = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    String name = "pvc-" + i;
                    String node = "node-" + (i % nodes);
                    results.add(pool.submit(() -> {
                        Operation ins = c.disks
                                .insertCallable()
                                .call(InsertDiskRequest.newBuilder()
                                        .setProject(P)
                                        .setZone(Z)
                                        .setDiskResource(Disk.newBuilder()
                                                .setName(name)
                                                .setSizeGb(10)
                                                .setSourceImage(image))
                                        .build());
                        assertFalse(c.zoneOperations.wait(P, Z, ins.getName()).hasError());
                        Operation att = c.instances
                                .attachDiskCallable()
                                .call(AttachDiskInstanceRequest.newBuilder()
                                        .setProject(P)
                                        .setZone(Z)
                                        .setInstance(node)
                                        .setAttachedDiskResource(AttachedDisk.newBuilder()
                                                .setSource("zones/" + Z + "/disks/" + name)
                                                .setDeviceName(name))
                                        .build());
                        return c.zoneOperations.wait(P, Z, att.getName());
                    }));
                }
                for (Future<Operation> f : results) {
                    Operation op = f.get(60, TimeUnit.SECONDS);
                    assertEquals(Operation.Status.DONE, op.getStatus());
                    assertFalse(op.hasError(), op.toString());
                }
            } finally {
                pool.shutdownNow();
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            for (int n = 0; n < nodes; n++) {
                assertEquals(101, c.instances.get(P, Z, "node-" + n).getDisksCount());
            }
            assertEquals(500, emu.requestCount("disks.insert"));
            assertEquals(500, emu.requestCount("instances.attachDisk"));
            assertTrue(emu.boundLoopDevices().isEmpty());
            assertTrue(emu.diskFile(P, Z, "pvc-0").isEmpty());
            System.out.println("500 inserts + attaches: " + ms + " ms"); // a figure, not a bound
        }
        try (var files = Files.walk(data)) {
            // records only: nothing but the state file
            assertEquals(
                    List.of(data.resolve("state.json")),
                    files.filter(Files::isRegularFile).toList());
        } finally {
            TestSupport.deleteTree(data);
        }
    }

    @Test
    void recordsSurviveARestartWithoutStorage() throws Exception {
        Path data = Files.createTempDirectory("gce-emu-state-");
        try {
            try (GceEmulator emu =
                            GceEmulator.builder().storage(false).dataDir(data).start();
                    Clients c = new Clients(emu.baseUrl())) {
                emu.registerImage(P, "lib", "lib", 3);
                emu.addInstance(P, Z, "node-1", "e2-small");
                c.disks
                        .insertAsync(
                                P,
                                Z,
                                Disk.newBuilder()
                                        .setName("d")
                                        .setSizeGb(11)
                                        .putLabels("k", "v")
                                        .build())
                        .get();
                c.instances
                        .attachDiskAsync(
                                P,
                                Z,
                                "node-1",
                                AttachedDisk.newBuilder()
                                        .setSource("zones/" + Z + "/disks/d")
                                        .build())
                        .get();
            }
            try (GceEmulator emu =
                            GceEmulator.builder().storage(false).dataDir(data).start();
                    Clients c = new Clients(emu.baseUrl())) {
                Disk d = c.disks.get(P, Z, "d");
                assertEquals(11, d.getSizeGb());
                assertEquals("v", d.getLabelsMap().get("k"));
                assertEquals(0, d.getUsersCount());
                assertEquals(
                        "e2-small",
                        c.instances.get(P, Z, "node-1").getMachineType().replaceAll(".*/", ""));
                assertEquals(1, c.instances.get(P, Z, "node-1").getDisksCount());
                assertEquals("lib", c.images.getFromFamily(P, "lib").getName());
            }
        } finally {
            TestSupport.deleteTree(data);
        }
    }
}
