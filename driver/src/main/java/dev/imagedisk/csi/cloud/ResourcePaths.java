package dev.imagedisk.csi.cloud;

/** Reads Compute Engine resource references: relative paths and self links alike. */
final class ResourcePaths {
    private ResourcePaths() {}

    /**
     * The part from {@code projects/} on: {@code https://host/compute/v1/projects/p/...} and
     * {@code projects/p/...} both give {@code projects/p/...}; anything else comes back unchanged.
     */
    static String relative(String reference) {
        if (reference == null) {
            return "";
        }
        String s = reference.trim();
        int scheme = s.indexOf("://");
        if (scheme >= 0) {
            int projects = s.indexOf("/projects/", scheme + 3);
            if (projects < 0) {
                return s;
            }
            s = s.substring(projects + 1);
        }
        return s;
    }

    /** {@code [project, zone, name]} of {@code projects/P/zones/Z/<collection>/NAME}, or null. */
    static String[] zonal(String reference, String collection) {
        String[] parts = relative(reference).split("/", -1);
        if (parts.length != 6 || !parts[0].equals("projects") || !parts[2].equals("zones")
                || !parts[4].equals(collection)) {
            return null;
        }
        for (int i = 1; i < 6; i += 2) {
            if (parts[i].isEmpty()) {
                return null;
            }
        }
        return new String[] {parts[1], parts[3], parts[5]};
    }

    /** The last path segment of a reference, e.g. the zone name of a zone URL. */
    static String lastSegment(String reference) {
        if (reference == null) {
            return "";
        }
        return reference.substring(reference.lastIndexOf('/') + 1);
    }
}
