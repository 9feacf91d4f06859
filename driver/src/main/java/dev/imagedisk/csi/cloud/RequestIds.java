package dev.imagedisk.csi.cloud;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Compute Engine {@code requestId}s derived from an idempotency key: the same key and attempt always give
 * the same UUID, so an insert repeated after a lost reply or a restart is recognised by Compute Engine.
 */
public final class RequestIds {
    private RequestIds() {}

    /** The request id of attempt {@code attempt} (0 for the first) of the request named by {@code key}. */
    public static String of(String key, int attempt) {
        String seed = "imagedisk-csi:" + key + (attempt == 0 ? "" : "#" + attempt);
        return UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
