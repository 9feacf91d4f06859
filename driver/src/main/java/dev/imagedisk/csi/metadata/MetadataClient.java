package dev.imagedisk.csi.metadata;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Reads this VM's identity from the Compute Engine metadata server ({@code /computeMetadata/v1/...},
 * with the {@code Metadata-Flavor: Google} header the server requires). Plain HTTP through
 * {@link HttpURLConnection}, made per request: the JDK's HttpClient would set up TLS and a selector thread
 * when the plugin starts, for a server that speaks plain HTTP and is asked once or twice in a node's life.
 */
public final class MetadataClient {
    private final String baseUrl;
    private final Duration timeout;

    public MetadataClient(String baseUrl, Duration timeout) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.timeout = timeout;
    }

    public String projectId() throws IOException {
        return get("project/project-id");
    }

    /** The zone name, e.g. {@code us-central1-a} (the server answers {@code projects/N/zones/Z}). */
    public String zone() throws IOException {
        return lastSegment(get("instance/zone"));
    }

    public String instanceName() throws IOException {
        return get("instance/name");
    }

    /** The machine type name, e.g. {@code e2-medium}. */
    public String machineType() throws IOException {
        return lastSegment(get("instance/machine-type"));
    }

    private static String lastSegment(String value) {
        return value.substring(value.lastIndexOf('/') + 1);
    }

    private String get(String path) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(baseUrl + "/computeMetadata/v1/" + path).openConnection();
        try {
            c.setRequestProperty("Metadata-Flavor", "Google");
            c.setConnectTimeout((int) Math.max(1, timeout.toMillis()));
            c.setReadTimeout((int) Math.max(1, timeout.toMillis()));
            c.setUseCaches(false);
            c.setInstanceFollowRedirects(false);
            int code = c.getResponseCode();
            if (code != 200) {
                throw new IOException("metadata server " + baseUrl + " answered HTTP " + code + " for " + path);
            }
            String body;
            try (InputStream in = c.getInputStream()) {
                body = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8).trim();
            }
            if (body.isEmpty()) {
                throw new IOException("metadata server " + baseUrl + " returned an empty " + path);
            }
            return body;
        } finally {
            c.disconnect();
        }
    }
}
