package dev.imagedisk.csi.controller;

import dev.imagedisk.csi.cloud.Image;
import dev.imagedisk.csi.cloud.ImageRef;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Resolved images (and image families) for CreateVolume, reused for a short time: a burst of hundreds of
 * volumes from one StorageClass reads its image once, not once per volume. Concurrent misses for one image
 * share one read. Only successful resolutions are kept; a failure is answered to the callers waiting for it
 * and read again by the next call. A family moving on to a newer image is seen within the TTL.
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

    /** The image for {@code ref}: cached if read less than the TTL ago, else from {@code read}. */
    public Image get(ImageRef ref, Supplier<Image> read) {
        if (ttlNanos <= 0) {
            return read.get();
        }
        while (true) {
            long now = clock.getAsLong();
            Entry e = entries.get(ref);
            if (e != null && (!e.image().isDone() || now - e.loadedAt() < ttlNanos)) {
                try {
                    return e.image().get();
                } catch (ExecutionException failed) {
                    entries.remove(ref, e);
                    throw unwrap(failed);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for image " + ref, ie);
                }
            }
            Entry mine = new Entry(new CompletableFuture<>(), now);
            boolean won = e == null ? entries.putIfAbsent(ref, mine) == null : entries.replace(ref, e, mine);
            if (!won) {
                continue; // another caller is reading it now: wait for that
            }
            try {
                Image image = read.get();
                entries.replace(ref, mine, new Entry(mine.image(), clock.getAsLong()));
                mine.image().complete(image);
                return image;
            } catch (RuntimeException | Error failure) {
                entries.remove(ref, mine);
                mine.image().completeExceptionally(failure);
                throw failure;
            }
        }
    }

    private static RuntimeException unwrap(ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException r) {
            return r;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(cause);
    }
}
