package dev.imagedisk.csi.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.cloud.fake.FakeComputeCloud;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CloudReadinessTest {
    @Test
    void cachesAnswersAndRefreshesInTheBackground() {
        FakeComputeCloud cloud = new FakeComputeCloud();
        AtomicLong now = new AtomicLong();
        CloudReadiness r =
                new CloudReadiness(cloud, Duration.ofSeconds(60), Duration.ofSeconds(5), Runnable::run, now::get);
        assertNull(r.notReadyReason());
        assertNull(r.notReadyReason());
        assertEquals(1, cloud.requestCount("disks.list"), "cached");

        cloud.failAccess(new CloudException(CloudException.Kind.UNAVAILABLE, "connection refused"));
        now.addAndGet(Duration.ofSeconds(61).toNanos());
        // the stale answer is returned while the refresh runs (here: inline)
        assertNull(r.notReadyReason());
        assertTrue(r.notReadyReason().contains("connection refused"));
        assertEquals(2, cloud.requestCount("disks.list"));

        cloud.failAccess(null);
        now.addAndGet(Duration.ofSeconds(6).toNanos());
        r.notReadyReason();
        assertNull(r.notReadyReason());
        assertEquals(3, cloud.requestCount("disks.list"));
    }
}
