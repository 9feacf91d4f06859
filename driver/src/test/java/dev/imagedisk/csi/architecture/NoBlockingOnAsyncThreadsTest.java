package dev.imagedisk.csi.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.common.Futures;
import dev.imagedisk.csi.common.NonBlocking;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No sleep, blocking wait or polling loop runs on a thread that completes futures or ticks a timer (issue 19). Two
 * halves: (1) read from the sources, every place in the driver that can block a thread (a sleep, a blocking
 * {@code get}/{@code join}/{@code await}/{@code waitFor}) is listed below with why its thread may wait, and each one
 * the asynchronous controller can reach is guarded by {@link NonBlocking#check}; (2) at run time, the guard refuses
 * on a marked thread (the adapter's operation-completion threads and every timer are marked).
 */
class NoBlockingOnAsyncThreadsTest {
    private static final Path MAIN = Path.of("src/main/java/dev/imagedisk/csi");

    private static final Pattern BLOCKS = Pattern.compile("Thread\\.sleep\\(|\\.sleep\\(|\\.join\\(\\)"
            + "|[Ff]uture\\w*\\.get\\(|\\.get\\([^()]*,\\s*(java\\.util\\.concurrent\\.)?TimeUnit"
            + "|\\.await\\((\\)|[^)]*TimeUnit)|waitFor\\(");

    /**
     * Each source that may block, and the source whose {@code NonBlocking.check} guards it, or null with the reason
     * its thread is there to wait (it is neither a completion nor a timer thread, nor reachable from one).
     */
    private static final Map<String, String> MAY_BLOCK = Map.of(
            "common/Futures.java", "common/Futures.java",
            "cloud/gce/GceOperations.java", "cloud/gce/GceOperations.java",
            "cloud/RateLimiter.java", "cloud/ApiBudgets.java",
            "cloud/WindowLimiter.java", "cloud/ApiBudgets.java",
            "exec/CommandRunner.java", "node side: commands run on the node's gRPC call threads, which wait for them",
            "device/DeviceFinder.java", "node side: the device wait runs on the NodeStage call's own thread",
            "plugin/StopSignal.java", "the main thread, waiting for the stop signal",
            "plugin/PluginCommand.java", "the main thread, waiting for the stop signal",
            "plugin/archive/StartupArchive.java", "imagedisk archive: a build-time command, not the served plugin");

    @Test
    void everyBlockingCallIsListedAndTheAsyncOnesAreGuarded() throws IOException {
        List<String> problems = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path file :
                    files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String rel = MAIN.relativize(file).toString();
                Matcher m = BLOCKS.matcher(LayeringTest.code(Files.readString(file)));
                if (!m.find()) {
                    continue;
                }
                seen.add(rel);
                String guard = MAY_BLOCK.get(rel);
                if (guard == null) {
                    problems.add(rel + " blocks (" + m.group() + ") and is not listed in MAY_BLOCK");
                } else if (guard.endsWith(".java")
                        && !LayeringTest.code(Files.readString(MAIN.resolve(guard)))
                                .contains("NonBlocking.check(")) {
                    problems.add(rel + " is guarded by " + guard + ", which does not call NonBlocking.check");
                }
            }
        }
        assertEquals(List.of(), problems);
        assertEquals(
                MAY_BLOCK.keySet().stream().sorted().toList(), seen, "MAY_BLOCK lists a file that no longer blocks");
    }

    /** Futures.join is the one blocking wait left in the async path: only the synchronous request path uses it. */
    @Test
    void onlyTheSynchronousRequestPathJoins() throws IOException {
        List<String> users = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path file :
                    files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                if (LayeringTest.code(Files.readString(file)).contains("Futures.join(")) {
                    users.add(MAIN.relativize(file).toString());
                }
            }
        }
        assertEquals(List.of("cloud/Retrier.java"), users);
    }

    @Test
    void theGuardRefusesOnAMarkedThreadOnly() throws Exception {
        ExecutorService marked = Executors.newSingleThreadExecutor(NonBlocking.threads("test-completion"));
        try {
            CompletableFuture<Object> pending = new CompletableFuture<>();
            Throwable refused = CompletableFuture.supplyAsync(
                            () -> Futures.join(pending, IllegalStateException::new), marked)
                    .handle((v, t) -> Futures.unwrap(t))
                    .get();
            assertTrue(
                    refused instanceof IllegalStateException
                            && refused.getMessage().contains("must never block"),
                    String.valueOf(refused));
            assertEquals("ok", Futures.join(CompletableFuture.completedFuture("ok"), IllegalStateException::new));
            NonBlocking.check("a test on an ordinary thread"); // does not throw
        } finally {
            marked.shutdownNow();
        }
    }
}
