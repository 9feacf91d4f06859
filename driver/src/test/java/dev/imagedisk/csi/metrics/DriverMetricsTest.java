package dev.imagedisk.csi.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The text exposition, byte for byte what the Prometheus client library (1.10) wrote for the same calls. */
class DriverMetricsTest {
    @Test
    void scrapeMatchesThePrometheusClientsOutput() throws Exception {
        DriverMetrics m = new DriverMetrics();
        m.csiCallStarted("csi.v1.Identity/Probe");
        m.csiCallFinished("csi.v1.Identity/Probe", "OK", 1_500_000L);
        m.csiCallStarted("csi.v1.Identity/Probe");
        m.csiCallFinished("csi.v1.Identity/Probe", "OK", 3_000_000_000L);
        m.apiCall("disks.insert", "ok");
        m.apiRetry("disks.insert");
        m.rateLimitWait(Duration.ofMillis(250));
        m.operationWait("insert", Duration.ofMillis(1200));
        m.nodeOperation("mount", true, Duration.ofMillis(7));
        m.nodeOperation("fsck", false, Duration.ofMillis(70));
        m.nodeOperation("a\"b\\c\nd", true, Duration.ofNanos(1));
        String expected;
        try (InputStream in = getClass().getResourceAsStream("scrape-prometheus-client-1.10.txt")) {
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertEquals(expected, m.scrape());
        assertEquals(1.0, m.apiCallCount("disks.insert"));
        assertEquals(0.0, m.apiCallCount("disks.delete"));
    }

    @Test
    void aNewPluginShowsOnlyItsUnlabelledCounter() {
        assertEquals("""
                # HELP imagedisk_compute_rate_limit_wait_seconds_total Time callers spent waiting for the client-side API rate limit
                # TYPE imagedisk_compute_rate_limit_wait_seconds_total counter
                imagedisk_compute_rate_limit_wait_seconds_total 0.0
                """, new DriverMetrics().scrape());
    }

    @Test
    void bucketsAreCumulativeAndInclusive() {
        MetricFamily h = MetricFamily.histogram("h_seconds", "help", new double[] {1, 2}, "k");
        h.labels("v").observe(1);
        h.labels("v").observe(1.5);
        h.labels("v").observe(7);
        StringBuilder out = new StringBuilder();
        h.write(out);
        assertTrue(out.toString().contains("h_seconds_bucket{k=\"v\",le=\"1.0\"} 1\n"), out.toString());
        assertTrue(out.toString().contains("h_seconds_bucket{k=\"v\",le=\"2.0\"} 2\n"), out.toString());
        assertTrue(out.toString().contains("h_seconds_bucket{k=\"v\",le=\"+Inf\"} 3\n"), out.toString());
        assertTrue(out.toString().contains("h_seconds_count{k=\"v\"} 3\nh_seconds_sum{k=\"v\"} 9.5\n"), out.toString());
    }

    @Test
    void misuseIsRefused() {
        MetricFamily c = MetricFamily.counter("c_total", "help", "a", "b");
        assertThrows(IllegalArgumentException.class, () -> c.labels("only-one"));
        assertThrows(IllegalArgumentException.class, () -> c.labels("x", null));
        assertThrows(IllegalArgumentException.class, () -> c.labels("x", "y").inc(-1));
        assertThrows(IllegalArgumentException.class, () -> MetricFamily.histogram("h", "h", new double[] {2, 1}));
    }
}
