package dev.imagedisk.csi.contract;

import java.util.Optional;

/**
 * Which partition of a disk holds the volume's filesystem: the value of the StorageClass parameter and the
 * volume-context key {@link Keys#CONTEXT_PARTITION}. {@code auto} (the default, also for an absent or empty
 * value) lets the node choose; a positive number names the partition.
 */
public record PartitionChoice(int number) {
    public static final String AUTO_VALUE = "auto";
    public static final PartitionChoice AUTO = new PartitionChoice(0);
    /** The largest partition number this driver accepts (GPT's customary 128 entries). */
    public static final int MAX_NUMBER = 128;

    /** The choice a value names, or empty when it is neither {@code auto} nor a partition number. */
    public static Optional<PartitionChoice> parse(String value) {
        if (value == null || value.isEmpty() || value.equals(AUTO_VALUE)) {
            return Optional.of(AUTO);
        }
        if (value.length() > 3 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Optional.empty();
        }
        int n = Integer.parseInt(value);
        return n >= 1 && n <= MAX_NUMBER ? Optional.of(new PartitionChoice(n)) : Optional.empty();
    }

    public boolean auto() {
        return number == 0;
    }

    /** The value as written in the volume context. */
    public String value() {
        return auto() ? AUTO_VALUE : Integer.toString(number);
    }

    @Override
    public String toString() {
        return value();
    }
}
