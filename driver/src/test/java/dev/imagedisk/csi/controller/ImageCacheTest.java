package dev.imagedisk.csi.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.cloud.Image;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.common.Futures;
import dev.imagedisk.csi.server.CsiFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The image cache's futures, on a fake clock, with reads completed by the test: no threads, no timing. */
class ImageCacheTest {
    private static final ImageRef REF = ImageRef.image("p", "img");
    private static final Image IMAGE = new Image(REF, null, 10, "READY", "projects/p/global/images/img", null);

    private final AtomicInteger reads = new AtomicInteger();

    private CompletableFuture<Image> read() {
        reads.incrementAndGet();
        return CompletableFuture.completedFuture(IMAGE);
    }

    @Test
    void reusedWithinTheTtlAndReadAgainAfter() {
        AtomicLong now = new AtomicLong();
        ImageCache cache = new ImageCache(Duration.ofSeconds(30), now::get);
        for (int i = 0; i < 5; i++) {
            assertSame(IMAGE, cache.get(REF, this::read).join());
        }
        assertEquals(1, reads.get());
        now.addAndGet(TimeUnit.SECONDS.toNanos(31));
        cache.get(REF, this::read).join();
        assertEquals(2, reads.get());
    }

    @Test
    void failuresAreNotKept() {
        ImageCache cache = new ImageCache(Duration.ofSeconds(30));
        CompletableFuture<Image> failed =
                cache.get(REF, () -> CompletableFuture.failedFuture(new IllegalStateException("rate limited")));
        assertTrue(failed.isCompletedExceptionally());
        assertSame(IMAGE, cache.get(REF, this::read).join());
        assertEquals(1, reads.get());
    }

    @Test
    void zeroTtlReadsEveryTime() {
        ImageCache cache = ImageCache.none();
        for (int i = 0; i < 3; i++) {
            cache.get(REF, this::read).join();
        }
        assertEquals(3, reads.get());
    }

    @Test
    void concurrentMissesShareOneRead() {
        ImageCache cache = new ImageCache(Duration.ofSeconds(30));
        CompletableFuture<Image> slow = new CompletableFuture<>();
        List<CompletableFuture<Image>> callers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            callers.add(cache.get(REF, () -> {
                reads.incrementAndGet();
                return slow;
            }));
        }
        assertEquals(1, reads.get(), "one read for the 20 misses");
        assertTrue(callers.stream().noneMatch(CompletableFuture::isDone), "all wait for the read, holding no thread");
        slow.complete(IMAGE);
        for (CompletableFuture<Image> c : callers) {
            assertSame(IMAGE, c.getNow(null));
        }
    }

    /**
     * A caller whose call is cancelled while it waits for another's read is answered CANCELLED at once; the read goes
     * on and answers the others (issue 19, bug c: the interrupt became an IllegalStateException, so INTERNAL).
     */
    @Test
    void aCancelledCallerIsAnsweredCancelledAndTheOthersStillGetTheImage() {
        ImageCache cache = new ImageCache(Duration.ofSeconds(30));
        CompletableFuture<Image> slow = new CompletableFuture<>();
        CallDeadline first = CallDeadline.after(null);
        CallDeadline second = CallDeadline.after(null);
        CompletableFuture<Image> reader = CallDeadline.within(first, () -> cache.get(REF, () -> slow));
        CompletableFuture<Image> waiter = CallDeadline.within(second, () -> cache.get(REF, () -> slow));

        second.cancel(CallDeadline.Stop.CANCELLED);
        CsiFailure f = (CsiFailure) Futures.unwrap(waiter.handle((i, t) -> t).join());
        assertEquals(CsiFailure.Code.CANCELLED, f.code(), f.getMessage());
        assertTrue(f.getMessage().contains(REF.path()), f.getMessage());
        assertFalse(slow.isDone(), "the shared read is not cancelled");

        first.cancel(CallDeadline.Stop.DEADLINE);
        CsiFailure late = (CsiFailure) Futures.unwrap(reader.handle((i, t) -> t).join());
        assertEquals(CsiFailure.Code.DEADLINE_EXCEEDED, late.code(), late.getMessage());

        CompletableFuture<Image> third = cache.get(REF, () -> slow);
        slow.complete(IMAGE);
        assertSame(IMAGE, third.join(), "a caller still waiting gets the image");
    }
}
