package dev.imagedisk.gce.emulator;

import static dev.imagedisk.gce.emulator.TestSupport.P;
import static dev.imagedisk.gce.emulator.TestSupport.errorBody;
import static dev.imagedisk.gce.emulator.TestSupport.reason;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.api.gax.rpc.ApiException;
import com.google.cloud.compute.v1.AttachDiskInstanceRequest;
import com.google.cloud.compute.v1.AttachedDisk;
import com.google.cloud.compute.v1.DetachDiskInstanceRequest;
import com.google.cloud.compute.v1.Disk;
import com.google.cloud.compute.v1.InsertDiskRequest;
import com.google.cloud.compute.v1.Operation;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Read-only sharing through the real google-cloud-compute client: instances in two zones, disk
 * access modes, Hyperdisk ML from an image, the reader cap and the Hyperdisk ML attach pace (on an
 * injected clock: no sleeps).
 */
class ReadOnlySharingTest extends ClientTestBase {
    static final String ZA = "us-central1-a";
    static final String ZB = "us-central1-b";

    final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    String imageLink;

    @BeforeEach
    void records() {
        imageLink = emu.registerImage(P, "runtime-v1", "runtime", 4);
        emu.sharing().setClock(now::get);
        for (int i = 1; i <= 3; i++) {
            emu.addInstance(P, ZA, "a-" + i, "e2-standard-4");
            emu.addInstance(P, ZB, "b-" + i, "e2-standard-4");
        }
    }

    private Operation insert(String zone, String name, String type, String image, String accessMode) {
        Disk.Builder d = Disk.newBuilder().setName(name).setSizeGb(10).setType("zones/" + zone + "/diskTypes/" + type);
        if (image != null) {
            d.setSourceImage(image);
        }
        if (accessMode != null) {
            d.setAccessMode(accessMode);
        }
        return c.zoneOperations.wait(
                P,
                zone,
                c.disks
                        .insertCallable()
                        .call(InsertDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(zone)
                                .setDiskResource(d)
                                .build())
                        .getName());
    }

    private Operation attach(String zone, String instance, String disk, String mode) {
        Operation op = c.instances
                .attachDiskCallable()
                .call(AttachDiskInstanceRequest.newBuilder()
                        .setProject(P)
                        .setZone(zone)
                        .setInstance(instance)
                        .setAttachedDiskResource(AttachedDisk.newBuilder()
                                .setSource("projects/" + P + "/zones/" + zone + "/disks/" + disk)
                                .setDeviceName(disk)
                                .setMode(mode))
                        .build());
        return c.zoneOperations.wait(P, zone, op.getName());
    }

    private void detach(String zone, String instance, String device) {
        Operation op = c.instances
                .detachDiskCallable()
                .call(DetachDiskInstanceRequest.newBuilder()
                        .setProject(P)
                        .setZone(zone)
                        .setInstance(instance)
                        .setDeviceName(device)
                        .build());
        c.zoneOperations.wait(P, zone, op.getName());
    }

    @Test
    void instancesInTwoZonesAttachOnlyDisksOfTheirZone() throws Exception {
        assertEquals(3, c.instances.list(P, ZA).getPage().getResponse().getItemsCount());
        assertEquals(3, c.instances.list(P, ZB).getPage().getResponse().getItemsCount());
        insert(ZA, "ro-a", "pd-balanced", imageLink, null);
        insert(ZB, "ro-b", "pd-balanced", imageLink, null);
        assertFalse(attach(ZA, "a-1", "ro-a", "READ_ONLY").hasError());
        assertFalse(attach(ZB, "b-1", "ro-b", "READ_ONLY").hasError());
        ApiException crossZone = assertThrows(
                ApiException.class,
                () -> c.instances
                        .attachDiskCallable()
                        .call(AttachDiskInstanceRequest.newBuilder()
                                .setProject(P)
                                .setZone(ZB)
                                .setInstance("b-2")
                                .setAttachedDiskResource(AttachedDisk.newBuilder()
                                        .setSource("projects/" + P + "/zones/" + ZA + "/disks/ro-a")
                                        .setMode("READ_ONLY"))
                                .build()));
        assertEquals("invalid", reason(crossZone));
        assertTrue(errorBody(crossZone).at("/error/message").asText().contains("same zone"));
        assertTrue(c.disks.get(P, ZA, "ro-a").getUsers(0).endsWith("/zones/" + ZA + "/instances/a-1"));
        assertTrue(c.disks.get(P, ZB, "ro-b").getUsers(0).endsWith("/zones/" + ZB + "/instances/b-1"));
    }

    @Test
    void disksCarryAccessModeOnlyForHyperdisk() throws Exception {
        insert(ZA, "pd", "pd-balanced", imageLink, null);
        assertFalse(c.disks.get(P, ZA, "pd").hasAccessMode());
        insert(ZA, "hd", "hyperdisk-balanced", null, null);
        assertEquals("READ_WRITE_SINGLE", c.disks.get(P, ZA, "hd").getAccessMode());

        ApiException onPd =
                assertThrows(ApiException.class, () -> insert(ZA, "pd2", "pd-balanced", imageLink, "READ_ONLY_MANY"));
        assertEquals(400, onPd.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("invalid", reason(onPd));
        assertTrue(
                errorBody(onPd)
                        .at("/error/message")
                        .asText()
                        .startsWith("Invalid value for field 'resource.accessMode'"),
                errorBody(onPd).toString());
        ApiException roOnBalanced =
                assertThrows(ApiException.class, () -> insert(ZA, "hd2", "hyperdisk-balanced", null, "READ_ONLY_MANY"));
        assertEquals("invalid", reason(roOnBalanced));
        assertThrows(ApiException.class, () -> c.disks.get(P, ZA, "hd2"));
    }

    @Test
    void hyperdiskMlFromAnImageNeedsReadOnlyMany() throws Exception {
        ApiException single =
                assertThrows(ApiException.class, () -> insert(ZA, "ml-rws", "hyperdisk-ml", imageLink, null));
        assertEquals(400, single.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("invalid", reason(single));
        assertTrue(errorBody(single).at("/error/message").asText().contains("READ_ONLY_MANY"));
        assertThrows(ApiException.class, () -> insert(ZA, "ml-rws2", "hyperdisk-ml", imageLink, "READ_WRITE_SINGLE"));

        assertFalse(
                insert(ZA, "ml", "hyperdisk-ml", imageLink, "READ_ONLY_MANY").hasError());
        Disk ml = c.disks.get(P, ZA, "ml");
        assertEquals("READ_ONLY_MANY", ml.getAccessMode());
        assertTrue(ml.getType().endsWith("/diskTypes/hyperdisk-ml"));
        // a blank Hyperdisk ML disk may be READ_WRITE_SINGLE (written first, then shared)
        assertFalse(insert(ZA, "ml-blank", "hyperdisk-ml", null, null).hasError());
        assertEquals("READ_WRITE_SINGLE", c.disks.get(P, ZA, "ml-blank").getAccessMode());
    }

    @Test
    void readOnlyManyDiskIsAttachedReadOnlyToManyAndNeverReadWrite() throws Exception {
        insert(ZA, "ml", "hyperdisk-ml", imageLink, "READ_ONLY_MANY");
        ApiException rw = assertThrows(ApiException.class, () -> attach(ZA, "a-1", "ml", "READ_WRITE"));
        assertEquals(400, rw.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("invalid", reason(rw));
        assertTrue(errorBody(rw).at("/error/message").asText().contains("READ_ONLY_MANY"));
        for (int i = 1; i <= 3; i++) {
            assertFalse(attach(ZA, "a-" + i, "ml", "READ_ONLY").hasError());
        }
        Disk d = c.disks.get(P, ZA, "ml");
        assertEquals(3, d.getUsersCount());
        assertEquals("READ_ONLY", c.instances.get(P, ZA, "a-2").getDisks(1).getMode());
    }

    @Test
    void readWriteAttachOfADiskHeldReadOnlyElsewhereFailsInUse() throws Exception {
        insert(ZA, "pd", "pd-balanced", imageLink, null);
        attach(ZA, "a-1", "pd", "READ_ONLY");
        attach(ZA, "a-2", "pd", "READ_ONLY");
        Operation rw = attach(ZA, "a-3", "pd", "READ_WRITE");
        assertTrue(rw.hasError());
        assertEquals(
                "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE",
                rw.getError().getErrors(0).getCode());
        assertEquals(
                "The disk resource 'projects/" + P + "/zones/" + ZA + "/disks/pd' is already being used by 'projects/"
                        + P + "/zones/" + ZA + "/instances/a-1'",
                rw.getError().getErrors(0).getMessage());
        assertEquals(2, c.disks.get(P, ZA, "pd").getUsersCount());
        assertEquals(1, c.instances.get(P, ZA, "a-3").getDisksCount()); // the boot disk only

        // a Hyperdisk ML disk in READ_WRITE_SINGLE has one instance, in any mode
        insert(ZA, "ml-blank", "hyperdisk-ml", null, null);
        assertFalse(attach(ZA, "a-1", "ml-blank", "READ_ONLY").hasError());
        Operation second = attach(ZA, "a-2", "ml-blank", "READ_ONLY");
        assertEquals(
                "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE",
                second.getError().getErrors(0).getCode());
    }

    @Test
    void readerCapRefusesOneMoreReaderUntilOneLeaves() throws Exception {
        assertEquals(2500, emu.sharing().readerCap("hyperdisk-ml"));
        assertEquals(10, emu.sharing().readerCap("pd-balanced"));
        emu.sharing().setReaderCap("pd-balanced", 2);
        insert(ZA, "pd", "pd-balanced", imageLink, null);
        attach(ZA, "a-1", "pd", "READ_ONLY");
        attach(ZA, "a-2", "pd", "READ_ONLY");
        ApiException full = assertThrows(ApiException.class, () -> attach(ZA, "a-3", "pd", "READ_ONLY"));
        assertEquals(400, full.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("limitExceeded", reason(full));
        assertEquals(
                "Exceeded limit 'maximum_read_only_attachments' on resource 'pd' of type pd-balanced. Limit: 2.0",
                errorBody(full).at("/error/message").asText());
        detach(ZA, "a-1", "pd");
        assertFalse(attach(ZA, "a-3", "pd", "READ_ONLY").hasError());
        assertEquals(2, c.disks.get(P, ZA, "pd").getUsersCount());
        assertThrows(IllegalArgumentException.class, () -> emu.sharing().setReaderCap("pd-extreme", 5));
    }

    @Test
    void hyperdiskMlAttachesArePacedPerDiskAt100Per30Seconds() throws Exception {
        assertEquals(100, emu.sharing().attachPace());
        assertEquals(Duration.ofSeconds(30), emu.sharing().attachWindow());
        insert(ZA, "ml", "hyperdisk-ml", imageLink, "READ_ONLY_MANY");
        insert(ZA, "ml-2", "hyperdisk-ml", imageLink, "READ_ONLY_MANY");
        for (int i = 1; i <= 101; i++) {
            emu.addInstance(P, ZA, "r-" + i, "e2-standard-4");
        }
        for (int i = 1; i <= 100; i++) {
            assertFalse(attach(ZA, "r-" + i, "ml", "READ_ONLY").hasError(), "attach " + i);
            now.set(now.get().plusMillis(100)); // 100 attaches in 10 s
        }
        ApiException over = assertThrows(ApiException.class, () -> attach(ZA, "r-101", "ml", "READ_ONLY"));
        assertEquals(403, over.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("rateLimitExceeded", reason(over));
        assertEquals("usageLimits", errorBody(over).at("/error/errors/0/domain").asText());
        assertTrue(errorBody(over).at("/error/message").asText().contains("disks/ml'"));
        assertEquals(100, c.disks.get(P, ZA, "ml").getUsersCount());
        // the pace is per disk: another disk is not held back
        assertFalse(attach(ZA, "r-101", "ml-2", "READ_ONLY").hasError());
        // 30 s after the first attach, its slot is free again
        now.set(Instant.parse("2026-01-01T00:00:30Z"));
        assertFalse(attach(ZA, "r-101", "ml", "READ_ONLY").hasError());
        // pd-* attaches are not paced
        emu.sharing().setAttachPace(1, Duration.ofSeconds(30));
        insert(ZA, "pd", "pd-balanced", imageLink, null);
        for (int i = 1; i <= 3; i++) {
            assertFalse(attach(ZA, "a-" + i, "pd", "READ_ONLY").hasError());
        }
    }
}
