package dev.imagedisk.gce.emulator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an external program from an argument array (never through a shell) with a timeout. */
final class Exec {
    private Exec() {}

    record Result(int exitCode, String stdout, String stderr) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    static Result run(Duration timeout, List<String> argv) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread to = drain(p.getInputStream(), out);
        Thread te = drain(p.getErrorStream(), err);
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                throw new IOException("timed out after " + timeout.toMillis() + " ms: " + argv);
            }
            to.join(5000);
            te.join(5000);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + argv, e);
        }
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs the program and fails with its stderr when it exits non-zero. */
    static String check(Duration timeout, List<String> argv) throws IOException {
        Result r = run(timeout, argv);
        if (!r.ok()) {
            throw new IOException(
                    argv + " exited " + r.exitCode() + ": " + r.stderr().trim());
        }
        return r.stdout();
    }

    private static Thread drain(InputStream in, ByteArrayOutputStream sink) {
        Thread t = new Thread(
                () -> {
                    try (in) {
                        in.transferTo(sink);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                },
                "exec-drain");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
