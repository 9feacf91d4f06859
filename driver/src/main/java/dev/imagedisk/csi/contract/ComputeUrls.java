package dev.imagedisk.csi.contract;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compute Engine resource URLs a user may write where a resource path is asked for (a StorageClass's {@code image},
 * {@code --default-image}). Compute Engine's self links are {@code https://www.googleapis.com/compute/v1/projects/...}
 * and its documented endpoint is {@code https://compute.googleapis.com/compute/v1/...} ({@code beta} and
 * {@code alpha} alike); a URL on any other host is not a Compute Engine resource, so it is refused rather than
 * read as the path it ends with. Self links the adapter reads from Compute Engine's own answers are cut with
 * {@link ZonalPath#relative} instead (they come from the configured endpoint, an emulator in tests).
 */
public final class ComputeUrls {
    /** The hosts of Compute Engine's API. */
    public static final List<String> HOSTS = List.of("www.googleapis.com", "compute.googleapis.com");

    private static final Pattern URL =
            Pattern.compile("https://(www\\.googleapis\\.com|compute\\.googleapis\\.com)/compute/(v1|beta|alpha)/"
                    + "(projects/[^?#]*)");

    private ComputeUrls() {}

    /** The result of reading a reference: the path from {@code projects/} on, or why it is not one. */
    public record Reading(Optional<String> path, String problem) {}

    /**
     * {@code reference} as a path relative to the API root: a path that is not a URL comes back as it is (trimmed);
     * a URL only when it is on Compute Engine's hosts, over https, with {@code /compute/VERSION/projects/...}.
     */
    public static Reading relative(String reference) {
        String s = reference == null ? "" : reference.trim();
        if (!s.contains("://")) {
            return new Reading(Optional.of(s), null);
        }
        Matcher m = URL.matcher(s);
        if (m.matches()) {
            return new Reading(Optional.of(m.group(3)), null);
        }
        String host;
        try {
            host = URI.create(s).getHost();
        } catch (IllegalArgumentException e) {
            host = null;
        }
        if (host != null && !HOSTS.contains(host)) {
            return new Reading(
                    Optional.empty(),
                    "host " + host + " is not Compute Engine's API (" + String.join(" or ", HOSTS) + ")");
        }
        return new Reading(
                Optional.empty(),
                "a Compute Engine URL is https://" + HOSTS.get(0) + "/compute/v1/projects/... or https://"
                        + HOSTS.get(1) + "/compute/v1/projects/...");
    }
}
