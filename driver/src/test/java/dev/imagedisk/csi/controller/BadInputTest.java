package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.FakeController.PROJECT;
import static dev.imagedisk.csi.controller.FakeController.create;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CreateVolumeRequest;
import csi.v1.ValidateVolumeCapabilitiesRequest;
import csi.v1.ValidateVolumeCapabilitiesResponse;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.imagedisk.csi.node.CapabilityTranslator;
import dev.imagedisk.csi.requests.CsiRequests;
import dev.imagedisk.csi.server.CsiFailure;
import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input a new user would try: a filesystem no node can mount, and an image URL on another host. Both are
 * INVALID_ARGUMENT naming what is wrong and what would do, before any disk is made.
 */
class BadInputTest {
    private final FakeController f = new FakeController();

    private static VolumeCapability mount(String fsType) {
        return CsiRequests.mount(Mode.SINGLE_NODE_WRITER, fsType);
    }

    private Status createVolume(CreateVolumeRequest request) {
        return f.call(f.service::createVolume, request).status();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ntfs", "vfat", "btrfs", "ext2", "EXT4", "zfs"})
    void aFilesystemNoNodeMountsIsRefusedAtCreateVolumeNamingTheSupportedOnes(String fsType) {
        Status s = createVolume(CreateVolumeRequest.newBuilder()
                .setName("fs-" + fsType.toLowerCase())
                .addVolumeCapabilities(mount(fsType))
                .putParameters("image", "projects/" + PROJECT + "/global/images/" + FakeController.IMAGE)
                .build());
        assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), s.toString());
        assertTrue(s.getDescription().contains("\"" + fsType + "\""), s.getDescription());
        assertTrue(s.getDescription().contains("ext4, ext3 or xfs"), s.getDescription());
        assertEquals(0, f.cloud.requestCount("disks.insert"), "no disk is made");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "ext4", "ext3", "xfs"})
    void theSupportedOnesAndNoneAreAccepted(String fsType) {
        Status s = createVolume(CreateVolumeRequest.newBuilder()
                .setName("fs-ok-" + (fsType.isEmpty() ? "default" : fsType))
                .addVolumeCapabilities(mount(fsType))
                .putParameters("image", "projects/" + PROJECT + "/global/images/" + FakeController.IMAGE)
                .build());
        assertEquals(Status.Code.OK, s.getCode(), s.toString());
    }

    @Test
    void validateVolumeCapabilitiesRefusesItTooAndSoDoesTheNode() {
        String v = f.call(f.service::createVolume, create("fs-validate").build())
                .value()
                .getVolume()
                .getVolumeId();
        var answer = f.call(
                f.service::validateVolumeCapabilities,
                ValidateVolumeCapabilitiesRequest.newBuilder()
                        .setVolumeId(v)
                        .addVolumeCapabilities(mount("ntfs"))
                        .build());
        assertEquals(Status.Code.INVALID_ARGUMENT, answer.code());
        assertTrue(answer.status().getDescription().contains("ext4, ext3 or xfs"));
        ValidateVolumeCapabilitiesResponse fine = f.call(
                        f.service::validateVolumeCapabilities,
                        ValidateVolumeCapabilitiesRequest.newBuilder()
                                .setVolumeId(v)
                                .addVolumeCapabilities(mount("xfs"))
                                .build())
                .value();
        assertTrue(fine.hasConfirmed(), fine.getMessage());

        // the node reads capabilities with the same rule (one definition in contract/FsTypes)
        CsiFailure node = org.junit.jupiter.api.Assertions.assertThrows(
                CsiFailure.class, () -> CapabilityTranslator.translate(mount("ntfs"), "volume_capability"));
        assertEquals(CsiFailure.Code.INVALID_ARGUMENT, node.code());
        assertTrue(node.getMessage().contains("ext4, ext3 or xfs"), node.getMessage());
        // ControllerPublish too
        var publish = f.call(
                f.service::controllerPublishVolume,
                csi.v1.ControllerPublishVolumeRequest.newBuilder()
                        .setVolumeId(v)
                        .setNodeId(FakeController.nodeId("node-1"))
                        .setVolumeCapability(mount("ntfs"))
                        .build());
        assertEquals(Status.Code.INVALID_ARGUMENT, publish.code());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "https://evil.example/compute/v1/projects/p/global/images/i",
                "https://evil.example/projects/p/global/images/i",
                "https://www.googleapis.com.evil.example/compute/v1/projects/p/global/images/i",
                "https://storage.googleapis.com/compute/v1/projects/p/global/images/i"
            })
    void anImageUrlOnAnotherHostIsRefusedNamingTheHost(String url) {
        Status s = createVolume(create("url-" + Math.abs(url.hashCode()))
                .putParameters("image", url)
                .build());
        assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), s.toString());
        String host = java.net.URI.create(url).getHost();
        assertTrue(s.getDescription().contains("host " + host), s.getDescription());
        assertEquals(0, f.cloud.requestCount("disks.insert"));
        assertEquals(0, f.cloud.requestCount("images.get"), "not even looked up");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "https://www.googleapis.com/compute/v1/projects/" + PROJECT + "/global/images/" + FakeController.IMAGE,
                "https://compute.googleapis.com/compute/v1/projects/" + PROJECT + "/global/images/"
                        + FakeController.IMAGE,
                "https://compute.googleapis.com/compute/beta/projects/" + PROJECT + "/global/images/"
                        + FakeController.IMAGE
            })
    void computeEnginesOwnUrlsAreAccepted(String url) {
        Status s = createVolume(create("url-ok-" + Math.abs(url.hashCode()))
                .putParameters("image", url)
                .build());
        assertEquals(Status.Code.OK, s.getCode(), s.toString());
    }

    @Test
    void aComputeHostWithAnotherShapeIsRefused() {
        for (String url : new String[] {
            "http://www.googleapis.com/compute/v1/projects/p/global/images/i",
            "https://www.googleapis.com/storage/v1/projects/p/global/images/i",
            "https://compute.googleapis.com/compute/v2/projects/p/global/images/i"
        }) {
            Status s = createVolume(create("shape-" + Math.abs(url.hashCode()))
                    .putParameters("image", url)
                    .build());
            assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), url);
            assertTrue(s.getDescription().contains("https://www.googleapis.com/compute/v1/projects/"), url);
        }
        // --default-image is read by the same rule
        assertFalse(StorageClassParameters.readImage("https://evil.example/compute/v1/projects/p/global/images/i", "p")
                .isPresent());
    }
}
