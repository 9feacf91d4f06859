package dev.imagedisk.csi.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.server.CsiFailure;
import io.grpc.Status;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The controller's pure parts: parameters, sizes, zones (names and ids: the contract package's tests). */
class ParsersTest {
    private static final long GIB = 1L << 30;

    private static Status.Code code(Runnable r) {
        return Status.Code.valueOf(assertThrows(CsiFailure.class, r::run).code().name());
    }

    @Test
    void imageParameterForms() {
        assertEquals(
                ImageRef.image("p1", "img"), StorageClassParameters.parseImage("projects/p1/global/images/img", "own"));
        assertEquals(
                ImageRef.family("p1", "fam"),
                StorageClassParameters.parseImage("projects/p1/global/images/family/fam", "own"));
        assertEquals(ImageRef.image("own", "img"), StorageClassParameters.parseImage("global/images/img", "own"));
        assertEquals(
                ImageRef.image("p1", "img"),
                StorageClassParameters.parseImage(
                        "https://www.googleapis.com/compute/v1/projects/p1/global/images/img", "own"));
        for (String bad : new String[] {
            "img",
            "projects/p1/images/img",
            "projects/p1/global/images/Img",
            "projects/p1/global/snapshots/s",
            "global/images/family/"
        }) {
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> StorageClassParameters.parseImage(bad, "own")), bad);
        }
    }

    @Test
    void thePartitionParameterIsAutoOrAPartitionNumber() {
        Map<String, String> image = Map.of("image", "global/images/i");
        assertEquals(
                "auto", StorageClassParameters.parse(image, "o").partition().value());
        for (String ok : new String[] {"auto", "1", "15", "128", " 2 "}) {
            Map<String, String> p = new LinkedHashMap<>(image);
            p.put("partition", ok);
            assertEquals(
                    ok.trim(), StorageClassParameters.parse(p, "o").partition().value(), ok);
        }
        for (String bad : new String[] {"0", "-1", "129", "1.0", "one", "p1", "AUTO", "01x"}) {
            Map<String, String> p = new LinkedHashMap<>(image);
            p.put("Partition", bad);
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> StorageClassParameters.parse(p, "o")), bad);
        }
    }

    @Test
    void parametersAreCaseInsensitiveAndChecked() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("Image", "global/images/img");
        p.put("TYPE", "pd-ssd");
        p.put("labels", "a=1,b-c=x_y, ü=ß");
        p.put("disk-encryption-kms-key", "projects/p/locations/global/keyRings/r/cryptoKeys/k");
        p.put("provisioned-iops-on-create", "3000");
        p.put("provisioned-throughput-on-create", "250Mi");
        p.put("csi.storage.k8s.io/pvc/name", "data");
        StorageClassParameters s = StorageClassParameters.parse(p, "own");
        assertEquals("pd-ssd", s.type());
        assertEquals(Map.of("a", "1", "b-c", "x_y", "ü", "ß"), s.labels());
        assertEquals(3000L, s.provisionedIops());
        assertEquals(250L, s.provisionedThroughput());
        assertEquals("data", s.pvcName());
        assertNull(s.pvName());
        assertEquals("managed", s.diskLabels().get("imagedisk-csi"));

        assertEquals(
                "pd-balanced",
                StorageClassParameters.parse(Map.of("image", "global/images/i"), "o")
                        .type());
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> StorageClassParameters.parse(Map.of(), "o")));
        // --default-image stands in for a missing image parameter, never for a given one
        assertEquals(
                "projects/o/global/images/base",
                StorageClassParameters.parse(Map.of(), "o", ImageRef.image("o", "base"))
                        .image()
                        .path());
        assertEquals(
                "projects/x/global/images/mine",
                StorageClassParameters.parse(
                                Map.of("image", "projects/x/global/images/mine"), "o", ImageRef.image("o", "base"))
                        .image()
                        .path());
        assertEquals(
                Status.Code.INVALID_ARGUMENT,
                code(() -> StorageClassParameters.parse(
                        Map.of("image", "global/images/i", "IMAGE", "global/images/j"), "o")));
        for (Map.Entry<String, String> bad : Map.of(
                        "labels",
                        "imagedisk-csi=x",
                        "provisioned-iops-on-create",
                        "-1",
                        "provisioned-throughput-on-create",
                        "fast",
                        "disk-encryption-kms-key",
                        "my-key",
                        "type",
                        "PD_SSD",
                        "replication-type",
                        "none")
                .entrySet()) {
            CsiFailure e = assertThrows(
                    CsiFailure.class,
                    () -> StorageClassParameters.parse(
                            Map.of("image", "global/images/i", bad.getKey(), bad.getValue()), "o"));
            assertEquals(CsiFailure.Code.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains(bad.getKey()), e.getMessage());
        }
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            many.append("k").append(i).append("=v,");
        }
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> StorageClassParameters.parseLabels(many.toString())));
        assertEquals(
                63,
                StorageClassParameters.parseLabels(many.substring(0, many.lastIndexOf("k63")))
                        .size());
    }

    @Test
    void sizes() {
        assertEquals(10, VolumeSize.forCreate(null, 10, "pd-balanced"));
        assertEquals(
                10,
                VolumeSize.forCreate(
                        CapacityRange.newBuilder().setRequiredBytes(10 * GIB).build(), 10, "pd-balanced"));
        assertEquals(
                11,
                VolumeSize.forCreate(
                        CapacityRange.newBuilder()
                                .setRequiredBytes(10 * GIB + 1)
                                .build(),
                        10,
                        "pd-balanced"));
        assertEquals(
                10,
                VolumeSize.forCreate(
                        CapacityRange.newBuilder().setLimitBytes(10 * GIB).build(), 10, "pd-balanced"));
        assertEquals(
                Status.Code.OUT_OF_RANGE,
                code(() -> VolumeSize.forCreate(
                        CapacityRange.newBuilder().setLimitBytes(9 * GIB).build(), 10, "pd-balanced")));
        assertEquals(
                Status.Code.INVALID_ARGUMENT,
                code(() -> VolumeSize.forCreate(
                        CapacityRange.newBuilder().setRequiredBytes(-1).build(), 10, "pd-balanced")));
        // raised to the type's minimum, within the limit; OUT_OF_RANGE when the limit is below it
        assertEquals(1, VolumeSize.forCreate(null, 1, "pd-balanced"));
        assertEquals(
                1,
                VolumeSize.forCreate(
                        CapacityRange.newBuilder().setRequiredBytes(GIB).build(), 1, "pd-ssd"));
        assertEquals(500, VolumeSize.forCreate(null, 1, "pd-extreme"));
        assertEquals(4, VolumeSize.forCreate(null, 1, "hyperdisk-balanced"));
        assertEquals(1, VolumeSize.forCreate(null, 1, "some-new-type"));
        assertEquals(
                Status.Code.OUT_OF_RANGE,
                code(() -> VolumeSize.forCreate(
                        CapacityRange.newBuilder()
                                .setRequiredBytes(GIB)
                                .setLimitBytes(GIB)
                                .build(),
                        1,
                        "hyperdisk-balanced")));
        assertTrue(VolumeSize.fits(null, 12, 10));
        assertTrue(!VolumeSize.fits(
                CapacityRange.newBuilder().setRequiredBytes(20 * GIB).build(), 12, 10));
        assertTrue(!VolumeSize.fits(
                CapacityRange.newBuilder().setLimitBytes(11 * GIB).build(), 12, 10));
        assertEquals(
                3,
                VolumeSize.forExpand(
                        CapacityRange.newBuilder().setRequiredBytes(2 * GIB + 1).build()));
        assertEquals(
                5,
                VolumeSize.forExpand(
                        CapacityRange.newBuilder().setLimitBytes(5 * GIB + 7).build()));
        assertEquals(
                Status.Code.INVALID_ARGUMENT, code(() -> VolumeSize.forExpand(CapacityRange.getDefaultInstance())));
    }

    @Test
    void zones() {
        String key = Keys.TOPOLOGY_ZONE;
        ZonePicker picker = new ZonePicker("zone-default");
        assertEquals("zone-default", picker.pick(TopologyRequirement.getDefaultInstance(), "v"));
        TopologyRequirement req = TopologyRequirement.newBuilder()
                .addRequisite(Topology.newBuilder().putSegments(key, "a"))
                .addRequisite(Topology.newBuilder().putSegments(key, "b"))
                .addRequisite(Topology.newBuilder().putSegments(key, "c"))
                .build();
        Set<String> chosen = new HashSet<>();
        for (int i = 0; i < 60; i++) {
            String z = picker.pick(req, "pvc-" + i);
            assertEquals(z, picker.pick(req, "pvc-" + i), "stable per name");
            chosen.add(z);
        }
        assertEquals(Set.of("a", "b", "c"), chosen, "spread over the requisite zones");
        assertEquals(
                "b",
                picker.pick(
                        req.toBuilder()
                                .addPreferred(Topology.newBuilder().putSegments(key, "b"))
                                .addPreferred(Topology.newBuilder().putSegments(key, "a"))
                                .build(),
                        "v"));
        assertEquals(
                Status.Code.INVALID_ARGUMENT,
                code(() -> picker.pick(
                        TopologyRequirement.newBuilder()
                                .addRequisite(Topology.newBuilder().putSegments("kubernetes.io/hostname", "n"))
                                .build(),
                        "v")));
    }
}
