package dev.imagedisk.csi.contract;

import java.util.Optional;

/**
 * The one parser of {@code projects/P/zones/Z/<collection>/NAME}: exactly six segments, a valid project,
 * zone and resource name, nothing else (no self links, no dots, no empty segments). Volume and node ids are
 * of this form; cloud adapters that read self links cut them to this form first ({@link #relative}).
 */
public record ZonalPath(String project, String zone, String collection, String name) {

    public static Optional<ZonalPath> parse(String path, String collection) {
        if (path == null) {
            return Optional.empty();
        }
        String[] p = path.split("/", -1);
        if (p.length != 6
                || !p[0].equals("projects")
                || !p[2].equals("zones")
                || !p[4].equals(collection)
                || !GceNames.isProject(p[1])
                || !GceNames.isZone(p[3])
                || !GceNames.isName(p[5])) {
            return Optional.empty();
        }
        return Optional.of(new ZonalPath(p[1], p[3], collection, p[5]));
    }

    /**
     * The part from {@code projects/} on of a self link ({@code https://host/compute/v1/projects/p/...}); a
     * relative path comes back unchanged.
     */
    public static String relative(String reference) {
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

    public String path() {
        return "projects/" + project + "/zones/" + zone + "/" + collection + "/" + name;
    }

    @Override
    public String toString() {
        return path();
    }
}
