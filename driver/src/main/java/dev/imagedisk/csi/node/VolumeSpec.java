package dev.imagedisk.csi.node;

import java.util.List;

/**
 * What a volume capability asks of the node, once validated: block or filesystem access, the requested
 * filesystem type ("" for any), mount flags, and whether the access mode is read-only.
 */
public record VolumeSpec(boolean block, String fsType, List<String> mountFlags, boolean readOnly) {
    public VolumeSpec {
        mountFlags = List.copyOf(mountFlags);
    }
}
