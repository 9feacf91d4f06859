package dev.imagedisk.csi.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The doctor's read of the cluster's API on a local HTTPS server with a certificate made for the test: the service
 * account's bearer token is sent, only the given CA is trusted, and an error status is an error.
 */
class ClusterApiTest {
    static final String BODY = "{\"kind\":\"StorageClassList\",\"items\":[]}";

    @TempDir
    Path dir;

    HttpsServer server;
    String base;
    Path ca;

    static void keytool(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool " + String.join(" ", args) + ": " + out);
        }
    }

    /** A key pair for 127.0.0.1 in {@code name}.p12 and its certificate in {@code name}.crt. */
    Path certificate(String name) throws Exception {
        Path store = dir.resolve(name + ".p12");
        keytool(
                "-genkeypair",
                "-alias",
                "k",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "SAN=ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                store.toString(),
                "-storepass",
                "secret",
                "-keypass",
                "secret");
        Path crt = dir.resolve(name + ".crt");
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                "k",
                "-keystore",
                store.toString(),
                "-storepass",
                "secret",
                "-file",
                crt.toString());
        return store;
    }

    @BeforeEach
    void start() throws Exception {
        Path store = certificate("api");
        ca = dir.resolve("api.crt");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = java.nio.file.Files.newInputStream(store)) {
            ks.load(in, "secret".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "secret".toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        server.createContext("/apis/storage.k8s.io/v1/storageclasses", ex -> {
            boolean ok = "Bearer tok".equals(ex.getRequestHeaders().getFirst("Authorization"));
            byte[] body =
                    (ok ? BODY : "{\"kind\":\"Status\",\"reason\":\"Unauthorized\"}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(ok ? 200 : 401, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        base = "https://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void readsWithTheTokenTrustingTheCa() throws IOException {
        assertEquals(BODY, ClusterApi.get(base, "tok", ca, "/apis/storage.k8s.io/v1/storageclasses"));
    }

    @Test
    void anErrorStatusIsAnError() {
        IOException e = assertThrows(
                IOException.class, () -> ClusterApi.get(base, "wrong", ca, "/apis/storage.k8s.io/v1/storageclasses"));
        assertTrue(e.getMessage().contains("HTTP 401") && e.getMessage().contains("Unauthorized"), e.getMessage());
    }

    @Test
    void aServerTheCaDidNotCertifyIsRefused() throws Exception {
        certificate("other");
        assertThrows(
                IOException.class,
                () -> ClusterApi.get(base, "tok", dir.resolve("other.crt"), "/apis/storage.k8s.io/v1/storageclasses"));
    }
}
