package dev.imagedisk.csi.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.imagedisk.csi.cloud.Image;
import dev.imagedisk.csi.cloud.ImageRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ImageCacheTest {
    private static final ImageRef REF = ImageRef.image("p", "img");
    private static final Image IMAGE = new Image(REF, null, 10, "READY", "projects/p/global/images/img", null);

    @Test
    void reusedWithinTheTtlAndReadAgainAfter() {
        AtomicLong now = new AtomicLong();
        ImageCache cache = new ImageCache(Duration.ofSeconds(30), now::get);
        AtomicInteger reads = new AtomicInteger();
        for (int i = 0; i < 5; i++) {
            assertSame(IMAGE, cache.get(REF, () -> {
                reads.incrementAndGet();
                return IMAGE;
            }));
        }
        assertEquals(1, reads.get());
        now.addAndGet(TimeUnit.SECONDS.toNanos(31));
        cache.get(REF, () -> {
            reads.incrementAndGet();
            return IMAGE;
        });
        assertEquals(2, reads.get());
    }

    @Test
    void failuresAreNotKept() {
        ImageCache cache = new ImageCache(Duration.ofSeconds(30));
        assertThrows(
                IllegalStateException.class,
                () -> cache.get(REF, () -> {
                    throw new IllegalStateException("rate limited");
                }));
        assertSame(IMAGE, cache.get(REF, () -> IMAGE));
    }

    @Test
    void zeroTtlReadsEveryTime() {
        ImageCache cache = ImageCache.none();
        AtomicInteger reads = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            cache.get(REF, () -> {
                reads.incrementAndGet();
                return IMAGE;
            });
        }
        assertEquals(3, reads.get());
    }

    @Test
    void concurrentMissesShareOneRead() throws Exception {
        ImageCache cache = new ImageCache(Duration.ofSeconds(30));
        AtomicInteger reads = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<Image>> results = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                results.add(pool.submit(() -> cache.get(REF, () -> {
                    reads.incrementAndGet();
                    try {
                        release.await(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return IMAGE;
                })));
            }
            Thread.sleep(100);
            release.countDown();
            for (Future<Image> f : results) {
                assertSame(IMAGE, f.get(5, TimeUnit.SECONDS));
            }
            assertEquals(1, reads.get());
        } finally {
            pool.shutdownNow();
        }
    }
}
