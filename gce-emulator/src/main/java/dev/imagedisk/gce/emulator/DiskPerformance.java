package dev.imagedisk.gce.emulator;

/**
 * Which disk types take provisioned IOPS and throughput, and the ranges a disk of a given size may have, as
 * "About Hyperdisk Balanced / Extreme / Throughput / ML" state them (size and performance limits):
 *
 * <ul>
 *   <li>hyperdisk-balanced: IOPS 3,000 to 500 per GiB (at most 160,000); throughput 140 MiB/s to a quarter of the
 *       IOPS (at most 2,400).
 *   <li>hyperdisk-extreme: IOPS 2 to 1,200 per GiB (at most 350,000); throughput follows the IOPS, not provisioned.
 *   <li>hyperdisk-throughput: throughput 10 to 90 MiB/s per TiB (at least 20, at most 2,400); IOPS not provisioned.
 *   <li>hyperdisk-ml: throughput 0.12 to 1,600 MiB/s per GiB (at least 400, at most 1,200,000); IOPS not provisioned.
 * </ul>
 *
 * Persistent Disk types take neither through {@code disks.update} (pd-extreme's IOPS is set at insert).
 */
final class DiskPerformance {
    private DiskPerformance() {}

    static boolean takesIops(String type) {
        return type.equals("hyperdisk-balanced") || type.equals("hyperdisk-extreme");
    }

    static boolean takesThroughput(String type) {
        return type.equals("hyperdisk-balanced") || type.equals("hyperdisk-throughput") || type.equals("hyperdisk-ml");
    }

    /** {min, max} IOPS for a disk of {@code type} and {@code sizeGb}. */
    static long[] iopsRange(String type, long sizeGb) {
        return switch (type) {
            case "hyperdisk-balanced" -> new long[] {3000, Math.max(3000, Math.min(500 * sizeGb, 160_000))};
            case "hyperdisk-extreme" -> new long[] {2 * sizeGb, Math.min(1200 * sizeGb, 350_000)};
            default -> throw new IllegalArgumentException(type);
        };
    }

    /** {min, max} throughput (MiB/s) for a disk of {@code type}, {@code sizeGb} and IOPS {@code iops} (null: unknown). */
    static long[] throughputRange(String type, long sizeGb, Long iops) {
        return switch (type) {
            case "hyperdisk-balanced" ->
                new long[] {140, iops == null ? 2400 : Math.max(140, Math.min(iops / 4, 2400))};
            case "hyperdisk-throughput" ->
                new long[] {Math.max(20, (10 * sizeGb + 1023) / 1024), Math.max(20, Math.min(90 * sizeGb / 1024, 2400))
                };
            case "hyperdisk-ml" ->
                new long[] {Math.max(400, (12 * sizeGb + 99) / 100), Math.max(400, Math.min(1600 * sizeGb, 1_200_000))};
            default -> throw new IllegalArgumentException(type);
        };
    }

    /**
     * Checks provisioned values for a disk of {@code type} and {@code sizeGb}; null values are not checked. A
     * throughput is checked against {@code iops}, else the disk's {@code currentIops} (null: unknown).
     */
    static void check(String type, long sizeGb, Long iops, Long throughput, Long currentIops) {
        if (iops != null) {
            if (!takesIops(type)) {
                throw GceException.invalidField(
                        "resource.provisionedIops",
                        iops,
                        "Provisioned IOPS is not supported for disk type " + type + ".");
            }
            long[] r = iopsRange(type, sizeGb);
            if (iops < r[0] || iops > r[1]) {
                throw GceException.invalidField(
                        "resource.provisionedIops",
                        iops,
                        "Requested provisioned IOPS must be between " + r[0] + " and " + r[1] + " for a " + type
                                + " disk of " + sizeGb + " GB.");
            }
        }
        if (throughput != null) {
            if (!takesThroughput(type)) {
                throw GceException.invalidField(
                        "resource.provisionedThroughput",
                        throughput,
                        "Provisioned throughput is not supported for disk type " + type + ".");
            }
            long[] r = throughputRange(type, sizeGb, iops != null ? iops : currentIops);
            if (throughput < r[0] || throughput > r[1]) {
                throw GceException.invalidField(
                        "resource.provisionedThroughput",
                        throughput,
                        "Requested provisioned throughput must be between " + r[0] + " and " + r[1] + " MiB/s for a "
                                + type + " disk of " + sizeGb + " GB"
                                + (type.equals("hyperdisk-balanced") ? " with its IOPS." : "."));
            }
        }
    }
}
