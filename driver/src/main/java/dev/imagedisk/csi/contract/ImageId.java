package dev.imagedisk.csi.contract;

import java.util.Optional;

/**
 * A global image, {@code projects/P/global/images/NAME}, or an image family, {@code projects/P/global/images/family/F}
 * (its newest image that is not deprecated). The StorageClass {@code image} parameter names one, and a CSI snapshot
 * id is one: the snapshots this driver makes are images, and a pre-provisioned VolumeSnapshotContent may name any
 * image or family.
 */
public record ImageId(String project, String name, boolean family) {
    public static final String FORM = "projects/P/global/images/NAME or projects/P/global/images/family/F";

    public static Optional<ImageId> parse(String id) {
        if (id == null) {
            return Optional.empty();
        }
        String[] p = id.split("/", -1);
        if (p.length < 5
                || p.length > 6
                || !p[0].equals("projects")
                || !GceNames.isProject(p[1])
                || !p[2].equals("global")
                || !p[3].equals("images")) {
            return Optional.empty();
        }
        if (p.length == 5) {
            return GceNames.isName(p[4]) ? Optional.of(new ImageId(p[1], p[4], false)) : Optional.empty();
        }
        return p[4].equals("family") && GceNames.isName(p[5])
                ? Optional.of(new ImageId(p[1], p[5], true))
                : Optional.empty();
    }

    public static ImageId image(String project, String name) {
        return new ImageId(project, name, false);
    }

    public static ImageId family(String project, String family) {
        return new ImageId(project, family, true);
    }

    public String path() {
        return "projects/" + project + "/global/images/" + (family ? "family/" : "") + name;
    }

    @Override
    public String toString() {
        return path();
    }
}
