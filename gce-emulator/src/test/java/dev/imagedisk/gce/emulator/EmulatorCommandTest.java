package dev.imagedisk.gce.emulator;

import static dev.imagedisk.gce.emulator.TestSupport.raw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class EmulatorCommandTest {
    @Test
    void servesUntilStoppedWithImagesAndInstancesFromFlags() throws Exception {
        Path tmp = Files.createTempDirectory("gce-emu-cmd-");
        try {
            Path image = tmp.resolve("img.ext4");
            Files.write(image, new byte[3 << 20]);
            EmulatorCommand cmd = new EmulatorCommand();
            FirstLine out = new FirstLine();
            CommandLine cli = new CommandLine(cmd).setOut(new PrintWriter(out, true));
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cli.execute(
                    "--no-storage",
                    "--project",
                    "proj",
                    "--operation-duration",
                    "10m", // the insert below answers PENDING however slow this machine is
                    "--image",
                    "lib=" + image + ":lib-family",
                    "--instance",
                    "us-central1-a/node-1:n2-standard-2",
                    "--instance",
                    "us-central1-b/node-2",
                    "--instance",
                    "us-central1-c/node-3:e2-small=" + tmp.resolve("node-3/by-id"),
                    "--metadata-instance",
                    "us-central1-b/node-2"));
            String url = awaitFirstLine(out);
            assertTrue(url.matches("http://127\\.0\\.0\\.1:\\d+"), url);
            JsonNode img = raw("GET", url + "/compute/v1/projects/proj/global/images/family/lib-family", null)
                    .json();
            assertEquals("lib", img.get("name").asText());
            assertEquals("1", img.get("diskSizeGb").asText());
            JsonNode node1 = raw(
                            "GET", url + "/compute/v1/projects/proj/zones/us-central1-a/instances" + "/node-1", null)
                    .json();
            assertTrue(node1.get("machineType").asText().endsWith("/machineTypes/n2-standard-2"));
            JsonNode node3 = raw("GET", url + "/compute/v1/projects/proj/zones/us-central1-c/instances/node-3", null)
                    .json();
            assertTrue(node3.get("machineType").asText().endsWith("/machineTypes/e2-small"), node3.toString());
            assertEquals(
                    "node-2",
                    raw("GET", url + "/computeMetadata/v1/instance/name", null, "Metadata-Flavor", "Google")
                            .text());
            JsonNode op = raw(
                            "POST",
                            url + "/compute/v1/projects/proj/zones/us-central1-a/disks",
                            "{\"name\":\"d\",\"sizeGb\":\"10\"}")
                    .json();
            assertEquals("PENDING", op.get("status").asText());
            cmd.stop.countDown();
            assertEquals(0, exit.get(30, TimeUnit.SECONDS));
            assertEquals(
                    2,
                    new CommandLine(new EmulatorCommand())
                            .setErr(new PrintWriter(new StringWriter()))
                            .execute("--image", "no-equals-sign"));
            assertEquals(
                    2,
                    new CommandLine(new EmulatorCommand())
                            .setErr(new PrintWriter(new StringWriter()))
                            .execute("--instance", "us-central1-a/node-9="),
                    "an instance's device dir after '=' is empty");
        } finally {
            TestSupport.deleteTree(tmp);
        }
    }

    /**
     * Requests made while the command adds its images and instances are answered 503 (a client retries them);
     * the URL is printed once they are in place, and from then on they are served.
     */
    @Test
    void answersUnavailableUntilEveryImageAndInstanceIsInPlace() throws Exception {
        Path tmp = Files.createTempDirectory("gce-emu-ready-");
        try {
            Path image = tmp.resolve("img.ext4");
            Files.write(image, new byte[1 << 20]);
            EmulatorCommand cmd = new EmulatorCommand();
            String instance = "/compute/v1/projects/proj/zones/us-central1-a/instances/node-1";
            String image1 = "/compute/v1/projects/proj/global/images/lib";
            List<Integer> early = new ArrayList<>();
            cmd.whileSettingUp = url -> {
                try {
                    early.add(raw("GET", url + instance, null).status());
                    early.add(raw("GET", url + image1, null).status());
                    early.add(raw("GET", url + "/computeMetadata/v1/instance/name", null, "Metadata-Flavor", "Google")
                            .status());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            };
            FirstLine out = new FirstLine();
            CommandLine cli = new CommandLine(cmd).setOut(new PrintWriter(out, true));
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cli.execute(
                    "--no-storage",
                    "--project",
                    "proj",
                    "--image",
                    "lib=" + image,
                    "--instance",
                    "us-central1-a/node-1"));
            String url = out.line.get(30, TimeUnit.SECONDS);
            assertEquals(List.of(503, 503, 503), early, "answers while setting up");
            assertEquals(200, raw("GET", url + instance, null).status());
            assertEquals(200, raw("GET", url + image1, null).status());
            cmd.stop.countDown();
            assertEquals(0, exit.get(30, TimeUnit.SECONDS));
        } finally {
            TestSupport.deleteTree(tmp);
        }
    }

    /** The command's output; {@link #line} completes with its first line. */
    private static final class FirstLine extends StringWriter {
        final CompletableFuture<String> line = new CompletableFuture<>();

        @Override
        public void flush() {
            String s = toString();
            int nl = s.indexOf('\n');
            if (nl > 0) {
                line.complete(s.substring(0, nl).trim());
            }
        }
    }

    private static String awaitFirstLine(FirstLine out) throws Exception {
        try {
            return out.line.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no URL printed: " + out);
        }
    }

    /** The standalone process: SIGTERM detaches its loop devices, removes its links, exits 0. */
    @Test
    void sigtermCleansUpAndExitsZero() throws Exception {
        TestSupport.assumeLoopDevices();
        Path tmp = Files.createTempDirectory("gce-emu-proc-");
        Process p = null;
        try {
            Path image = tmp.resolve("img.ext4");
            try (var raf = new java.io.RandomAccessFile(image.toFile(), "rw")) {
                raf.setLength(16 << 20);
            }
            TestSupport.run(TestSupport.sbin("mkfs.ext4"), "-F", "-q", image.toString());
            Path data = tmp.resolve("data");
            Path dev = tmp.resolve("by-id");
            String java =
                    Path.of(System.getProperty("java.home"), "bin", "java").toString();
            p = new ProcessBuilder(
                            java,
                            "-cp",
                            System.getProperty("java.class.path"),
                            EmulatorCommand.class.getName(),
                            "--data-dir",
                            data.toString(),
                            "--device-dir",
                            dev.toString(),
                            "--project",
                            "proj",
                            "--image",
                            "lib=" + image + ":lib",
                            "--instance",
                            "us-central1-a/node-1",
                            "--operation-duration",
                            "50ms")
                    .redirectError(tmp.resolve("stderr.txt").toFile())
                    .start();
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String url = r.readLine();
            assertNotNull(url, "no URL; stderr: " + Files.readString(tmp.resolve("stderr.txt")));
            String api = url + "/compute/v1/projects/proj/zones/us-central1-a";
            JsonNode ins = raw(
                            "POST",
                            api + "/disks",
                            "{\"name\":\"d\",\"sizeGb\":\"10\"," + "\"sourceImage\":\"global/images/family/lib\"}")
                    .json();
            raw("POST", api + "/operations/" + ins.get("name").asText() + "/wait", null);
            JsonNode att = raw(
                            "POST",
                            api + "/instances/node-1/attachDisk",
                            "{\"source\":\"zones/us-central1-a/disks/d\",\"deviceName\":\"data\"}")
                    .json();
            JsonNode done = raw("POST", api + "/operations/" + att.get("name").asText() + "/wait", null)
                    .json();
            assertEquals("DONE", done.get("status").asText(), done.toString());
            assertFalse(done.has("error"), done.toString());
            Path link = dev.resolve("google-data");
            assertTrue(Files.isSymbolicLink(link));
            Path diskFile;
            try (var files = Files.walk(data.resolve("disks"))) {
                diskFile = files.filter(Files::isRegularFile).findFirst().orElseThrow();
            }
            assertEquals(1, TestSupport.loopsOf(diskFile).size());

            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("stderr.txt")));
            assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
            assertEquals(List.of(), TestSupport.loopsOf(diskFile));
            assertTrue(Files.exists(diskFile)); // a given data dir keeps its disks and state
            assertTrue(Files.exists(data.resolve("state.json")));
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            TestSupport.releaseLoopsUnder(tmp);
            TestSupport.deleteTree(tmp);
        }
    }
}
