package dev.imagedisk.csi.exec;

import dev.imagedisk.csi.common.CallDeadline;
import java.time.Duration;

/** The time left to the deadline of the call being served ({@link CallDeadline}, set at the RPC boundary). */
public final class Deadlines {
    private Deadlines() {}

    /** The smaller of {@code cap} and the time left before the current call's deadline (never negative). */
    public static Duration remaining(Duration cap) {
        return CallDeadline.current().remaining(cap);
    }
}
