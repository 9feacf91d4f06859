package dev.imagedisk.csi.controller;

import dev.imagedisk.csi.cloud.Image;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.server.CsiErrors;
import dev.imagedisk.csi.server.CsiFailure;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Resolved images (and image families) for CreateVolume, reused for a short time: a burst of hundreds of volumes
 * from one StorageClass reads its image once, not once per volume. Reads are futures: concurrent misses for one
 * image share one read, and no caller's thread waits for it. Each caller gets its own future of the shared read:
 * a caller whose call is cancelled or past its deadline is answered CANCELLED or DEADLINE_EXCEEDED at once, and the
 * read goes on for the others. Only successful resolutions are kept; a failure is answered to the callers waiting
 * for it and read again by the next call. A family moving on to a newer image is seen within the TTL.
 */
public final class ImageCache {
    private record Entry(CompletableFuture<Image> image, long loadedAt) {}

    private final long ttlNanos;
    private final LongSupplier clock;
    private final ConcurrentHashMap<ImageRef, Entry> entries = new ConcurrentHashMap<>();

    public ImageCache(Duration ttl) {
        this(ttl, System::nanoTime);
    }

    ImageCache(Duration ttl, LongSupplier clock) {
        this.ttlNanos = ttl.toNanos();
        this.clock = clock;
    }

    /** No caching: every call reads. */
    public static ImageCache none() {
        return new ImageCache(Duration.ZERO);
    }

    /**
     * The image for {@code ref}: cached if read less than the TTL ago, else from {@code read} (a read shared by the
     * callers that miss together, so it should not depend on any one caller's call). The future is this caller's:
     * it ends when the calling thread's {@link CallDeadline} stops, whatever the read does.
     */
    public CompletableFuture<Image> get(ImageRef ref, Supplier<CompletableFuture<Image>> read) {
        if (ttlNanos <= 0) {
            return forThisCall(ref, read.get());
        }
        while (true) {
            long now = clock.getAsLong();
            Entry e = entries.get(ref);
            if (e != null && (!e.image().isDone() || now - e.loadedAt() < ttlNanos)) {
                if (e.image().isCompletedExceptionally()) {
                    entries.remove(ref, e); // a failure is not kept: read again
                    continue;
                }
                return forThisCall(ref, e.image());
            }
            Entry mine = new Entry(new CompletableFuture<>(), now);
            boolean won = e == null ? entries.putIfAbsent(ref, mine) == null : entries.replace(ref, e, mine);
            if (!won) {
                continue; // another caller is reading it now: share that read
            }
            CompletableFuture<Image> reading;
            try {
                reading = read.get();
            } catch (RuntimeException | Error failure) {
                reading = CompletableFuture.failedFuture(failure);
            }
            reading.whenComplete((image, failure) -> {
                if (failure != null) {
                    entries.remove(ref, mine);
                    mine.image().completeExceptionally(failure);
                } else {
                    entries.replace(ref, mine, new Entry(mine.image(), clock.getAsLong()));
                    mine.image().complete(image);
                }
            });
            return forThisCall(ref, mine.image());
        }
    }

    /** A future of {@code shared} for the calling thread's call alone: it ends early when that call stops. */
    private static CompletableFuture<Image> forThisCall(ImageRef ref, CompletableFuture<Image> shared) {
        if (shared.isDone()) {
            return shared.copy();
        }
        CallDeadline call = CallDeadline.current();
        CompletableFuture<Image> mine = shared.copy();
        call.onStop(() -> mine.completeExceptionally(stopped(call, ref)));
        return mine;
    }

    private static CsiFailure stopped(CallDeadline call, ImageRef ref) {
        return CsiErrors.stopped(call.stopped(), "image %s was being read", ref);
    }
}
