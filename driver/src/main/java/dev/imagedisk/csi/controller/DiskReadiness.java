package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.deadlineExceeded;
import static dev.imagedisk.csi.server.CsiErrors.internal;
import static dev.imagedisk.csi.server.CsiErrors.unavailable;

import dev.imagedisk.csi.cloud.ComputeCloud;
import dev.imagedisk.csi.cloud.Disk;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.common.Scheduler;
import dev.imagedisk.csi.server.CsiErrors;
import dev.imagedisk.csi.server.CsiFailure;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Waits for a disk an earlier attempt made (maybe still CREATING) without holding a thread: reads it now, then again
 * after growing waits scheduled on the {@link Scheduler}, up to a timeout, never past the call's deadline or
 * cancellation.
 */
final class DiskReadiness {
    /** The first wait between two reads of a disk still CREATING; it doubles up to {@link #MAX_POLL}. */
    static final Duration FIRST_POLL = Duration.ofMillis(100);

    static final Duration MAX_POLL = Duration.ofSeconds(2);

    private final ComputeCloud cloud;
    private final Scheduler scheduler;
    private final Duration timeout;

    DiskReadiness(ComputeCloud cloud, Scheduler scheduler, Duration timeout) {
        this.cloud = cloud;
        this.scheduler = scheduler;
        this.timeout = timeout;
    }

    /** The disk once it is no longer CREATING; INTERNAL when it ended anything but READY. */
    CompletableFuture<Disk> await(DiskRef ref) {
        return read(ref, System.nanoTime() + timeout.toNanos(), FIRST_POLL, Duration.ZERO);
    }

    private CompletableFuture<Disk> read(DiskRef ref, long deadline, Duration next, Duration delay) {
        return scheduler.after(delay, () -> {
            CallDeadline call = CallDeadline.current();
            if (call.stopped() != CallDeadline.Stop.NONE) {
                throw stopped(call, ref);
            }
            Disk disk = cloud.getDisk(ref)
                    .orElseThrow(() -> unavailable("disk %s disappeared while it was being created; retry", ref));
            if (!disk.inProgress()) {
                if (!disk.ready()) {
                    throw internal(
                            "disk %s is %s; it cannot be used (delete it to create the volume anew)",
                            ref, disk.status());
                }
                return CompletableFuture.completedFuture(disk);
            }
            if (System.nanoTime() - deadline > 0) {
                throw deadlineExceeded("disk %s still %s after %d s", ref, disk.status(), timeout.toSeconds());
            }
            Duration doubled = next.multipliedBy(2);
            return read(ref, deadline, doubled.compareTo(MAX_POLL) > 0 ? MAX_POLL : doubled, call.remaining(next));
        });
    }

    private static CsiFailure stopped(CallDeadline call, DiskRef ref) {
        return CsiErrors.stopped(call.stopped(), "disk %s was being created; a retry finds it by name", ref);
    }
}
