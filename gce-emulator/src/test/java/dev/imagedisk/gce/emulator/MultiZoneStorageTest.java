package dev.imagedisk.gce.emulator;

import static dev.imagedisk.gce.emulator.TestSupport.P;
import static dev.imagedisk.gce.emulator.TestSupport.run;
import static dev.imagedisk.gce.emulator.TestSupport.sbin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.compute.v1.AttachDiskInstanceRequest;
import com.google.cloud.compute.v1.AttachedDisk;
import com.google.cloud.compute.v1.DetachDiskInstanceRequest;
import com.google.cloud.compute.v1.Disk;
import com.google.cloud.compute.v1.InsertDiskRequest;
import com.google.cloud.compute.v1.Operation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Many nodes on one emulator with real storage: instances in two zones, each with its own device
 * dir, read-only attaches of one disk per zone to several instances. Needs root and loop devices
 * (skipped otherwise); cleans up every loop device and file it made.
 */
class MultiZoneStorageTest {
    static final String ZA = "us-central1-a";
    static final String ZB = "us-central1-b";

    Path tmp;
    GceEmulator emu;
    Clients c;

    @BeforeEach
    void setUp() throws Exception {
        TestSupport.assumeLoopDevices();
        tmp = Files.createTempDirectory("gce-emu-zones-");
        Path src = Files.createDirectories(tmp.resolve("content"));
        Files.writeString(src.resolve("hello.txt"), "hello from the image\n");
        Path image = tmp.resolve("image.ext4");
        try (var raf = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            raf.setLength(32L << 20);
        }
        run(sbin("mkfs.ext4"), "-F", "-q", "-d", src.toString(), image.toString());
        emu = GceEmulator.builder()
                .dataDir(tmp.resolve("data"))
                .waitTimeout(Duration.ofSeconds(30))
                .start();
        c = new Clients(emu.baseUrl());
        emu.registerImage(P, "runtime", null, image);
        emu.addInstance(P, ZA, "a-1", "e2-standard-4", tmp.resolve("a-1/by-id"));
        emu.addInstance(P, ZA, "a-2", "e2-standard-4", tmp.resolve("a-2/by-id"));
        emu.addInstance(P, ZB, "b-1", "e2-standard-4", tmp.resolve("b-1/by-id"));
    }

    @AfterEach
    void tearDown() {
        try {
            if (c != null) {
                c.close();
            }
            if (emu != null) {
                emu.close();
            }
        } finally {
            if (tmp != null) {
                TestSupport.releaseLoopsUnder(tmp);
                TestSupport.deleteTree(tmp);
            }
        }
    }

    private void insert(String zone, String name) {
        Operation op = c.disks
                .insertCallable()
                .call(InsertDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(zone)
                        .setDiskResource(Disk.newBuilder()
                                .setName(name)
                                .setSizeGb(4) // hyperdisk-ml's least
                                .setType("zones/" + zone + "/diskTypes/hyperdisk-ml")
                                .setAccessMode("READ_ONLY_MANY")
                                .setSourceImage("global/images/runtime"))
                        .build());
        assertFalse(c.zoneOperations.wait(P, zone, op.getName()).hasError());
    }

    private void attach(String zone, String instance, String disk) {
        Operation op = c.instances
                .attachDiskCallable()
                .call(AttachDiskInstanceRequest.newBuilder()
                        .setProject(P)
                        .setZone(zone)
                        .setInstance(instance)
                        .setAttachedDiskResource(AttachedDisk.newBuilder()
                                .setSource("zones/" + zone + "/disks/" + disk)
                                .setDeviceName("rox")
                                .setMode("READ_ONLY"))
                        .build());
        assertFalse(c.zoneOperations.wait(P, zone, op.getName()).hasError());
    }

    private void detach(String zone, String instance) {
        Operation op = c.instances
                .detachDiskCallable()
                .call(DetachDiskInstanceRequest.newBuilder()
                        .setProject(P)
                        .setZone(zone)
                        .setInstance(instance)
                        .setDeviceName("rox")
                        .build());
        assertFalse(c.zoneOperations.wait(P, zone, op.getName()).hasError());
    }

    @Test
    void eachInstanceSeesItsReadOnlyDeviceInItsOwnDeviceDir() throws Exception {
        insert(ZA, "rox-a");
        insert(ZB, "rox-b");
        attach(ZA, "a-1", "rox-a");
        attach(ZA, "a-2", "rox-a");
        attach(ZB, "b-1", "rox-b");
        for (String inst : List.of("a-1", "a-2", "b-1")) {
            Path link = tmp.resolve(inst + "/by-id/google-rox");
            assertTrue(Files.isSymbolicLink(link), link.toString());
            String dev = Files.readSymbolicLink(link).toString();
            assertEquals("1", run(sbin("blockdev"), "--getro", dev).trim(), dev + " of " + inst);
            assertTrue(run(sbin("blkid"), "-o", "value", "-s", "TYPE", dev).contains("ext4"));
        }
        // one loop device per attachment; the two zone-a instances share the zone-a disk's file
        assertEquals(3, emu.boundLoopDevices().size());
        Path fileA = emu.diskFile(P, ZA, "rox-a").orElseThrow();
        assertEquals(2, TestSupport.loopsOf(fileA).size());
        assertFalse(Files.exists(emu.deviceDir().orElseThrow().resolve("google-rox")));

        detach(ZA, "a-1");
        assertFalse(Files.exists(tmp.resolve("a-1/by-id/google-rox"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertTrue(Files.isSymbolicLink(tmp.resolve("a-2/by-id/google-rox")));
        detach(ZA, "a-2");
        detach(ZB, "b-1");
        assertEquals(0, emu.boundLoopDevices().size());
    }
}
