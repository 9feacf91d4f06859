package dev.imagedisk.csi.cloud;

import java.util.List;
import java.util.Optional;

/** A VM instance and the disks attached to it. */
public record Instance(InstanceRef ref, String status, List<AttachedDisk> disks) {
    public Instance {
        disks = List.copyOf(disks);
    }

    /** One attached disk: which disk, under which device name, in which mode. */
    public record AttachedDisk(DiskRef source, String deviceName, boolean readOnly, boolean boot) {}

    /** The attachment of {@code disk}, if it is attached here. */
    public Optional<AttachedDisk> attachment(DiskRef disk) {
        return disks.stream().filter(d -> disk.equals(d.source())).findFirst();
    }
}
