package dev.imagedisk.csi.cloud;

import java.util.List;

/**
 * Which of a set of permissions the caller holds on a resource (Compute Engine's {@code testIamPermissions}).
 * Failures are {@link dev.imagedisk.csi.cloud.CloudException}s.
 */
public interface Permissions {
    /** The ones of {@code permissions} ({@code compute.images.*}) held on {@code image} (a concrete image). */
    List<String> heldOnImage(ImageRef image, List<String> permissions);

    /** The ones of {@code permissions} ({@code compute.instances.*}) held on {@code instance}. */
    List<String> heldOnInstance(InstanceRef instance, List<String> permissions);

    /** The ones of {@code permissions} ({@code compute.disks.*}) held on {@code disk}. */
    List<String> heldOnDisk(DiskRef disk, List<String> permissions);
}
