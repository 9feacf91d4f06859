package dev.imagedisk.csi.cloud;

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

    /** Parses a concrete image path or self link ({@code projects/P/global/images/NAME}); null otherwise. */
    public static ImageRef parse(String reference) {
        String[] parts = ResourcePaths.relative(reference).split("/");
        if (parts.length == 5 && parts[0].equals("projects") && parts[2].equals("global")
                && parts[3].equals("images")) {
            return image(parts[1], parts[4]);
        }
        return null;
    }

    public String path() {
        return "projects/" + project + "/global/images/" + (family ? "family/" : "") + name;
    }

    @Override
    public String toString() {
        return path();
    }
}
