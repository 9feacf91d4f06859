package dev.imagedisk.csi.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CloudReadinessTest {
    /** Only checkAccess matters here. */
    static final class Probed implements ComputeCloud {
        final AtomicInteger checks = new AtomicInteger();
        volatile CloudException failure;

        @Override
        public void checkAccess() {
            checks.incrementAndGet();
            if (failure != null) {
                throw failure;
            }
        }

        @Override public Optional<Disk> getDisk(DiskRef disk) { throw new UnsupportedOperationException(); }
        @Override public boolean createDisk(DiskSpec spec, String key) { throw new UnsupportedOperationException(); }
        @Override public void deleteDisk(DiskRef disk) { throw new UnsupportedOperationException(); }
        @Override public void resizeDisk(DiskRef disk, long sizeGb) { throw new UnsupportedOperationException(); }
        @Override public Optional<Image> getImage(ImageRef image) { throw new UnsupportedOperationException(); }
        @Override public Optional<Image> getImageFromFamily(ImageRef f) { throw new UnsupportedOperationException(); }
        @Override public Optional<Instance> getInstance(InstanceRef i) { throw new UnsupportedOperationException(); }
        @Override public void attachDisk(InstanceRef i, DiskRef d, String n, boolean ro) {
            throw new UnsupportedOperationException();
        }
        @Override public void detachDisk(InstanceRef i, String n) { throw new UnsupportedOperationException(); }
        @Override public List<Disk> listDisks(Map<String, String> labels) { throw new UnsupportedOperationException(); }
        @Override public void createImage(ImageSpec spec, String key) { throw new UnsupportedOperationException(); }
        @Override public void deleteImage(ImageRef image) { throw new UnsupportedOperationException(); }
        @Override public List<Image> listImages(String project, Map<String, String> labels) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void cachesAnswersAndRefreshesInTheBackground() {
        Probed cloud = new Probed();
        AtomicLong now = new AtomicLong();
        CloudReadiness r = new CloudReadiness(cloud, Duration.ofSeconds(60), Duration.ofSeconds(5), Runnable::run,
                now::get);
        assertNull(r.notReadyReason());
        assertNull(r.notReadyReason());
        assertEquals(1, cloud.checks.get(), "cached");

        cloud.failure = new CloudException(CloudException.Kind.UNAVAILABLE, "connection refused");
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        // the stale answer is returned while the refresh runs (here: inline)
        assertNull(r.notReadyReason());
        assertTrue(r.notReadyReason().contains("connection refused"));
        assertEquals(2, cloud.checks.get());

        cloud.failure = null;
        now.addAndGet(Duration.ofSeconds(6).toNanos());
        r.notReadyReason();
        assertNull(r.notReadyReason());
        assertEquals(3, cloud.checks.get());
    }
}
