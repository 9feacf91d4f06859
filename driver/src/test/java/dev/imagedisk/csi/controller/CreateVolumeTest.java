package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.ControllerFixture.GIB;
import static dev.imagedisk.csi.controller.ControllerFixture.IMAGE_GB;
import static dev.imagedisk.csi.controller.ControllerFixture.PROJECT;
import static dev.imagedisk.csi.controller.ControllerFixture.ZONE;
import static dev.imagedisk.csi.controller.ControllerFixture.create;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.CreateVolumeResponse;
import csi.v1.Volume;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** CreateVolume against the emulator, through the real client and a real socket. */
@Tag("integration")
class CreateVolumeTest {
    @RegisterExtension
    static final ControllerFixture f = ControllerFixture.perClass(Duration.ofMillis(20));

    @Test
    void createsADiskFromTheImageWithTopologyAndContext() {
        Volume v = f.stub()
                .createVolume(create("pvc-0b5c1a9e-1111-4222-8333-944445555666")
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(15 * GIB + 1))
                        .build())
                .getVolume();
        assertEquals(
                "projects/" + PROJECT + "/zones/" + ZONE + "/disks/pvc-0b5c1a9e-1111-4222-8333-944445555666",
                v.getVolumeId());
        assertEquals(16 * GIB, v.getCapacityBytes());
        assertEquals(ZONE, v.getAccessibleTopology(0).getSegmentsOrThrow("topology.imagedisk.csi.dev/zone"));
        assertTrue(
                v.getVolumeContextOrThrow("image").endsWith("projects/" + PROJECT + "/global/images/base-v1"),
                v.getVolumeContextMap().toString());
        assertEquals("pd-balanced", v.getVolumeContextOrThrow("type"));
        assertEquals("auto", v.getVolumeContextOrThrow("partition"), "the node chooses the partition by default");
    }

    @Test
    void thePartitionParameterIsPassedToTheNodeInTheVolumeContext() {
        Volume v = f.stub()
                .createVolume(
                        create("partition-one").putParameters("partition", "1").build())
                .getVolume();
        assertEquals("1", v.getVolumeContextOrThrow("partition"));
    }

    @Test
    void noCapacityRangeMeansTheImageSize() {
        Volume v = f.stub().createVolume(create("no-capacity").build()).getVolume();
        assertEquals(IMAGE_GB * GIB, v.getCapacityBytes());
    }

    @Test
    void sameRequestTwiceIsTheSameVolume() {
        CreateVolumeResponse a = f.stub().createVolume(create("twice").build());
        CreateVolumeResponse b = f.stub().createVolume(create("twice").build());
        assertEquals(a.getVolume(), b.getVolume());
    }

    @Test
    void sameNameDifferentSizeIsAlreadyExists() {
        f.stub()
                .createVolume(create("size-a")
                        .setCapacityRange(CapacityRange.newBuilder()
                                .setRequiredBytes(10 * GIB)
                                .setLimitBytes(10 * GIB))
                        .build());
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .createVolume(create("size-a")
                                .setCapacityRange(CapacityRange.newBuilder()
                                        .setRequiredBytes(20 * GIB)
                                        .setLimitBytes(20 * GIB))
                                .build()));
        assertEquals(Status.Code.ALREADY_EXISTS, e.getStatus().getCode(), e.getMessage());
    }

    @Test
    void sameNameDifferentTypeIsAlreadyExists() {
        f.stub().createVolume(create("type-a").build());
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .createVolume(
                                create("type-a").putParameters("type", "pd-ssd").build()));
        assertEquals(Status.Code.ALREADY_EXISTS, e.getStatus().getCode(), e.getMessage());
    }

    @Test
    void familyResolvesToTheNewestImageAndContextNamesIt() {
        f.emulator.registerImage(PROJECT, "fam2-v1", "fam2", 10);
        f.emulator.registerImage(PROJECT, "fam2-v2", "fam2", 12);
        Volume v = f.stub()
                .createVolume(create("from-family")
                        .putParameters("image", "projects/" + PROJECT + "/global/images/family/fam2")
                        .build())
                .getVolume();
        assertTrue(v.getVolumeContextOrThrow("image").endsWith("/global/images/fam2-v2"), v.toString());
        assertEquals(12 * GIB, v.getCapacityBytes());
        // the family moves on; the same request still names the same volume
        f.emulator.registerImage(PROJECT, "fam2-v3", "fam2", 12);
        Volume again = f.stub()
                .createVolume(create("from-family")
                        .putParameters("image", "projects/" + PROJECT + "/global/images/family/fam2")
                        .build())
                .getVolume();
        assertEquals(v, again);
    }

    @Test
    void ownProjectImageShortForm() {
        Volume v = f.stub()
                .createVolume(create("short-form")
                        .putParameters("image", "global/images/" + ControllerFixture.IMAGE)
                        .build())
                .getVolume();
        assertTrue(v.getVolumeContextOrThrow("image").endsWith("/projects/" + PROJECT + "/global/images/base-v1"));
    }

    @Test
    void sizeBelowTheImageIsOutOfRangeNamingBoth() {
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .createVolume(create("too-small")
                                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(5 * GIB))
                                .build()));
        assertEquals(Status.Code.OUT_OF_RANGE, e.getStatus().getCode());
        assertTrue(
                e.getStatus().getDescription().contains("5 GiB")
                        && e.getStatus().getDescription().contains("10 GiB"),
                e.getMessage());
    }

    @Test
    void limitBelowRequiredIsInvalidAndRoundedAboveLimitIsOutOfRange() {
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .createVolume(create("limits")
                                .setCapacityRange(CapacityRange.newBuilder()
                                        .setRequiredBytes(12 * GIB)
                                        .setLimitBytes(11 * GIB))
                                .build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .createVolume(create("limits")
                                .setCapacityRange(CapacityRange.newBuilder()
                                        .setRequiredBytes(11 * GIB + 1)
                                        .setLimitBytes(11 * GIB + 100))
                                .build()));
        assertEquals(Status.Code.OUT_OF_RANGE, e.getStatus().getCode());
    }

    @Test
    void unknownParameterIsInvalidArgumentNamingIt() {
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .createVolume(create("bad-param")
                                .putParameters("Replication-Type", "regional")
                                .build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("Replication-Type"), e.getMessage());
    }

    @Test
    void missingImageIsNotFound() {
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .createVolume(create("no-image")
                                .putParameters("image", "projects/" + PROJECT + "/global/images/nope")
                                .build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("nope"));
    }

    @Test
    void labelsAndPvcMetadataAreRecordedOnTheDisk() {
        Volume v = f.stub()
                .createVolume(create("pvc-labelled")
                        .putParameters("LABELS", "team=storage, cost-center=42")
                        .putParameters("csi.storage.k8s.io/pvc/name", "data")
                        .putParameters("csi.storage.k8s.io/pvc/namespace", "prod")
                        .putParameters("csi.storage.k8s.io/pv/name", "pvc-labelled")
                        .build())
                .getVolume();
        assertTrue(v.getVolumeId().endsWith("/disks/pvc-labelled"));
        // read back through the Compute Engine API, as an operator would
        var disk = readDisk("pvc-labelled");
        assertEquals(Map.of("team", "storage", "cost-center", "42", "imagedisk-csi", "managed"), disk.labels());
        assertTrue(
                disk.description().contains("\"kubernetes.io/created-for/pvc/namespace\":\"prod\""),
                disk.description());
        assertTrue(disk.description().contains("\"imagedisk.csi.dev/volume-name\":\"pvc-labelled\""));
    }

    @Test
    void badLabelsAreInvalidArgument() {
        for (String labels : new String[] {"Upper=x", "k=V", "1k=v", "k", "k=" + "v".repeat(64)}) {
            StatusRuntimeException e = assertThrows(
                    StatusRuntimeException.class,
                    () -> f.stub()
                            .createVolume(create("bad-labels")
                                    .putParameters("labels", labels)
                                    .build()),
                    labels);
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), labels);
        }
    }

    @Test
    void longAndOddNamesMapToValidDistinctDiskNames() {
        String longName = "sanity-controller-create-maxlen-" + "x".repeat(96);
        Volume a = f.stub().createVolume(create(longName).build()).getVolume();
        Volume b = f.stub()
                .createVolume(create(longName.substring(0, 127) + "y").build())
                .getVolume();
        Volume c = f.stub().createVolume(create("Odd.Name_With.Dots").build()).getVolume();
        String nameA = a.getVolumeId().substring(a.getVolumeId().lastIndexOf('/') + 1);
        String nameC = c.getVolumeId().substring(c.getVolumeId().lastIndexOf('/') + 1);
        assertTrue(nameA.length() <= 63 && nameA.matches("[a-z]([-a-z0-9]{0,61}[a-z0-9])?"), nameA);
        assertTrue(nameC.matches("[a-z]([-a-z0-9]{0,61}[a-z0-9])?"), nameC);
        assertTrue(!a.getVolumeId().equals(b.getVolumeId()));
        assertEquals(a, f.stub().createVolume(create(longName).build()).getVolume());
    }

    @Test
    void unsupportedAccessModesAndContentSourcesAreInvalid() {
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .createVolume(create("multi-writer")
                                .clearVolumeCapabilities()
                                .addVolumeCapabilities(ControllerFixture.cap(
                                        csi.v1.VolumeCapability.AccessMode.Mode.MULTI_NODE_MULTI_WRITER, false))
                                .build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .createVolume(
                                create("no-caps").clearVolumeCapabilities().build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub()
                        .createVolume(create("snap")
                                .setVolumeContentSource(csi.v1.VolumeContentSource.newBuilder()
                                        .setSnapshot(csi.v1.VolumeContentSource.SnapshotSource.newBuilder()
                                                .setSnapshotId("s")))
                                .build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), "a snapshot id that is no image names nothing");
        e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub().createVolume(create("").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        // read-only many and block single-node are fine
        f.stub()
                .createVolume(create("rox")
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(ControllerFixture.cap(
                                csi.v1.VolumeCapability.AccessMode.Mode.MULTI_NODE_READER_ONLY, false))
                        .build());
        f.stub()
                .createVolume(create("block")
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(ControllerFixture.cap(
                                csi.v1.VolumeCapability.AccessMode.Mode.SINGLE_NODE_SINGLE_WRITER, true))
                        .build());
    }

    @Test
    void zoneComesFromTopology() {
        String key = "topology.imagedisk.csi.dev/zone";
        Volume v = f.stub()
                .createVolume(create("zoned")
                        .setAccessibilityRequirements(csi.v1.TopologyRequirement.newBuilder()
                                .addRequisite(
                                        csi.v1.Topology.newBuilder().putSegments(key, ControllerFixture.OTHER_ZONE))
                                .addRequisite(csi.v1.Topology.newBuilder().putSegments(key, ZONE))
                                .addPreferred(
                                        csi.v1.Topology.newBuilder().putSegments(key, ControllerFixture.OTHER_ZONE)))
                        .build())
                .getVolume();
        assertEquals(
                "projects/" + PROJECT + "/zones/" + ControllerFixture.OTHER_ZONE + "/disks/zoned", v.getVolumeId());
        assertEquals(ControllerFixture.OTHER_ZONE, v.getAccessibleTopology(0).getSegmentsOrThrow(key));
    }

    private dev.imagedisk.csi.cloud.Disk readDisk(String name) {
        try (var clients = dev.imagedisk.csi.cloud.gce.ComputeClients.create(
                        f.emulator.baseUrl(), "test", Duration.ofSeconds(10), Duration.ofSeconds(10));
                var cloud = dev.imagedisk.csi.cloud.gce.EmulatorClouds.google(
                        clients, PROJECT, ZONE, Duration.ofSeconds(10))) {
            return cloud.getDisk(new dev.imagedisk.csi.cloud.DiskRef(PROJECT, ZONE, name))
                    .orElseThrow();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
