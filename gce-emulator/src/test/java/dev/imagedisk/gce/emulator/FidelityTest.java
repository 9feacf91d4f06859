package dev.imagedisk.gce.emulator;

import static dev.imagedisk.gce.emulator.TestSupport.P;
import static dev.imagedisk.gce.emulator.TestSupport.Z;
import static dev.imagedisk.gce.emulator.TestSupport.errorBody;
import static dev.imagedisk.gce.emulator.TestSupport.reason;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.api.gax.rpc.ApiException;
import com.google.cloud.compute.v1.AttachDiskInstanceRequest;
import com.google.cloud.compute.v1.AttachedDisk;
import com.google.cloud.compute.v1.Disk;
import com.google.cloud.compute.v1.InsertDiskRequest;
import com.google.cloud.compute.v1.Operation;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 10's fidelity fixes 3-5 through the real client (1, 2 and 6 are pinned in
 * {@link RealClientTest} and {@link ImagesClientTest}).
 */
class FidelityTest extends ClientTestBase {
    @Override
    GceEmulator.Builder emulator() {
        return GceEmulator.builder().storage(false);
    }

    private Operation insert(String name, long sizeGb, String type) {
        return c.disks
                .insertCallable()
                .call(InsertDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDiskResource(Disk.newBuilder()
                                .setName(name)
                                .setSizeGb(sizeGb)
                                .setType(type))
                        .build());
    }

    private Operation attach(String instance, String disk, String mode) {
        return c.instances
                .attachDiskCallable()
                .call(AttachDiskInstanceRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setInstance(instance)
                        .setAttachedDiskResource(AttachedDisk.newBuilder()
                                .setSource("zones/" + Z + "/disks/" + disk)
                                .setMode(mode))
                        .build());
    }

    /** 3: 16 disks (boot included) on shared-core machine types, 128 on the others. */
    @Test
    void diskLimitFollowsTheMachineType() throws Exception {
        for (String type : List.of("e2-micro", "e2-small", "e2-medium", "f1-micro", "g1-small")) {
            assertEquals(16, InstanceService.maxAttachedDisks(type), type);
        }
        assertEquals(128, InstanceService.maxAttachedDisks("e2-standard-2"));
        assertEquals(128, InstanceService.maxAttachedDisks("n2-highmem-8"));

        emu.addInstance(P, Z, "tiny", "e2-micro");
        emu.addInstance(P, Z, "big", "n2-standard-8");
        for (int i = 0; i < 128; i++) {
            insert("d" + i, 10, "pd-balanced");
        }
        for (int i = 0; i < 15; i++) {
            assertFalse(attach("tiny", "d" + i, "READ_WRITE").hasError());
        }
        ApiException full = assertThrows(ApiException.class, () -> attach("tiny", "d15", "READ_WRITE"));
        assertEquals(400, full.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("limitExceeded", reason(full));
        assertEquals(
                "Exceeded limit 'maximum_persistent_disks' on resource 'tiny'. Limit: 16.0",
                errorBody(full).at("/error/message").asText());
        for (int i = 15; i < 128; i++) {
            assertFalse(attach("big", "d" + i, "READ_WRITE").hasError(), "disk " + i);
        }
        assertEquals(1 + 113, c.instances.get(P, Z, "big").getDisksCount());
        // fill "big" up to 128 with the tiny instance's disks detached
        for (int i = 0; i < 14; i++) {
            c.instances
                    .detachDiskCallable()
                    .call(com.google.cloud.compute.v1.DetachDiskInstanceRequest.newBuilder()
                            .setProject(P)
                            .setZone(Z)
                            .setInstance("tiny")
                            .setDeviceName("persistent-disk-" + (i + 1))
                            .build());
            assertFalse(attach("big", "d" + i, "READ_WRITE").hasError());
        }
        assertEquals(128, c.instances.get(P, Z, "big").getDisksCount());
        c.instances
                .detachDiskCallable()
                .call(com.google.cloud.compute.v1.DetachDiskInstanceRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setInstance("tiny")
                        .setDeviceName("persistent-disk-15")
                        .build());
        ApiException bigFull = assertThrows(ApiException.class, () -> attach("big", "d14", "READ_WRITE"));
        assertEquals(
                "Exceeded limit 'maximum_persistent_disks' on resource 'big'. Limit: 128.0",
                errorBody(bigFull).at("/error/message").asText());
    }

    /**
     * 4: pd-standard, pd-balanced and pd-ssd take any whole size from 1 GB (the PD driver's e2e tests
     * make 5 GB ones on Compute Engine); the hyperdisk and pd-extreme minimums stay.
     */
    @Test
    void persistentDiskMinimumIsOneGigabyte() throws Exception {
        for (String type : List.of("pd-standard", "pd-balanced", "pd-ssd")) {
            insert(type + "-5", 5, type);
            insert(type + "-1", 1, type);
            assertEquals(5, c.disks.get(P, Z, type + "-5").getSizeGb());
            assertEquals(1, c.disks.get(P, Z, type + "-1").getSizeGb());
            ApiException zero = assertThrows(ApiException.class, () -> insert(type + "-0", 0, type));
            assertEquals("invalid", reason(zero));
        }
        ApiException hd = assertThrows(ApiException.class, () -> insert("hd", 3, "hyperdisk-balanced"));
        assertEquals("invalid", reason(hd));
        assertEquals(
                "Invalid value for field 'resource.sizeGb': '3'. Disk size cannot be smaller"
                        + " than 4 GB for disk type hyperdisk-balanced.",
                errorBody(hd).at("/error/message").asText());
        ApiException extreme = assertThrows(ApiException.class, () -> insert("x", 499, "pd-extreme"));
        assertEquals("invalid", reason(extreme));
    }

    /** 5: hyperdisk-balanced cannot be attached read-only (400 badRequest). */
    @Test
    void hyperdiskBalancedRefusesReadOnlyAttachment() throws Exception {
        emu.addInstance(P, Z, "node", "n2-standard-8");
        insert("hd", 10, "hyperdisk-balanced");
        ApiException ro = assertThrows(ApiException.class, () -> attach("node", "hd", "READ_ONLY"));
        assertEquals(400, ro.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("badRequest", reason(ro));
        assertEquals(
                "hyperdisk-balanced disk type cannot be attached in read-only mode.",
                errorBody(ro).at("/error/message").asText());
        assertEquals(1, c.instances.get(P, Z, "node").getDisksCount());
        assertFalse(attach("node", "hd", "READ_WRITE").hasError());
        // other types still attach read-only
        insert("pd", 10, "pd-balanced");
        assertFalse(attach("node", "pd", "READ_ONLY").hasError());
        assertEquals(3, c.instances.get(P, Z, "node").getDisksCount());
    }
}
