package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.ControllerFixture.NODE_1;
import static dev.imagedisk.csi.controller.ControllerFixture.PROJECT;
import static dev.imagedisk.csi.controller.ControllerFixture.ZONE;
import static dev.imagedisk.csi.controller.ControllerFixture.create;
import static dev.imagedisk.csi.controller.ControllerFixture.mountWriter;
import static dev.imagedisk.csi.controller.ControllerFixture.nodeId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.DeleteVolumeRequest;
import dev.imagedisk.gce.emulator.GceEmulator;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With the emulator's real storage: CreateVolume makes a disk file holding the image, Publish binds it to a
 * loop device behind {@code google-<deviceName>}, Unpublish and Delete undo both. Needs root and loop devices.
 */
@Tag("integration")
class RealStorageTest {
    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    @Test
    void diskFileAndLoopDeviceFollowTheVolume() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (loop devices)");
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/loop-control")), "needs /dev/loop-control");
        byte[] marker = "imagedisk-csi image contents".getBytes(StandardCharsets.US_ASCII);
        Path image = dir.resolve("image.raw");
        byte[] bytes = new byte[4 << 20];
        System.arraycopy(marker, 0, bytes, 0, marker.length);
        Files.write(image, bytes);
        Path byId = dir.resolve("by-id");
        try (GceEmulator emulator = GceEmulator.builder()
                        .storage(true)
                        .dataDir(dir.resolve("data"))
                        .deviceDir(byId)
                        .operationDuration(Duration.ofMillis(20))
                        .start();
                ControllerFixture f = ControllerFixture.start(dir, emulator)) {
            emulator.registerImage(PROJECT, "real", null, image);
            String v = f.stub()
                    .createVolume(create("pvc-real")
                            .putParameters("image", "projects/" + PROJECT + "/global/images/real")
                            .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(10 * GIB))
                            .build())
                    .getVolume()
                    .getVolumeId();
            Path file = emulator.diskFile(PROJECT, ZONE, "pvc-real").orElseThrow();
            assertEquals(10 * GIB, Files.size(file));
            assertArrayEquals(marker, head(file, marker.length));

            String device = f.stub()
                    .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                            .setVolumeId(v)
                            .setNodeId(nodeId(NODE_1))
                            .setVolumeCapability(mountWriter())
                            .build())
                    .getPublishContextOrThrow("deviceName");
            String loop = emulator.loopDevice(PROJECT, ZONE, NODE_1, device).orElseThrow();
            Path link = byId.resolve("google-" + device);
            assertEquals(Path.of(loop), link.toRealPath());
            assertArrayEquals(marker, head(link, marker.length));

            f.stub()
                    .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                            .setVolumeId(v)
                            .setNodeId(nodeId(NODE_1))
                            .build());
            assertFalse(Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS));
            assertFalse(emulator.boundLoopDevices().containsKey(loop));

            f.stub()
                    .deleteVolume(
                            DeleteVolumeRequest.newBuilder().setVolumeId(v).build());
            assertFalse(Files.exists(file));
            assertTrue(emulator.diskFile(PROJECT, ZONE, "pvc-real").isEmpty());
        }
    }

    private static byte[] head(Path p, int n) throws Exception {
        try (InputStream in = Files.newInputStream(p)) {
            return Arrays.copyOf(in.readNBytes(n), n);
        }
    }
}
