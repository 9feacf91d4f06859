package dev.imagedisk.csi.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeOperationMetricsTest {
    @Test
    void programsMapToOperations() {
        assertEquals("format", NodeOperationMetrics.operation(List.of("mkfs.ext4", "-F", "/dev/loop0")));
        assertEquals("format", NodeOperationMetrics.operation(List.of("/usr/sbin/mkfs.xfs", "/dev/loop0")));
        assertEquals("mount", NodeOperationMetrics.operation(List.of("mount", "-t", "ext4", "/dev/loop0", "/m")));
        assertEquals("bind", NodeOperationMetrics.operation(List.of("mount", "--bind", "/a", "/b")));
        assertEquals("bind", NodeOperationMetrics.operation(List.of("mount", "-o", "remount,bind,ro", "/b")));
        assertEquals("unmount", NodeOperationMetrics.operation(List.of("umount", "/b")));
        assertEquals("resize", NodeOperationMetrics.operation(List.of("resize2fs", "/dev/loop0")));
        assertEquals("resize", NodeOperationMetrics.operation(List.of("xfs_growfs", "/m")));
        assertEquals("fsck", NodeOperationMetrics.operation(List.of("e2fsck", "-p", "/dev/loop0")));
        assertEquals("inspect", NodeOperationMetrics.operation(List.of("sfdisk", "--dump", "/dev/loop0")));
        assertEquals(
                "partition",
                NodeOperationMetrics.operation(
                        List.of("sfdisk", "--no-reread", "--no-tell-kernel", "--force", "-N", "1", "/dev/loop0")));
        assertEquals(
                "partition", NodeOperationMetrics.operation(List.of("partx", "--update", "--nr", "1:1", "/dev/loop0")));
    }

    @Test
    void failuresAreCountedApart() {
        DriverMetrics metrics = new DriverMetrics();
        NodeOperationMetrics observer = new NodeOperationMetrics(metrics);
        observer.ran(List.of("mount", "/dev/x", "/m"), true, Duration.ofMillis(3));
        observer.ran(List.of("mount", "/dev/x", "/m"), false, Duration.ofMillis(3));
        observer.ran(List.of("mkfs.ext4", "/dev/x"), true, Duration.ofMillis(30));
        String text = metrics.scrape();
        assertEquals(
                true, text.contains("imagedisk_node_operations_total{operation=\"mount\",outcome=\"ok\"} 1"), text);
        assertEquals(
                true, text.contains("imagedisk_node_operations_total{operation=\"mount\",outcome=\"error\"} 1"), text);
        assertEquals(
                true, text.contains("imagedisk_node_operations_total{operation=\"format\",outcome=\"ok\"} 1"), text);
    }
}
