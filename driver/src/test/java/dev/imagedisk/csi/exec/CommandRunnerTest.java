package dev.imagedisk.csi.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CommandRunnerTest {
    private final CommandRunner runner = new CommandRunner(Duration.ofSeconds(30));

    @Test
    void argumentsAreNeverInterpretedByAShell() {
        CommandResult r = runner.run("echo", "$(id)", "a;b", "*");
        assertTrue(r.ok());
        assertEquals("$(id) a;b *\n", r.stdout());
    }

    @Test
    void stderrAndTheExitCodeGoIntoTheDescription() {
        CommandResult r = runner.run("ls", "/no/such/path/here");
        assertFalse(r.ok());
        assertTrue(r.describe().startsWith("ls /no/such/path/here exited " + r.exitCode() + ": "), r.describe());
        assertTrue(r.describe().contains("No such file or directory"), r.describe());
    }

    @Test
    void aProgramIsKilledAtTheCallsDeadline() throws Exception {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try {
            Context.CancellableContext ctx = Context.current().withDeadlineAfter(300, TimeUnit.MILLISECONDS, scheduler);
            long start = System.nanoTime();
            CommandException e = ctx.call(() -> assertThrows(CommandException.class, () -> runner.run("sleep", "20")));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(e.timedOut());
            assertTrue(ms < 3000, "killed after " + ms + " ms");
            ctx.cancel(null);
        } finally {
            scheduler.shutdownNow();
        }
    }

    @Test
    void theLimitAppliesWithoutADeadline() {
        CommandRunner quick = new CommandRunner(Duration.ofMillis(200));
        CommandException e = assertThrows(CommandException.class, () -> quick.run("sleep", "20"));
        assertTrue(e.timedOut());
        assertTrue(e.getMessage().contains("sleep 20"), e.getMessage());
    }

    @Test
    void aMissingProgramIsAnErrorThatIsNotATimeout() {
        CommandException e = assertThrows(CommandException.class, () -> runner.run("no-such-program-xyz"));
        assertFalse(e.timedOut());
        assertTrue(e.getMessage().contains("no-such-program-xyz"));
    }

    @Test
    void standardInputIsEmpty() {
        CommandResult r = runner.run("cat");
        assertTrue(r.ok());
        assertEquals("", r.stdout());
    }
}
