package dev.imagedisk.csi.metrics;

import dev.imagedisk.csi.exec.CommandRunner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Counts the node's filesystem and mount work by operation, from the programs that do it. */
public final class NodeOperationMetrics implements CommandRunner.Observer {
    private final DriverMetrics metrics;

    public NodeOperationMetrics(DriverMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void ran(List<String> command, boolean ok, Duration took) {
        metrics.nodeOperation(operation(command), ok, took);
    }

    static String operation(List<String> command) {
        String program = Path.of(command.get(0)).getFileName().toString();
        if (program.startsWith("mkfs")) {
            return "format";
        }
        return switch (program) {
            case "mount" ->
                command.stream().anyMatch(a -> a.equals("--bind") || a.contains(",bind")) ? "bind" : "mount";
            case "umount" -> "unmount";
            case "resize2fs", "xfs_growfs" -> "resize";
            case "e2fsck", "fsck", "xfs_repair" -> "fsck";
            case "blkid", "dumpe2fs", "stat", "blockdev" -> "inspect";
            // reading a table is inspection; changing it, or the kernel's view of it (BLKPG), is partitioning
            case "sfdisk" -> command.contains("--dump") ? "inspect" : "partition";
            case "partx" -> command.contains("--show") ? "inspect" : "partition";
            default -> program;
        };
    }
}
