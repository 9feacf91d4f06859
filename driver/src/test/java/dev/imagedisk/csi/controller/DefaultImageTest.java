package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.ControllerFixture.PROJECT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CreateVolumeRequest;
import csi.v1.Volume;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --default-image: the image of a volume whose StorageClass names none (serve mode uses it for the sample). */
@Tag("integration")
class DefaultImageTest {
    @TempDir
    Path dir;

    @Test
    void aVolumeWithoutParametersIsMadeFromTheDefaultImage() throws Exception {
        try (ControllerFixture f = ControllerFixture.start(
                dir,
                Duration.ZERO,
                "--default-image",
                "projects/" + PROJECT + "/global/images/family/" + ControllerFixture.FAMILY)) {
            Volume v = f.stub()
                    .createVolume(CreateVolumeRequest.newBuilder()
                            .setName("no-parameters")
                            .addVolumeCapabilities(ControllerFixture.mountWriter())
                            .build())
                    .getVolume();
            assertTrue(
                    v.getVolumeContextOrThrow("image").endsWith("/global/images/" + ControllerFixture.IMAGE),
                    v.getVolumeContextMap().toString());
            assertEquals(1, f.emulator.requestCount("disks.insert"));
        }
    }

    @Test
    void aMalformedDefaultImageStopsTheStart() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ControllerFixture.start(dir, Duration.ZERO, "--default-image", "sd-image"));
        assertTrue(e.getMessage().contains("--default-image"), e.getMessage());
    }
}
