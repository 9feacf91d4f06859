package dev.imagedisk.bench;

import java.util.List;

/** Test access to the bench's package-private Dockerfile reading. */
public final class ImageRuntimeAccess {
    private ImageRuntimeAccess() {}

    public static int lastStageFeature(List<String> dockerfile) {
        return ImageRuntime.lastStageFeature(dockerfile);
    }
}
