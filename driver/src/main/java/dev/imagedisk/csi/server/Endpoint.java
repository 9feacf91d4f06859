package dev.imagedisk.csi.server;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A CSI endpoint: a Unix domain socket path, given as {@code unix:///abs/path} or {@code unix:/abs/path}. */
public record Endpoint(Path socketPath) {
    /** Linux sun_path holds 108 bytes including the terminating NUL. */
    static final int MAX_SOCKET_PATH_BYTES = 107;

    public Endpoint {
        if (!socketPath.isAbsolute()) {
            throw new IllegalArgumentException("socket path must be absolute: " + socketPath);
        }
    }

    public static Endpoint parse(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("endpoint is empty; expected unix:///absolute/path/csi.sock");
        }
        String path;
        if (value.startsWith("unix:///")) {
            path = value.substring("unix://".length());
        } else if (value.startsWith("unix:/") && !value.startsWith("unix://")) {
            path = value.substring("unix:".length());
        } else {
            throw new IllegalArgumentException("endpoint '" + value
                    + "' is not supported; expected unix:///absolute/path/csi.sock or unix:/absolute/path/csi.sock");
        }
        Path p = Path.of(path);
        if (!p.normalize().equals(p) || path.endsWith("/") || path.contains("//")) {
            throw new IllegalArgumentException("endpoint '" + value + "' is not a normalized absolute socket path");
        }
        if (p.getFileName() == null) {
            throw new IllegalArgumentException("endpoint '" + value + "' names no socket file");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
            throw new IllegalArgumentException("endpoint '" + value + "' is longer than the " + MAX_SOCKET_PATH_BYTES
                    + " bytes a Unix socket path may have");
        }
        return new Endpoint(p);
    }

    @Override
    public String toString() {
        return "unix://" + socketPath;
    }
}
