package dev.imagedisk.csi.cloud.gce;

import com.google.cloud.compute.v1.AttachedDisk;
import dev.imagedisk.csi.cloud.Disk;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.cloud.Image;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.cloud.Instance;
import dev.imagedisk.csi.cloud.InstanceRef;
import java.util.ArrayList;
import java.util.List;

/** Turns the client library's messages into the driver's records. */
final class GceModel {
    private GceModel() {}

    static Disk disk(DiskRef fallback, com.google.cloud.compute.v1.Disk d) {
        DiskRef ref = d.hasSelfLink() ? DiskRef.parse(d.getSelfLink()) : null;
        if (ref == null) {
            ref = fallback != null ? fallback : new DiskRef("", lastSegment(d.getZone()), d.getName());
        }
        List<InstanceRef> users = new ArrayList<>();
        for (String u : d.getUsersList()) {
            InstanceRef i = InstanceRef.parse(u);
            if (i != null) {
                users.add(i);
            }
        }
        return new Disk(
                ref,
                d.getSizeGb(),
                lastSegment(d.getType()),
                d.hasSourceImage() && !d.getSourceImage().isEmpty() ? d.getSourceImage() : null,
                d.getStatus(),
                users,
                d.getLabelsMap(),
                d.getDescription(),
                d.getSelfLink(),
                d.hasSourceDisk() && !d.getSourceDisk().isEmpty() ? DiskRef.parse(d.getSourceDisk()) : null,
                d.hasProvisionedIops() ? d.getProvisionedIops() : null,
                d.hasProvisionedThroughput() ? d.getProvisionedThroughput() : null,
                d.hasAccessMode() && !d.getAccessMode().isEmpty() ? d.getAccessMode() : null);
    }

    static Image image(ImageRef fallback, com.google.cloud.compute.v1.Image i) {
        ImageRef ref = i.hasSelfLink() ? ImageRef.parse(i.getSelfLink()) : null;
        if (ref == null) {
            ref = ImageRef.image(fallback.project(), i.getName());
        }
        String deprecation = i.hasDeprecated() && i.getDeprecated().hasState()
                ? i.getDeprecated().getState()
                : null;
        return new Image(
                ref,
                i.hasFamily() && !i.getFamily().isEmpty() ? i.getFamily() : null,
                i.getDiskSizeGb(),
                i.getStatus(),
                i.getSelfLink().isEmpty() ? ref.path() : i.getSelfLink(),
                deprecation,
                i.getLabelsMap(),
                i.getDescription(),
                i.hasSourceDisk() ? DiskRef.parse(i.getSourceDisk()) : null,
                i.hasCreationTimestamp() && !i.getCreationTimestamp().isEmpty() ? i.getCreationTimestamp() : null);
    }

    static Instance instance(InstanceRef fallback, com.google.cloud.compute.v1.Instance i) {
        InstanceRef ref = i.hasSelfLink() ? InstanceRef.parse(i.getSelfLink()) : null;
        if (ref == null) {
            ref = fallback;
        }
        List<Instance.AttachedDisk> disks = new ArrayList<>();
        for (AttachedDisk a : i.getDisksList()) {
            DiskRef source = DiskRef.parse(a.getSource());
            if (source != null) {
                disks.add(new Instance.AttachedDisk(
                        source, a.getDeviceName(), "READ_ONLY".equals(a.getMode()), a.getBoot()));
            }
        }
        return new Instance(ref, i.getStatus(), disks);
    }

    static String lastSegment(String reference) {
        return reference == null ? "" : reference.substring(reference.lastIndexOf('/') + 1);
    }
}
