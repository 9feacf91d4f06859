package dev.imagedisk.bench;

import csi.v1.IdentityGrpc;
import csi.v1.ProbeRequest;
import csi.v1.ProbeResponse;
import dev.imagedisk.csi.plugin.archive.JavaRuntime;
import dev.imagedisk.csi.plugin.archive.StartupArchive;
import dev.imagedisk.csi.server.CsiChannels;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The plugin in a child JVM, started as its container starts it ({@code imagedisk plugin ...} with the
 * manifest's {@code JAVA_TOOL_OPTIONS}), on this JVM's class path. Reads its resident memory and thread count
 * from {@code /proc} and its heap with {@code jcmd GC.heap_info}. Closing it sends SIGTERM, then kills it.
 */
final class ChildJvm implements AutoCloseable {
    private static final Pattern HEAP_LINE =
            Pattern.compile("(?m)^\\s*\\S.*?(?:generation|space)?\\s+total (\\d+)K, used (\\d+)K");
    private static final Pattern GEN_LINE = Pattern.compile(
            "(?m)^\\s*(?:def new generation|tenured generation|garbage-first heap|PSYoungGen|ParOldGen)\\s+total (\\d+)K, used (\\d+)K");

    /**
     * System property (set by bench --b4-priority): start children at nice -20, so that on a machine shared with
     * other work the start-up is measured with the CPU the plugin would get on an idle node (root only).
     */
    static final String PRIORITY_PROPERTY = "imagedisk.bench.childPriority";

    final Process process;
    final long startNanos;
    final Path log;

    private ChildJvm(Process process, long startNanos, Path log) {
        this.process = process;
        this.startNanos = startNanos;
        this.log = log;
    }

    /**
     * @param toolOptions JAVA_TOOL_OPTIONS of the child (the manifest's)
     * @param jvmArgs further JVM arguments on the command line (e.g. a CDS archive)
     * @param pluginArgs the arguments after {@code plugin}
     */
    static ChildJvm start(List<String> toolOptions, List<String> jvmArgs, List<String> pluginArgs, Path log)
            throws IOException {
        return start(JavaRuntime.current(), toolOptions, jvmArgs, pluginArgs, log);
    }

    /** As {@link #start(List, List, List, Path)}, on the Java runtime {@code runtime}. */
    static ChildJvm start(
            JavaRuntime runtime, List<String> toolOptions, List<String> jvmArgs, List<String> pluginArgs, Path log)
            throws IOException {
        return start(runtime, System.getProperty("java.class.path"), toolOptions, jvmArgs, pluginArgs, log);
    }

    /** As {@link #start(JavaRuntime, List, List, List, Path)}, with the class path {@code cp}. */
    static ChildJvm start(
            JavaRuntime runtime,
            String cp,
            List<String> toolOptions,
            List<String> jvmArgs,
            List<String> pluginArgs,
            Path log)
            throws IOException {
        // launched as the archive's training run is, or the archive would not map
        List<String> cmd = new ArrayList<>(StartupArchive.javaCommand(runtime, cp, jvmArgs));
        cmd.addAll(pluginArgs);
        if (Boolean.getBoolean(PRIORITY_PROPERTY)) {
            cmd.addAll(0, List.of("nice", "-n", "-20"));
        }
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().remove("_JAVA_OPTIONS");
        if (toolOptions.isEmpty()) {
            pb.environment().remove("JAVA_TOOL_OPTIONS");
        } else {
            pb.environment().put("JAVA_TOOL_OPTIONS", String.join(" ", toolOptions));
        }
        long t0 = System.nanoTime();
        return new ChildJvm(pb.start(), t0, log);
    }

    long pid() {
        return process.pid();
    }

    /**
     * Waits until Probe over {@code socket} answers ready; returns the nanoseconds since exec. Polls the socket
     * file every 2 ms and opens a fresh channel for each attempt, so no gRPC reconnect backoff is measured.
     */
    long awaitProbe(Path socket, long timeoutMillis) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("plugin exited with " + process.exitValue() + " before Probe succeeded; see "
                        + log + ":\n" + tail());
            }
            if (Files.exists(socket)) {
                try (CsiChannels.Client c = CsiChannels.connect(socket)) {
                    ProbeResponse r = IdentityGrpc.newBlockingStub(c.channel())
                            .withDeadlineAfter(2, TimeUnit.SECONDS)
                            .probe(ProbeRequest.getDefaultInstance());
                    if (r.getReady().getValue()) {
                        return System.nanoTime() - startNanos;
                    }
                } catch (StatusRuntimeException e) {
                    // not listening yet
                }
            }
            Thread.sleep(2);
        }
        throw new IOException("no ready Probe within " + timeoutMillis + " ms; see " + log + ":\n" + tail());
    }

    /** A field of /proc/PID/status in KiB (VmRSS, VmHWM) or as a count (Threads); -1 when unreadable. */
    long status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.substring(field.length() + 1).replaceAll("\\D", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    /**
     * CPU time the process has used so far (user + system, from /proc/PID/stat, 10 ms ticks), in ms; -1 when
     * unreadable. Unlike wall time it hardly grows when other work shares the CPUs.
     */
    long cpuMillis() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Heap in use and committed, in KiB, from {@code jcmd PID GC.heap_info}; null when jcmd cannot tell. */
    long[] heapKb() {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) {
            return null;
        }
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), "GC.heap_info")
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            long total = 0;
            long used = 0;
            Matcher m = GEN_LINE.matcher(out);
            boolean any = false;
            while (m.find()) {
                total += Long.parseLong(m.group(1));
                used += Long.parseLong(m.group(2));
                any = true;
            }
            if (!any) {
                Matcher h = HEAP_LINE.matcher(out);
                if (h.find()) {
                    total = Long.parseLong(h.group(1));
                    used = Long.parseLong(h.group(2));
                    any = true;
                }
            }
            return any ? new long[] {used, total} : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** SIGTERM, then SIGKILL after {@code graceSeconds}; returns the exit code. */
    int stop(int graceSeconds) throws InterruptedException {
        if (!process.isAlive()) {
            return process.exitValue();
        }
        process.destroy();
        if (!process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        return process.isAlive() ? -1 : process.exitValue();
    }

    @Override
    public void close() {
        try {
            stop(20);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
