package dev.imagedisk.csi.node;

import java.util.List;

/**
 * What a volume capability asks of the node, once validated: block or filesystem access, the requested
 * filesystem type ("" for any), mount flags, whether the access mode is read-only, and whether it allows one
 * published target only (SINGLE_NODE_SINGLE_WRITER).
 */
public record VolumeSpec(
        boolean block, String fsType, List<String> mountFlags, boolean readOnly, boolean singleTarget) {
    public VolumeSpec {
        mountFlags = List.copyOf(mountFlags);
    }
}
