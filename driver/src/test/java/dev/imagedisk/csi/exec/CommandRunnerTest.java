package dev.imagedisk.csi.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.common.CallDeadline;
import java.time.Duration;
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
    void aProgramIsKilledAtTheCallsDeadline() {
        // the runner's own limit (30 s) is longer than the program (20 s): only the call's deadline can kill it
        CommandException e = CallDeadline.within(
                CallDeadline.after(Duration.ofMillis(300)),
                () -> assertThrows(CommandException.class, () -> runner.run("sleep", "20")));
        assertTrue(e.timedOut(), e.getMessage());
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
