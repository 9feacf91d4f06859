package dev.imagedisk.gce.emulator;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.api.client.http.HttpResponseException;
import com.google.api.gax.rpc.ApiException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

final class TestSupport {
    static final String P = "test-project";
    static final String Z = "us-central1-a";
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestSupport() {}

    /** The Google error body a client exception carries, read the way the driver reads it. */
    static JsonNode errorBody(ApiException e) throws IOException {
        Throwable cause = e.getCause();
        assertInstanceOf(HttpResponseException.class, cause, "cause of " + e);
        return Json.MAPPER.readTree(((HttpResponseException) cause).getContent());
    }

    static String reason(ApiException e) throws IOException {
        return errorBody(e).at("/error/errors/0/reason").asText();
    }

    record Raw(int status, JsonNode json, String text, HttpResponse<String> response) {}

    static Raw raw(String method, String url, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = null;
        try {
            json = Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            // not JSON
        }
        return new Raw(r.statusCode(), json, r.body(), r);
    }

    // ---------------------------------------------------------------------------- root storage

    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[1].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    static void assumeLoopDevices() {
        Assumptions.assumeTrue(isRoot(), "skipped: real storage needs root (loop devices, mount)");
        Assumptions.assumeTrue(
                Files.exists(Path.of("/dev/loop-control")), "skipped: no /dev/loop-control on this machine");
        Assumptions.assumeTrue(
                Files.isExecutable(Path.of(FileStorage.findProgram("mkfs.ext4"))),
                "skipped: mkfs.ext4 (e2fsprogs) is not installed");
    }

    static String run(String... argv) throws IOException {
        return Exec.check(Duration.ofSeconds(60), List.of(argv));
    }

    static Exec.Result tryRun(String... argv) throws IOException {
        return Exec.run(Duration.ofSeconds(60), List.of(argv));
    }

    static String sbin(String name) {
        return FileStorage.findProgram(name);
    }

    /** Bytes actually allocated to a file (st_blocks * 512). */
    static long allocatedBytes(Path file) throws IOException {
        return Long.parseLong(run("stat", "-c", "%b", file.toString()).trim()) * 512;
    }

    static long blockDeviceSize(String dev) throws IOException {
        return Long.parseLong(run(sbin("blockdev"), "--getsize64", dev).trim());
    }

    /** Loop devices (from losetup -j) bound to a file. */
    static List<String> loopsOf(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line :
                run(sbin("losetup"), "-j", file.toAbsolutePath().toString()).split("\n")) {
            if (!line.isBlank()) {
                out.add(line.substring(0, line.indexOf(':')));
            }
        }
        return out;
    }

    /** Releases loop devices backed by files under {@code dir} (only those: ours). */
    static void releaseLoopsUnder(Path dir) {
        try {
            String all = run(sbin("losetup"), "-a");
            String prefix = dir.toAbsolutePath().toString();
            for (String line : all.split("\n")) {
                if (line.contains("(" + prefix)) {
                    tryRun(sbin("losetup"), "-d", line.substring(0, line.indexOf(':')));
                }
            }
        } catch (IOException e) {
            // best effort
        }
    }

    static void deleteTree(Path root) {
        if (root == null || !Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
