package dev.imagedisk.csi.doctor;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Reads from the Kubernetes API of the cluster the doctor runs in, as its pod's service account (the token and CA
 * Kubernetes mounts at {@code /var/run/secrets/kubernetes.io/serviceaccount}, the API at
 * {@code KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT}).
 */
final class ClusterApi {
    static final Path ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

    private ClusterApi() {}

    /** The JSON at {@code path} (e.g. {@code /apis/storage.k8s.io/v1/storageclasses}). */
    static String get(String path) throws IOException {
        String host = System.getenv("KUBERNETES_SERVICE_HOST");
        String port = System.getenv().getOrDefault("KUBERNETES_SERVICE_PORT", "443");
        if (host == null || host.isBlank()) {
            throw new IOException("not in a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set)");
        }
        String token = Files.readString(ACCOUNT.resolve("token")).trim();
        HttpClient client = HttpClient.newBuilder()
                .sslContext(trusting(ACCOUNT.resolve("ca.crt")))
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        String h = host.contains(":") ? "[" + host + "]" : host;
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://" + h + ":" + port + path))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json")
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IOException("GET " + path + ": HTTP " + response.statusCode() + ": " + response.body());
            }
            return response.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted reading " + path, e);
        }
    }

    private static SSLContext trusting(Path caFile) throws IOException {
        try (InputStream in = Files.newInputStream(caFile)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            return ssl;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot trust " + caFile + ": " + e.getMessage(), e);
        }
    }
}
