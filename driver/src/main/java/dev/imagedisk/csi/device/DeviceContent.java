package dev.imagedisk.csi.device;

/** What a block device holds, as far as its signatures tell. */
public sealed interface DeviceContent {
    /** No signature, and the probed regions read as zeros. */
    record Blank() implements DeviceContent {}

    /** A filesystem, e.g. {@code ext4}, {@code xfs}. */
    record Filesystem(String type) implements DeviceContent {}

    /** A partition table, e.g. {@code gpt}, {@code dos}. */
    record PartitionTable(String type) implements DeviceContent {}

    /** Anything else that is not blank: swap, LUKS, RAID members, unrecognised data. */
    record Other(String description) implements DeviceContent {}
}
