package dev.imagedisk.gce.emulator;

/**
 * Builds self links and parses resource references.
 *
 * <p>Self links are absolute URLs on the emulator's own base URL, e.g.
 * {@code http://127.0.0.1:PORT/compute/v1/projects/p/zones/z/disks/d}: they can be fetched from the
 * emulator, and like Compute Engine's {@code https://www.googleapis.com/compute/v1/...} links they
 * carry the resource path after {@code /compute/v1/}. References in requests are accepted as full
 * URLs on any host (this emulator, {@code www.googleapis.com}, {@code compute.googleapis.com}),
 * as partial paths ({@code projects/p/zones/z/disks/d}, {@code zones/z/disks/d},
 * {@code global/images/i}) or, where Compute Engine accepts it, as a bare name.
 */
final class Links {
    private final String api;

    Links(String baseUrl) {
        this.api = baseUrl + "/compute/v1/";
    }

    String api() {
        return api;
    }

    String project(String p) {
        return api + "projects/" + p;
    }

    String zone(String p, String z) {
        return api + zonePath(p, z);
    }

    String disk(String p, String z, String d) {
        return api + diskPath(p, z, d);
    }

    String instance(String p, String z, String i) {
        return api + instancePath(p, z, i);
    }

    String image(String p, String i) {
        return api + imagePath(p, i);
    }

    String diskType(String p, String z, String t) {
        return api + zonePath(p, z) + "/diskTypes/" + t;
    }

    String machineType(String p, String z, String t) {
        return api + zonePath(p, z) + "/machineTypes/" + t;
    }

    String zoneOperation(String p, String z, String op) {
        return api + zonePath(p, z) + "/operations/" + op;
    }

    String globalOperation(String p, String op) {
        return api + "projects/" + p + "/global/operations/" + op;
    }

    static String zonePath(String p, String z) {
        return "projects/" + p + "/zones/" + z;
    }

    static String diskPath(String p, String z, String d) {
        return zonePath(p, z) + "/disks/" + d;
    }

    static String instancePath(String p, String z, String i) {
        return zonePath(p, z) + "/instances/" + i;
    }

    static String imagePath(String p, String i) {
        return "projects/" + p + "/global/images/" + i;
    }

    /**
     * Reduces a reference to its path relative to the API root: strips scheme, host and
     * {@code /compute/v1/} (or any version) so that {@code https://h/compute/v1/projects/p/...}
     * and {@code projects/p/...} both yield {@code projects/p/...}; relative forms stay as they are.
     */
    static String relative(String ref) {
        String s = ref.trim();
        int scheme = s.indexOf("://");
        if (scheme >= 0) {
            int slash = s.indexOf('/', scheme + 3);
            s = slash < 0 ? "" : s.substring(slash + 1);
            int q = s.indexOf('?');
            if (q >= 0) {
                s = s.substring(0, q);
            }
            int projects = s.indexOf("projects/");
            s = projects < 0 ? s : s.substring(projects);
        }
        while (s.startsWith("/")) {
            s = s.substring(1);
        }
        if (s.startsWith("compute/")) {
            int projects = s.indexOf("projects/");
            if (projects >= 0) {
                s = s.substring(projects);
            }
        }
        return s;
    }

    /** A parsed zonal reference: {@code projects/P/zones/Z/COLLECTION/NAME}. */
    record Zonal(String project, String zone, String name) {}

    /**
     * Parses a zonal resource reference of the given collection ({@code disks}, {@code diskTypes},
     * {@code instances}); returns null when the reference does not have that shape.
     */
    static Zonal zonal(String ref, String collection, String defaultProject, String defaultZone) {
        String s = relative(ref);
        String[] parts = s.split("/");
        if (parts.length == 1 && !parts[0].isEmpty()) {
            return new Zonal(defaultProject, defaultZone, parts[0]);
        }
        if (parts.length == 4 && parts[0].equals("zones") && parts[2].equals(collection)) {
            return new Zonal(defaultProject, parts[1], parts[3]);
        }
        if (parts.length == 6
                && parts[0].equals("projects")
                && parts[2].equals("zones")
                && parts[4].equals(collection)) {
            return new Zonal(parts[1], parts[3], parts[5]);
        }
        return null;
    }

    /** A parsed image reference: a concrete image or an image family. */
    record ImageRef(String project, String name, boolean family) {}

    static ImageRef parseImage(String ref, String defaultProject) {
        String s = relative(ref);
        String[] parts = s.split("/");
        String project = defaultProject;
        int i = 0;
        if (parts.length >= 2 && parts[0].equals("projects")) {
            project = parts[1];
            i = 2;
        }
        int rest = parts.length - i;
        if (rest == 1 && i == 0 && !parts[0].isEmpty()) {
            return new ImageRef(project, parts[0], false);
        }
        if (rest == 3 && parts[i].equals("global") && parts[i + 1].equals("images")) {
            return new ImageRef(project, parts[i + 2], false);
        }
        if (rest == 4 && parts[i].equals("global") && parts[i + 1].equals("images") && parts[i + 2].equals("family")) {
            return new ImageRef(project, parts[i + 3], true);
        }
        return null;
    }
}
