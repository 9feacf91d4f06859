package dev.imagedisk.csi.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.cloud.InstanceRef;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The id parsers: one strictness for volume, node and image ids, and the cloud refs read through them. */
class IdsTest {
    private static final String SELF = "https://www.googleapis.com/compute/v1/";

    @Test
    void volumeIdsRoundTrip() {
        VolumeId v = new VolumeId("my-project", "europe-west1-b", "pvc-1");
        assertEquals("projects/my-project/zones/europe-west1-b/disks/pvc-1", v.path());
        assertEquals(Optional.of(v), VolumeId.parse(v.path()));
        assertEquals(
                Optional.of(new VolumeId("example.com:p", "z", "d")),
                VolumeId.parse("projects/example.com:p/zones/z/disks/d"));
        assertEquals(
                Optional.of(new VolumeId("p", "z", "a".repeat(63))),
                VolumeId.parse("projects/p/zones/z/disks/" + "a".repeat(63)));
    }

    @Test
    void readerSetIdsAreTheMultiZoneFormAndNoZonalVolume() {
        String id = "projects/p/zones/multi-zone/disks/pvc-1";
        assertEquals(Optional.of(new ReaderSetId("p", "pvc-1")), ReaderSetId.parse(id));
        assertEquals(id, new ReaderSetId("p", "pvc-1").path());
        assertEquals(Optional.empty(), VolumeId.parse(id));
        assertEquals(Optional.empty(), ReaderSetId.parse("projects/p/zones/us-central1-a/disks/pvc-1"));
        assertEquals(true, VolumeId.isVolume(id));
        assertEquals(true, VolumeId.isVolume("projects/p/zones/us-central1-a/disks/pvc-1"));
        assertEquals(false, VolumeId.isVolume("projects/p/zones/multi-zone/disks/PVC"));
    }

    @Test
    void readerSetDiskNamesAreDeterministicValidAndReadBack() {
        ReaderSetId set = new ReaderSetId("p", "pvc-1");
        assertEquals("pvc-1", set.diskName(1));
        assertEquals(set.diskName(2), set.diskName(2));
        assertEquals(true, set.diskName(2).startsWith("pvc-1-2-"));
        ReaderSetId longest = new ReaderSetId("p", "a".repeat(63));
        for (int k = 1; k <= 12; k++) {
            for (ReaderSetId s : java.util.List.of(set, longest)) {
                String name = s.diskName(k);
                assertEquals(true, GceNames.isName(name), name);
                assertEquals(k, s.indexOf(name), name);
            }
        }
        assertEquals(0, set.indexOf("pvc-2"));
        assertEquals(0, set.indexOf("pvc-1-2-000000"));
        assertEquals(0, new ReaderSetId("p", "pvc").indexOf(set.diskName(1)));
    }

    /** Malformed ids: every one names no volume (and no node, as the same parser reads both). */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                " ",
                "fake-vol-id",
                "projects/x/zones/y/disks/../../../a",
                "projects/x/zones/y/disks/..",
                "projects/p/zones/z/disks/",
                "projects//zones/z/disks/d",
                "projects/p/zones//disks/d",
                "projects/p/zones/z/disks/A",
                "projects/P/zones/z/disks/d",
                "projects/p/zones/Z/disks/d",
                "projects/p/zones/z/instances/i",
                "projects/p/zones/z/disks/d/extra",
                "projects/p/zones/z/disks/d/",
                "/projects/p/zones/z/disks/d",
                "projects/p/zones/z/disks",
                "projects/p/regions/r/disks/d",
                "https://www.googleapis.com/compute/v1/projects/p/zones/z/disks/d",
                "projects/p/zones/z/disks/d ",
                "projects/p/zones/z/disks/-d",
                "projects/p/zones/z/disks/d_1",
                "projects/p/zones/z/disks/d%2F..",
                "PROJECTS/p/zones/z/disks/d",
                // 64 characters
                "projects/p/zones/z/disks/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            })
    void malformedVolumeIds(String id) {
        assertEquals(Optional.empty(), VolumeId.parse(id), id);
        assertEquals(Optional.empty(), ZonalPath.parse(id, "disks"), id);
        if (!id.contains("/instances/")) {
            assertEquals(Optional.empty(), NodeId.parse(id.replace("/disks/", "/instances/")), id);
        }
    }

    @Test
    void nullIsNoId() {
        assertEquals(Optional.empty(), VolumeId.parse(null));
        assertEquals(Optional.empty(), NodeId.parse(null));
        assertEquals(Optional.empty(), ImageId.parse(null));
        assertEquals(Optional.empty(), ZonalPath.parse(null, "disks"));
    }

    @Test
    void nodeIdsRoundTrip() {
        NodeId n = new NodeId("domain.com:p", "us-east1-c", "node-1");
        assertEquals(Optional.of(n), NodeId.parse(n.path()));
        assertEquals(Optional.empty(), NodeId.parse("node-1"));
        assertEquals(Optional.empty(), NodeId.parse("projects/p/zones/z/disks/node-1"), "a volume id is no node id");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "img",
                "projects/p1/images/img",
                "projects/p1/global/images/Img",
                "projects/p1/global/snapshots/s",
                "projects/p1/global/images/family/",
                "projects/p1/global/images/",
                "projects/p1/global/images/a/b",
                "projects/p1/global/images/family/f/x",
                "projects//global/images/i",
                "projects/p/global/images/../../x",
                "global/images/img",
                "projects/p/global/images/img/",
                "https://www.googleapis.com/compute/v1/projects/p/global/images/img",
                "projects/p/global/images/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            })
    void malformedImageIds(String id) {
        assertEquals(Optional.empty(), ImageId.parse(id), id);
    }

    @Test
    void imageIds() {
        assertEquals(Optional.of(ImageId.image("p", "img")), ImageId.parse("projects/p/global/images/img"));
        assertEquals(Optional.of(ImageId.family("p", "fam")), ImageId.parse("projects/p/global/images/family/fam"));
        assertEquals(
                "projects/p/global/images/family/fam",
                ImageId.family("p", "fam").path());
    }

    @Test
    void selfLinksAreCutToPathsFirst() {
        assertEquals("projects/p/zones/z/disks/d", ZonalPath.relative(SELF + "projects/p/zones/z/disks/d"));
        assertEquals("projects/p/zones/z/disks/d", ZonalPath.relative("projects/p/zones/z/disks/d"));
        assertEquals("", ZonalPath.relative(null));
        assertEquals(new DiskRef("p", "z", "d"), DiskRef.parse(SELF + "projects/p/zones/z/disks/d"));
        assertEquals(new InstanceRef("p", "z", "i"), InstanceRef.parse(SELF + "projects/p/zones/z/instances/i"));
        assertEquals(ImageRef.image("p", "i"), ImageRef.parse(SELF + "projects/p/global/images/i"));
        assertEquals(new DiskRef("p", "z", "d"), DiskRef.of(new DiskRef("p", "z", "d").volumeId()));
        // a self link is read with the same strictness as an id
        assertNull(DiskRef.parse(SELF + "projects/p/zones/z/disks/../../../a"));
        assertNull(DiskRef.parse(SELF + "projects/p/zones/z/disks/D"));
        assertNull(DiskRef.parse("https://host/no/projects/here"));
        assertNull(InstanceRef.parse(SELF + "projects/p/zones/z/disks/d"));
        assertNull(ImageRef.parse(SELF + "projects/p/global/images/I"));
    }
}
