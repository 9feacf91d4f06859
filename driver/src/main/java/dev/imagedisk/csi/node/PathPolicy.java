package dev.imagedisk.csi.node;

import dev.imagedisk.csi.server.CsiErrors;
import dev.imagedisk.csi.server.CsiFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Admits staging and target paths only when they are absolute, normalized and under the kubelet
 * directory, also once symbolic links are resolved. Returns the resolved path that the driver then
 * mounts on and looks for in the mount table.
 */
public final class PathPolicy {
    private final Path kubeletDir;

    public PathPolicy(Path kubeletDir) {
        this.kubeletDir = kubeletDir.toAbsolutePath().normalize();
    }

    public Path kubeletDir() {
        return kubeletDir;
    }

    /** Checks the value of CSI field {@code field}; throws INVALID_ARGUMENT naming the field and the reason. */
    public Path check(String field, String value) {
        CsiErrors.require(value, field);
        if (value.indexOf('\0') >= 0) {
            throw CsiErrors.invalidArgument("%s contains a NUL character", field);
        }
        Path path;
        try {
            path = Path.of(value);
        } catch (InvalidPathException e) {
            throw CsiErrors.invalidArgument("%s %s is not a valid path: %s", field, value, e.getReason());
        }
        if (!path.isAbsolute()) {
            throw CsiErrors.invalidArgument("%s %s must be an absolute path", field, value);
        }
        if (!path.normalize().equals(path)) {
            throw CsiErrors.invalidArgument("%s %s must be normalized (no . or .. components)", field, value);
        }
        if (!path.startsWith(kubeletDir) || path.equals(kubeletDir)) {
            throw CsiErrors.invalidArgument("%s %s must be under the kubelet directory %s", field, value, kubeletDir);
        }
        Path realKubelet = realOrSelf(kubeletDir);
        Path existing = path;
        while (!Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
            if (existing == null) {
                return path;
            }
        }
        Path real;
        try {
            real = existing.toRealPath();
        } catch (IOException e) {
            throw CsiErrors.invalidArgument(
                    "%s %s: %s is a link that does not resolve (%s)", field, value, existing, e.getMessage());
        }
        Path resolved = real.resolve(existing.relativize(path));
        if (!resolved.startsWith(realKubelet) || resolved.equals(realKubelet)) {
            throw CsiErrors.invalidArgument(
                    "%s %s resolves to %s, outside the kubelet directory %s", field, value, resolved, kubeletDir);
        }
        return resolved;
    }

    /**
     * Like {@link #check}, for a path that must already hold a volume (NodeGetVolumeStats, NodeExpandVolume): a
     * path that cannot be one of ours (relative, outside the kubelet directory) is NOT_FOUND, as the CSI spec
     * answers for a volume that is not at the given path. An empty value stays INVALID_ARGUMENT.
     */
    public Path checkExisting(String field, String value) {
        CsiErrors.require(value, field);
        try {
            return check(field, value);
        } catch (CsiFailure e) {
            if (e.code() != CsiFailure.Code.INVALID_ARGUMENT) {
                throw e;
            }
            throw CsiErrors.notFound("no volume at %s: %s", field, e.getMessage());
        }
    }

    private static Path realOrSelf(Path dir) {
        try {
            return dir.toRealPath();
        } catch (IOException e) {
            return dir;
        }
    }
}
