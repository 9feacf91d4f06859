package dev.imagedisk.csi.contract;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The CSI volume id of a reader set: a read-only volume served by one or more disks per zone, all made from one
 * image, in the GCE PD CSI driver's multi-zone form {@code projects/P/zones/multi-zone/disks/NAME}. Controller and
 * node parse it here only; {@link VolumeId#parse} refuses it (no disk lives in a zone called {@code multi-zone}).
 *
 * <p>The disks of set {@code NAME} are named by {@link #diskName}: the first disk of a zone is {@code NAME} itself,
 * the k-th (k &gt; 1) {@code NAME-k-HHHHHH} (shortened to 63 characters, {@code HHHHHH} from a hash of {@code NAME}),
 * so a retried creation finds the disk an earlier attempt made. Each carries the label
 * {@link Keys#READER_SET_LABEL_KEY}{@code =NAME}; its device name on a node is its disk name.
 */
public record ReaderSetId(String project, String name) {
    public static final String MULTI_ZONE = "multi-zone";
    public static final String FORM = "projects/P/zones/" + MULTI_ZONE + "/disks/NAME";

    public ReaderSetId {
        if (!GceNames.isProject(project) || !GceNames.isName(name)) {
            throw new IllegalArgumentException("not a reader set: project " + project + ", name " + name);
        }
    }

    /** The reader set an id names, or empty when it is not one. */
    public static Optional<ReaderSetId> parse(String id) {
        return ZonalPath.parse(id, VolumeId.COLLECTION)
                .filter(p -> p.zone().equals(MULTI_ZONE))
                .map(p -> new ReaderSetId(p.project(), p.name()));
    }

    public String path() {
        return "projects/" + project + "/zones/" + MULTI_ZONE + "/" + VolumeId.COLLECTION + "/" + name;
    }

    /** The name of the set's {@code index}-th disk (from 1) in a zone; the same in every zone. */
    public String diskName(int index) {
        if (index < 1) {
            throw new IllegalArgumentException("disk index from 1: " + index);
        }
        if (index == 1) {
            return name;
        }
        String suffix = "-" + index + "-" + HexFormat.of().formatHex(sha256(name), 0, 3);
        String prefix = name.substring(0, Math.min(name.length(), GceNames.MAX_NAME_LENGTH - suffix.length()));
        return prefix.replaceAll("-+$", "") + suffix;
    }

    /** The index of one of this set's disk names, or 0 when {@code diskName} is not one. */
    public int indexOf(String diskName) {
        if (diskName.equals(name)) {
            return 1;
        }
        int dash = diskName.lastIndexOf('-');
        if (dash < 0) {
            return 0;
        }
        int dash2 = diskName.lastIndexOf('-', dash - 1);
        if (dash2 < 0) {
            return 0;
        }
        try {
            int k = Integer.parseInt(diskName.substring(dash2 + 1, dash));
            return k > 1 && diskName(k).equals(diskName) ? k : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public String toString() {
        return path();
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
