package dev.imagedisk.csi.exec;

import io.grpc.Context;
import io.grpc.Deadline;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The time left to the current gRPC call's deadline. */
public final class Deadlines {
    private Deadlines() {}

    /** The smaller of {@code cap} and the time left before the current call's deadline (never negative). */
    public static Duration remaining(Duration cap) {
        Deadline deadline = Context.current().getDeadline();
        if (deadline == null) {
            return cap;
        }
        Duration left = Duration.ofNanos(Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS)));
        return left.compareTo(cap) < 0 ? left : cap;
    }
}
