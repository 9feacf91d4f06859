package dev.imagedisk.gce.emulator;

import static dev.imagedisk.gce.emulator.TestSupport.P;
import static dev.imagedisk.gce.emulator.TestSupport.Z;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.api.gax.rpc.ApiException;
import com.google.cloud.compute.v1.Disk;
import com.google.cloud.compute.v1.InsertDiskRequest;
import com.google.cloud.compute.v1.TestPermissionsRequest;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** images, disks and instances testIamPermissions through the real client. */
class IamPermissionsTest extends ClientTestBase {
    @BeforeEach
    void records() throws Exception {
        emu.registerImage(P, "base", "runtime", 3);
        emu.addInstance(P, Z, "node-1", "e2-standard-4");
        c.disks
                .insertAsync(InsertDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDiskResource(Disk.newBuilder().setName("d1").setSizeGb(10))
                        .build())
                .get();
    }

    private static TestPermissionsRequest ask(String... permissions) {
        return TestPermissionsRequest.newBuilder()
                .addAllPermissions(List.of(permissions))
                .build();
    }

    @Test
    void answersTheHeldPermissionsInTheRequestsOrder() {
        assertEquals(
                List.of("compute.images.useReadOnly", "compute.images.get"),
                c.images
                        .testIamPermissions(P, "base", ask("compute.images.useReadOnly", "compute.images.get"))
                        .getPermissionsList());
        assertEquals(
                List.of("compute.disks.use"),
                c.disks.testIamPermissions(P, Z, "d1", ask("compute.disks.use")).getPermissionsList());
        assertEquals(
                List.of("compute.instances.attachDisk", "compute.instances.detachDisk"),
                c.instances
                        .testIamPermissions(
                                P, Z, "node-1", ask("compute.instances.attachDisk", "compute.instances.detachDisk"))
                        .getPermissionsList());
    }

    @Test
    void aRevokedPermissionIsLeftOutAndNoneHeldAnswersAnEmptyList() {
        emu.faults().revokePermissions("compute.images.useReadOnly", "compute.instances.attachDisk");
        assertEquals(
                List.of("compute.images.get"),
                c.images
                        .testIamPermissions(P, "base", ask("compute.images.useReadOnly", "compute.images.get"))
                        .getPermissionsList());
        assertEquals(
                List.of(),
                c.instances
                        .testIamPermissions(P, Z, "node-1", ask("compute.instances.attachDisk"))
                        .getPermissionsList());
        emu.faults().clear();
        assertEquals(
                List.of("compute.instances.attachDisk"),
                c.instances
                        .testIamPermissions(P, Z, "node-1", ask("compute.instances.attachDisk"))
                        .getPermissionsList());
    }

    @Test
    void aMissingResourceIs404AndAPermissionOfAnotherTypeIs400() {
        ApiException missing = assertThrows(
                ApiException.class, () -> c.images.testIamPermissions(P, "nope", ask("compute.images.get")));
        assertEquals(404, missing.getStatusCode().getCode().getHttpStatusCode());
        ApiException wrongType = assertThrows(
                ApiException.class, () -> c.images.testIamPermissions(P, "base", ask("compute.disks.create")));
        assertEquals(400, wrongType.getStatusCode().getCode().getHttpStatusCode());
    }
}
