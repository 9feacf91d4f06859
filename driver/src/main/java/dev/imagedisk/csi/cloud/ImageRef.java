package dev.imagedisk.csi.cloud;

import dev.imagedisk.csi.contract.ImageId;
import dev.imagedisk.csi.contract.ZonalPath;
import java.util.Objects;

/** A global image ({@code projects/P/global/images/NAME}) or an image family ({@code .../images/family/F}). */
public record ImageRef(String project, String name, boolean family) {
    public ImageRef {
        Objects.requireNonNull(project, "project");
        Objects.requireNonNull(name, "name");
    }

    public static ImageRef image(String project, String name) {
        return new ImageRef(project, name, false);
    }

    public static ImageRef family(String project, String family) {
        return new ImageRef(project, family, true);
    }

    /** Parses an image or family path or self link ({@code projects/P/global/images/NAME}); null otherwise. */
    public static ImageRef parse(String reference) {
        return ImageId.parse(ZonalPath.relative(reference)).map(ImageRef::of).orElse(null);
    }

    public static ImageRef of(ImageId id) {
        return new ImageRef(id.project(), id.name(), id.family());
    }

    public ImageId imageId() {
        return new ImageId(project, name, family);
    }

    public String path() {
        return imageId().path();
    }

    @Override
    public String toString() {
        return path();
    }
}
