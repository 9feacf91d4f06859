package dev.imagedisk.csi.exec;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs external programs from argument arrays, never through a shell. Each run is limited by the
 * current call's deadline ({@link Deadlines}), and never longer than {@code maxTime};
 * a program still running then is killed. Standard input is empty unless given; stdout and stderr are captured.
 */
public final class CommandRunner {
    private static final Logger LOG = LoggerFactory.getLogger(CommandRunner.class);
    private static final int MAX_CAPTURE = 1 << 20;
    private static final File DEV_NULL = new File("/dev/null");

    /** Told about every program run: its arguments, whether it exited 0, and how long it took. */
    public interface Observer {
        void ran(List<String> command, boolean ok, Duration took);
    }

    private final Duration maxTime;
    private final Observer observer;

    public CommandRunner(Duration maxTime) {
        this(maxTime, (c, ok, t) -> {});
    }

    public CommandRunner(Duration maxTime, Observer observer) {
        this.observer = observer;
        if (maxTime.isNegative() || maxTime.isZero()) {
            throw new IllegalArgumentException("command time limit must be positive: " + maxTime);
        }
        this.maxTime = maxTime;
    }

    /** The time a command started now may take: the call's remaining deadline, capped by the limit. */
    public Duration timeLimit() {
        return Deadlines.remaining(maxTime);
    }

    public CommandResult run(String... command) {
        return run(List.of(command));
    }

    public CommandResult run(List<String> command) {
        return run(command, null);
    }

    /** Runs {@code command} with {@code input} as its standard input (null: empty input). */
    public CommandResult run(List<String> command, String input) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        Duration limit = timeLimit();
        String shown = String.join(" ", command);
        if (limit.isZero()) {
            throw new CommandException("not running " + shown + ": the call's deadline has passed", true, null);
        }
        long start = System.nanoTime();
        Process process;
        try {
            ProcessBuilder builder = new ProcessBuilder(command);
            if (input == null) {
                builder.redirectInput(ProcessBuilder.Redirect.from(DEV_NULL));
            }
            process = builder.start();
            if (input != null) {
                try (var stdin = process.getOutputStream()) {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            throw new CommandException("could not start " + shown + ": " + e.getMessage(), false, e);
        }
        CompletableFuture<String> out = drain(process.getInputStream());
        CompletableFuture<String> err = drain(process.getErrorStream());
        try {
            if (!process.waitFor(limit.toNanos(), TimeUnit.NANOSECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                observer.ran(command, false, Duration.ofNanos(System.nanoTime() - start));
                throw new CommandException(
                        shown + " did not finish within " + limit.toMillis() + " ms and was killed", true, null);
            }
            CommandResult result = new CommandResult(command, process.exitValue(), get(out), get(err));
            observer.ran(command, result.ok(), Duration.ofNanos(System.nanoTime() - start));
            LOG.debug(
                    "{} -> {} in {} ms",
                    shown,
                    result.exitCode(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            return result;
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new CommandException("interrupted while running " + shown, false, e);
        }
    }

    private static String get(CompletableFuture<String> stream) throws InterruptedException {
        try {
            return stream.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return "";
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread t = new Thread(
                () -> {
                    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
                    byte[] chunk = new byte[8192];
                    try (in) {
                        int n;
                        while ((n = in.read(chunk)) >= 0) {
                            if (buffer.size() < MAX_CAPTURE) {
                                buffer.write(chunk, 0, Math.min(n, MAX_CAPTURE - buffer.size()));
                            }
                        }
                    } catch (IOException e) {
                        // the process was killed; keep what was read
                    }
                    result.complete(buffer.toString(StandardCharsets.UTF_8));
                },
                "command-output");
        t.setDaemon(true);
        t.start();
        return result;
    }
}
