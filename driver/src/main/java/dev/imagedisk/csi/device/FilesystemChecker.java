package dev.imagedisk.csi.device;

/** Checks (and where safe repairs) a filesystem before it is mounted read-write. */
public interface FilesystemChecker {
    enum Outcome {
        /** Clean, or repaired without needing anything else. */
        OK,
        /** Errors were left that need a person. */
        DAMAGED,
        /** The checker itself failed. */
        FAILED
    }

    record Result(Outcome outcome, String detail) {}

    /** Whether this checker handles {@code fsType}; others are mounted unchecked. */
    boolean handles(String fsType);

    /** The command a person runs on the node to repair what a check left (for messages). */
    String manualCommand(BlockDevice device, String fsType);

    /** Checks; {@code full} forces a complete check even of a filesystem marked clean (needed before a resize). */
    Result check(BlockDevice device, String fsType, boolean full);
}
