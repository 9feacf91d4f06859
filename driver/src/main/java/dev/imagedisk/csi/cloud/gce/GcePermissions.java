package dev.imagedisk.csi.cloud.gce;

import com.google.cloud.compute.v1.TestIamPermissionsDiskRequest;
import com.google.cloud.compute.v1.TestIamPermissionsImageRequest;
import com.google.cloud.compute.v1.TestIamPermissionsInstanceRequest;
import com.google.cloud.compute.v1.TestPermissionsRequest;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.cloud.InstanceRef;
import dev.imagedisk.csi.cloud.Permissions;
import java.util.List;

/** {@link Permissions} through the {@code testIamPermissions} methods of images, instances and disks. */
public final class GcePermissions implements Permissions {
    private final ComputeClients clients;

    public GcePermissions(ComputeClients clients) {
        this.clients = clients;
    }

    @Override
    public List<String> heldOnImage(ImageRef image, List<String> permissions) {
        TestIamPermissionsImageRequest request = TestIamPermissionsImageRequest.newBuilder()
                .setProject(image.project())
                .setResource(image.name())
                .setTestPermissionsRequestResource(
                        TestPermissionsRequest.newBuilder().addAllPermissions(permissions))
                .build();
        try {
            return List.copyOf(
                    clients.images().testIamPermissionsCallable().call(request).getPermissionsList());
        } catch (RuntimeException e) {
            throw GceErrors.fromCall("images.testIamPermissions", e);
        }
    }

    @Override
    public List<String> heldOnInstance(InstanceRef instance, List<String> permissions) {
        TestIamPermissionsInstanceRequest request = TestIamPermissionsInstanceRequest.newBuilder()
                .setProject(instance.project())
                .setZone(instance.zone())
                .setResource(instance.name())
                .setTestPermissionsRequestResource(
                        TestPermissionsRequest.newBuilder().addAllPermissions(permissions))
                .build();
        try {
            return List.copyOf(clients.instances()
                    .testIamPermissionsCallable()
                    .call(request)
                    .getPermissionsList());
        } catch (RuntimeException e) {
            throw GceErrors.fromCall("instances.testIamPermissions", e);
        }
    }

    @Override
    public List<String> heldOnDisk(DiskRef disk, List<String> permissions) {
        TestIamPermissionsDiskRequest request = TestIamPermissionsDiskRequest.newBuilder()
                .setProject(disk.project())
                .setZone(disk.zone())
                .setResource(disk.name())
                .setTestPermissionsRequestResource(
                        TestPermissionsRequest.newBuilder().addAllPermissions(permissions))
                .build();
        try {
            return List.copyOf(
                    clients.disks().testIamPermissionsCallable().call(request).getPermissionsList());
        } catch (RuntimeException e) {
            throw GceErrors.fromCall("disks.testIamPermissions", e);
        }
    }
}
