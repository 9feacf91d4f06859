package dev.imagedisk.csi.contract;

/** The keys controller and node exchange through the CO: topology, publish context and volume context. */
public final class Keys {
    private Keys() {}

    /** Topology segment: the zone a disk lives in and a node runs in. */
    public static final String TOPOLOGY_ZONE = "topology.imagedisk.csi.dev/zone";

    /**
     * publish_context: the Compute Engine device name the disk was attached with (the disk name); the node finds
     * {@code /dev/disk/by-id/google-<value>}.
     */
    public static final String PUBLISH_DEVICE_NAME = "deviceName";

    /** volume_context: the image the disk was made from (self link). */
    public static final String CONTEXT_IMAGE = "image";
    /** volume_context: the disk type. */
    public static final String CONTEXT_TYPE = "type";
    /** volume_context: which partition of the disk holds the filesystem ({@code auto} or a number). */
    public static final String CONTEXT_PARTITION = "partition";

    /** The label every Compute Engine resource this driver makes carries (disks and images). */
    public static final String MANAGED_LABEL_KEY = "imagedisk-csi";

    public static final String MANAGED_LABEL_VALUE = "managed";

    /** The label every disk of a reader set carries; its value is the set's name ({@link ReaderSetId#name()}). */
    public static final String READER_SET_LABEL_KEY = "imagedisk-reader-set";
}
