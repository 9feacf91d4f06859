package dev.imagedisk.csi.doctor;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.HttpsURLConnection;
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
        String h = host.contains(":") ? "[" + host + "]" : host;
        return get(
                "https://" + h + ":" + port,
                Files.readString(ACCOUNT.resolve("token")).trim(),
                ACCOUNT.resolve("ca.crt"),
                path);
    }

    /** GET {@code base + path} with the bearer {@code token}, trusting only the certificates in {@code caFile}. */
    static String get(String base, String token, Path caFile, String path) throws IOException {
        // HttpsURLConnection (java.base), not java.net.http: the image's runtime holds only the modules the plugin uses
        HttpsURLConnection c =
                (HttpsURLConnection) URI.create(base + path).toURL().openConnection();
        c.setSSLSocketFactory(trusting(caFile).getSocketFactory());
        c.setConnectTimeout(5_000);
        c.setReadTimeout(10_000);
        c.setRequestProperty("Authorization", "Bearer " + token);
        c.setRequestProperty("Accept", "application/json");
        try {
            int status = c.getResponseCode();
            InputStream body = status < 400 ? c.getInputStream() : c.getErrorStream();
            String text = body == null ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8);
            if (status != 200) {
                throw new IOException("GET " + path + ": HTTP " + status + ": " + text);
            }
            return text;
        } finally {
            c.disconnect();
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
