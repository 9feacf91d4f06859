package dev.imagedisk.container;

import csi.v1.IdentityGrpc;
import csi.v1.ProbeRequest;
import csi.v1.ProbeResponse;
import dev.imagedisk.csi.server.CsiChannels;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * B4 in the container: the node plugin started as manifests/node.yaml starts it (its args, JAVA_TOOL_OPTIONS with
 * the image's node archive, memory limit, privileged, host /dev and /sys, the kubelet directory rshared), timed
 * from {@code podman start} and from the JVM's exec to its first ready Probe over the socket, and its resident
 * memory 2 s later (as the process B4 samples it). Node-local flags only a cluster supplies come from the test:
 * a node id and zone (the metadata server's), and the metrics port moves to an ephemeral one.
 */
public final class NodeStartup {
    /** One start: milliseconds from {@code podman start} and from the JVM's exec to ready; VmRSS in MiB. */
    public record Sample(double fromStartMs, double fromExecMs, double rssMib) {}

    /** Where the classes of a start came from (-Xlog:class+load). */
    public record ClassSources(int shared, int total, boolean entryPointShared, String archiveLine) {}

    private final Podman podman;
    private final String image;
    private final Path work;
    private final PluginContainer spec;

    public NodeStartup(Podman podman, String image, Path work) throws IOException {
        this.podman = podman;
        this.image = image;
        this.work = work;
        this.spec = PluginContainer.read(PluginContainer.manifest("node.yaml"));
    }

    public PluginContainer spec() {
        return spec;
    }

    private PluginContainer.Run run(String name, Path dir) throws IOException {
        Path devices = Files.createDirectories(dir.resolve("dev"));
        return spec.run(name, image)
                .hostDir("kubelet-dir", Files.createDirectories(dir.resolve("kubelet")))
                .hostDir("plugin-dir", Files.createDirectories(dir.resolve("plugin")))
                .replaceArg("--metrics-address", "127.0.0.1:0")
                .addArgs(
                        "--node-id=projects/bench/zones/us-central1-a/instances/node-1",
                        "--zone=us-central1-a",
                        "--metadata-endpoint=http://127.0.0.1:9",
                        "--device-dir=" + devices)
                .addBind(devices);
    }

    /** One timed start of a fresh container; the container is removed before this returns. */
    public Sample start(int i) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(work.resolve("start-" + i));
        String name = "imagedisk-b4-" + ProcessHandle.current().pid() + "-" + i;
        List<String> args = new ArrayList<>(run(name, dir).podmanArgs());
        args.set(args.indexOf("run"), "create");
        args.remove("-d");
        podman.remove(name, Duration.ZERO);
        podman.check(args, Duration.ofMinutes(2));
        try {
            Path socket = dir.resolve("plugin").resolve("csi.sock");
            long t0 = System.nanoTime();
            podman.check(List.of("start", name), Duration.ofMinutes(2));
            long ready = awaitReady(name, socket, Duration.ofSeconds(60));
            long pid = podman.pid(name);
            double fromExec = (ready - execNanos(pid)) / 1e6;
            Thread.sleep(2000);
            double rss = statusKib(pid, "VmRSS") / 1024.0;
            return new Sample((ready - t0) / 1e6, fromExec, rss);
        } finally {
            podman.remove(name, Duration.ofSeconds(10));
        }
    }

    /** A start with {@code -Xlog:class+load} (through JDK_JAVA_OPTIONS, beside the manifest's options). */
    public ClassSources classSources() throws IOException, InterruptedException {
        Path dir = Files.createDirectories(work.resolve("classes"));
        String name = "imagedisk-b4-classes-" + ProcessHandle.current().pid();
        PluginContainer.Run r = run(name, dir).addEnv("JDK_JAVA_OPTIONS", "-Xlog:cds=info -Xlog:class+load=info");
        podman.remove(name, Duration.ZERO);
        podman.check(r.podmanArgs(), Duration.ofMinutes(2));
        try {
            awaitReady(name, dir.resolve("plugin").resolve("csi.sock"), Duration.ofSeconds(60));
            String log = podman.logs(name);
            int shared = 0;
            int total = 0;
            boolean entry = false;
            String archive = "";
            for (String line : log.split("\n")) {
                if (line.contains("[class,load]") && line.contains(" source: ")) {
                    total++;
                    if (line.contains("source: shared objects file")) {
                        shared++;
                        entry |= line.contains(" dev.imagedisk.csi.plugin.PluginCommand ");
                    }
                } else if (line.contains("[cds]") && line.contains("Opened archive") && archive.isEmpty()) {
                    archive = line.substring(line.indexOf("Opened archive")).trim();
                }
            }
            return new ClassSources(shared, total, entry, archive);
        } finally {
            podman.remove(name, Duration.ofSeconds(10));
        }
    }

    private long awaitReady(String name, Path socket, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(socket)) {
                try (CsiChannels.Client c = CsiChannels.connect(socket)) {
                    ProbeResponse r = IdentityGrpc.newBlockingStub(c.channel())
                            .withDeadlineAfter(2, TimeUnit.SECONDS)
                            .probe(ProbeRequest.getDefaultInstance());
                    if (r.getReady().getValue()) {
                        return System.nanoTime();
                    }
                } catch (StatusRuntimeException e) {
                    // not serving yet
                }
            }
            Thread.sleep(2);
        }
        throw new IOException("the node container " + name + " did not answer a ready Probe within " + timeout
                + "; its output:\n" + podman.logs(name));
    }

    /** When process {@code pid} started, on System.nanoTime's clock (to the kernel's 10 ms clock tick). */
    static long execNanos(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long startTicks = Long.parseLong(f[19]); // field 22: starttime, in clock ticks since boot
        double uptime =
                Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
        long now = System.nanoTime();
        long bootOnNanoClock = now - (long) (uptime * 1e9);
        return bootOnNanoClock + startTicks * 10_000_000L; // USER_HZ is 100 on Linux
    }

    /** A field of /proc/PID/status in KiB. */
    static long statusKib(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
            }
        }
        throw new IOException("/proc/" + pid + "/status has no " + field);
    }
}
