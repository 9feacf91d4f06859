package dev.imagedisk.csi.device;

/**
 * A partition as the kernel knows it: the whole disk it is on, its number, and its first sector (in 512-byte
 * units, as the kernel counts).
 */
public record PartitionOf(BlockDevice disk, int number, long start512) {}
