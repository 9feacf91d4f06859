package dev.imagedisk.csi.controller;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A clock that moves only when told, and the {@link AttachPace.Timer} on it: a delayed future completes when
 * {@link #advance} passes its time (on the advancing thread). Nothing sleeps.
 */
final class ManualTime implements AttachPace.Timer {
    private record Due(long at, CompletableFuture<Void> future) {}

    private long now = 1_000_000_000L;
    private final List<Due> due = new ArrayList<>();

    synchronized long nanoTime() {
        return now;
    }

    @Override
    public synchronized CompletableFuture<Void> after(long nanos) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        due.add(new Due(now + nanos, f));
        return f;
    }

    /** Timers waiting. */
    synchronized int waiting() {
        return due.size();
    }

    /** Moves the clock on and completes the timers now due. */
    void advance(Duration by) {
        List<CompletableFuture<Void>> fire = new ArrayList<>();
        synchronized (this) {
            now += by.toNanos();
            due.removeIf(d -> {
                if (d.at() <= now) {
                    fire.add(d.future());
                    return true;
                }
                return false;
            });
        }
        fire.forEach(f -> f.complete(null));
    }
}
