package dev.imagedisk.container;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * podman, run as this project's machines need it: {@code --runtime runc} (crun refuses their hybrid cgroup
 * layout) and a containers.conf, named by {@code CONTAINERS_CONF}, with {@code default_ulimits = []} (the
 * sandbox cannot raise rlimits). Every call is an argument array with a timeout; nothing goes through a shell.
 */
public final class Podman implements AutoCloseable {
    /** What a podman call printed and how it ended. */
    public record Result(int exit, String output) {
        public boolean ok() {
            return exit == 0;
        }
    }

    private final Path conf;
    private final boolean highPriority;

    private Podman(Path conf, boolean highPriority) {
        this.conf = conf;
        this.highPriority = highPriority;
    }

    /**
     * This podman with its calls at nice -20, so the containers it creates (their conmon, hence their
     * processes) run ahead of the machine's other work: the bench's B4 on a shared machine, as its process
     * variant with --b4-priority.
     */
    public Podman withHighPriority() {
        return new Podman(conf, true);
    }

    /** Why podman cannot run containers here, or empty when it can (root, podman and runc installed). */
    public static Optional<String> unavailable() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("needs root (privileged containers, mounts)");
        }
        for (String tool : List.of("podman", "runc")) {
            if (onPath(tool).isEmpty()) {
                return Optional.of(
                        tool + " is not installed (apt-get install -y buildah podman mmdebstrap runc uidmap)");
            }
        }
        return Optional.empty();
    }

    static Optional<Path> onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, tool);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        for (String dir : List.of("/usr/sbin", "/sbin")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** A podman with its own containers.conf (removed on close). */
    public static Podman open() throws IOException {
        Path conf = Files.createTempFile("imagedisk-containers-", ".conf");
        Files.writeString(conf, "[containers]\n# the sandbox cannot raise rlimits\ndefault_ulimits = []\n");
        return new Podman(conf, false);
    }

    /** {@code podman --runtime runc ARGS}, its output (stdout and stderr) and exit code. */
    public Result call(List<String> args, Duration timeout) throws IOException, InterruptedException {
        Path out = Files.createTempFile("imagedisk-podman-", ".out");
        try {
            Process p = process(args, out);
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new IOException("podman " + String.join(" ", args) + " did not end within " + timeout
                        + "; its output:\n" + Files.readString(out, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** As {@link #call}, failing with the command's output when it exits non-zero; returns its trimmed output. */
    public String check(List<String> args, Duration timeout) throws IOException, InterruptedException {
        Result r = call(args, timeout);
        if (!r.ok()) {
            throw new IOException("podman " + String.join(" ", args) + " exited " + r.exit() + ":\n" + r.output());
        }
        return r.output().trim();
    }

    /** Starts {@code podman --runtime runc ARGS} without waiting, its output going to {@code out}. */
    public Process process(List<String> args, Path out) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (highPriority) {
            cmd.addAll(List.of("nice", "-n", "-20"));
        }
        cmd.addAll(List.of("podman", "--runtime", "runc"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("CONTAINERS_CONF", conf.toString());
        return pb.start();
    }

    /** Whether the local container storage holds {@code image}. */
    public boolean imageExists(String image) throws IOException, InterruptedException {
        return call(List.of("image", "exists", image), Duration.ofSeconds(60)).ok();
    }

    /** The host pid of a running container's first process (the JVM: the image's entrypoint is java). */
    public long pid(String container) throws IOException, InterruptedException {
        return Long.parseLong(
                check(List.of("inspect", "--format", "{{.State.Pid}}", container), Duration.ofSeconds(60)));
    }

    /** The container's output so far. */
    public String logs(String container) throws IOException, InterruptedException {
        return call(List.of("logs", container), Duration.ofSeconds(60)).output();
    }

    /** Stops (SIGTERM, then SIGKILL after {@code grace}) and removes a container; quiet when it is gone. */
    public Result remove(String container, Duration grace) throws IOException, InterruptedException {
        return call(
                List.of("rm", "--force", "--time", Long.toString(Math.max(0, grace.toSeconds())), container),
                grace.plusSeconds(60));
    }

    @Override
    public void close() throws IOException {
        Files.deleteIfExists(conf);
    }
}
