package dev.imagedisk.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.imagedisk.csi.exec.CommandRunner;
import dev.imagedisk.gce.emulator.GceEmulator;
import dev.imagedisk.stack.SampleImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream csi-sanity (kubernetes-csi/csi-test) against the plugin running in the image: the node container of
 * node.yaml (privileged, host /dev, its JVM options and memory limit) serving Controller and Node on one socket
 * ({@code --mode=all}) against the emulator on the host, with the flags csi-sanity/run-upstream.sh gives the
 * process run. csi-sanity makes its staging and target directories on the host, so the kubelet directory is also
 * mounted at its host path (rshared) and named by --kubelet-dir. Same bar as the process run: at least 75 specs
 * passed, none failed.
 */
@Tag("container")
class UpstreamSanityContainerTest {
    private static final Pattern SUMMARY =
            Pattern.compile("(\\d+) Passed \\| (\\d+) Failed \\| (\\d+) Pending \\| (\\d+) Skipped");
    private static final String PROJECT = "imagedisk-sanity";
    private static final String ZONE = "us-central1-a";
    private static final long GIB = 1L << 30;

    @TempDir
    Path dir;

    /** The csi-sanity binary: -Dimagedisk.csiSanity, $CSI_SANITY, or shared/tools/csi-sanity beside the clone. */
    static Path csiSanity() throws Exception {
        List<Path> candidates = new ArrayList<>();
        String prop = System.getProperty("imagedisk.csiSanity", "");
        if (!prop.isBlank()) {
            candidates.add(Path.of(prop));
        }
        String env = System.getenv("CSI_SANITY");
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
        }
        Path root = ImageUnderTest.root();
        candidates.add(root.resolve("../shared/tools/csi-sanity").normalize());
        candidates.add(Path.of("/work/shared/tools/csi-sanity"));
        for (Path c : candidates) {
            if (Files.isRegularFile(c)) {
                return c;
            }
        }
        return null;
    }

    @Test
    void upstreamSanityAgainstTheContainerizedPlugin() throws Exception {
        Path sanity = csiSanity();
        if (sanity == null) {
            System.out.println("container tests: upstream csi-sanity skipped: no binary ($CSI_SANITY,"
                    + " ../shared/tools/csi-sanity)");
        }
        assumeTrue(sanity != null, "no csi-sanity binary ($CSI_SANITY, ../shared/tools/csi-sanity)");
        if (!Files.isExecutable(sanity)) { // a copy without the execute bit: run a private copy
            Path copy = dir.resolve("csi-sanity");
            Files.copy(sanity, copy);
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwx------"));
            sanity = copy;
        }
        try (Podman podman = ContainerSupport.podmanOrSkip()) {
            String image = ImageUnderTest.get(podman);
            Path devices = Files.createDirectories(dir.resolve("dev"));
            Path kubelet = dir.resolve("kubelet");
            String name = "imagedisk-sanity-" + ProcessHandle.current().pid();
            try (GceEmulator emulator = GceEmulator.builder()
                    .dataDir(dir.resolve("emulator"))
                    .storage(true)
                    .deviceDir(devices)
                    .operationDuration(Duration.ofMillis(200))
                    .port(0)
                    .start()) {
                Path sample = dir.resolve("images").resolve("runtime-lib.ext4");
                SampleImage.build(sample, new CommandRunner(Duration.ofMinutes(2)));
                emulator.registerImage(PROJECT, SampleImage.NAME, SampleImage.FAMILY, sample);
                emulator.addInstance(PROJECT, ZONE, "node-1", "e2-standard-4");
                emulator.setMetadataInstance(PROJECT, ZONE, "node-1");
                String imagePath = "projects/" + PROJECT + "/global/images/" + SampleImage.NAME;
                HostMounts.bindShared(kubelet);
                try {
                    Path pluginDir = Files.createDirectories(dir.resolve("plugin"));
                    PluginContainer.Run run = PluginContainer.read(PluginContainer.manifest("node.yaml"))
                            .run(name, image)
                            .hostDir("kubelet-dir", Files.createDirectories(dir.resolve("kubelet-unused")))
                            .hostDir("plugin-dir", pluginDir)
                            .replaceArg("--mode", "all")
                            .replaceArg("--kubelet-dir", kubelet.toString())
                            .replaceArg("--metrics-address", "127.0.0.1:0")
                            .addArgs(
                                    "--compute-endpoint=" + emulator.baseUrl(),
                                    "--metadata-endpoint=" + emulator.metadataEndpoint(PROJECT, ZONE, "node-1"),
                                    "--device-dir=" + devices,
                                    "--default-image=" + imagePath)
                            .addBind(devices)
                            .addBind(kubelet, "rshared");
                    podman.remove(name, Duration.ZERO);
                    podman.check(run.podmanArgs(), Duration.ofMinutes(2));
                    Path socket = pluginDir.resolve("csi.sock");
                    Probes.awaitReady(podman, name, socket, Duration.ofSeconds(90));

                    Path staging = Files.createDirectories(
                            kubelet.resolve("plugins/kubernetes.io/csi/imagedisk.csi.dev/csi-sanity"));
                    Path mounts = Files.createDirectories(kubelet.resolve("pods/csi-sanity/volumes/kubernetes.io~csi"));
                    Path params = Files.writeString(
                            dir.resolve("volume-parameters.yaml"), "image: " + imagePath + "\ntype: pd-balanced\n");
                    Path snapshotParams = Files.writeString(
                            dir.resolve("snapshot-parameters.yaml"),
                            "image-family: csi-sanity\nlabels: origin=csi-sanity\nsnapshot-type: images\n");
                    Path report = dir.resolve("csi-sanity.out");
                    Process p = new ProcessBuilder(
                                    sanity.toString(),
                                    "--csi.endpoint=unix://" + socket,
                                    "--csi.stagingdir=" + staging.resolve("globalmount"),
                                    "--csi.mountdir=" + mounts.resolve("pv"),
                                    "--csi.testvolumeparameters=" + params,
                                    "--csi.testsnapshotparameters=" + snapshotParams,
                                    "--csi.testvolumesize=" + 10 * GIB,
                                    "--csi.testvolumeexpandsize=" + 20 * GIB,
                                    "--csi.testvolumeaccesstype=mount")
                            .redirectErrorStream(true)
                            .redirectOutput(report.toFile())
                            .start();
                    if (!p.waitFor(15, TimeUnit.MINUTES)) {
                        p.destroyForcibly();
                        throw new AssertionError("csi-sanity did not finish within 15 minutes");
                    }
                    String out = Files.readString(report).replaceAll("\u001b\\[[0-9;]*m", "");
                    Matcher m = SUMMARY.matcher(out);
                    String summary = null;
                    while (m.find()) {
                        summary = m.group();
                    }
                    System.out.println("csi-sanity against the container: " + summary);
                    assertTrue(summary != null, "no ginkgo summary in csi-sanity's output:\n" + tail(out));
                    Matcher s = SUMMARY.matcher(summary);
                    assertTrue(s.matches());
                    assertEquals(0, Integer.parseInt(s.group(2)), "failed specs:\n" + tail(out));
                    assertTrue(Integer.parseInt(s.group(1)) >= 75, "fewer than 75 passed: " + summary);
                    assertEquals(0, p.exitValue(), "csi-sanity exit status:\n" + tail(out));
                } finally {
                    String logs = podman.logs(name);
                    podman.remove(name, Duration.ofSeconds(60));
                    List<Path> left = HostMounts.unmountAll(kubelet);
                    assertEquals(List.of(), left, "left mounted; plugin output:\n" + logs);
                }
            }
        }
    }

    private static String tail(String s) {
        String[] lines = s.split("\n");
        return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 60), lines.length));
    }
}
