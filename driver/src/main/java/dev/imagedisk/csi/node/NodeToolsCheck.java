package dev.imagedisk.csi.node;

import dev.imagedisk.csi.common.ReadinessCheck;
import dev.imagedisk.csi.exec.Executables;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Ready when the programs the node service runs are installed. The xfs tools are optional: without them
 * an xfs volume is refused with FAILED_PRECONDITION.
 */
public final class NodeToolsCheck implements ReadinessCheck {
    public static final List<String> REQUIRED =
            List.of("blkid", "mkfs.ext4", "e2fsck", "resize2fs", "mount", "umount", "stat", "sfdisk", "partx");

    private final Executables executables;

    public NodeToolsCheck(Executables executables) {
        this.executables = executables;
    }

    @Override
    public String name() {
        return "node tools";
    }

    @Override
    public String notReadyReason() {
        List<String> missing =
                REQUIRED.stream().filter(t -> !executables.has(t)).collect(Collectors.toList());
        return missing.isEmpty() ? null : "programs missing on this node: " + String.join(", ", missing);
    }
}
