package dev.imagedisk.csi.metadata;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Reads this VM's identity from the Compute Engine metadata server ({@code /computeMetadata/v1/...},
 * with the {@code Metadata-Flavor: Google} header the server requires).
 */
public final class MetadataClient {
    private final String baseUrl;
    private final HttpClient http;
    private final Duration timeout;

    public MetadataClient(String baseUrl, Duration timeout) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
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
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/computeMetadata/v1/" + path))
                .header("Metadata-Flavor", "Google")
                .timeout(timeout)
                .GET()
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading metadata " + path, e);
        }
        if (response.statusCode() != 200) {
            throw new IOException("metadata server " + baseUrl + " answered HTTP " + response.statusCode()
                    + " for " + path);
        }
        String body = response.body().trim();
        if (body.isEmpty()) {
            throw new IOException("metadata server " + baseUrl + " returned an empty " + path);
        }
        return body;
    }
}
