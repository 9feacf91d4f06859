package dev.imagedisk.csi.doctor;

import java.util.ArrayList;
import java.util.List;

/**
 * The permissions the doctor tests with {@code testIamPermissions}, by resource: each one the controller uses
 * there, so each must be in the controller's role ({@code manifests/iam/}; the manifest tests hold it to that).
 */
public final class TestedPermissions {
    /** On each StorageClass's image (a family adds {@link #FAMILY}). */
    public static final List<String> IMAGE = List.of("compute.images.get", "compute.images.useReadOnly");

    public static final String FAMILY = "compute.images.getFromFamily";

    /** On the instance disks are attached to. */
    public static final List<String> INSTANCE =
            List.of("compute.instances.attachDisk", "compute.instances.detachDisk", "compute.instances.get");

    /** On a disk the driver made. */
    public static final List<String> DISK = List.of(
            "compute.disks.get",
            "compute.disks.delete",
            "compute.disks.resize",
            "compute.disks.setLabels",
            "compute.disks.update",
            "compute.disks.use",
            "compute.disks.useReadOnly");

    private TestedPermissions() {}

    public static List<String> all() {
        List<String> all = new ArrayList<>(IMAGE);
        all.add(FAMILY);
        all.addAll(INSTANCE);
        all.addAll(DISK);
        return all;
    }
}
