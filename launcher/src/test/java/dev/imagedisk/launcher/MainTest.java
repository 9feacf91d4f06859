package dev.imagedisk.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** The launcher is a set of thin commands over the modules that do the work. */
class MainTest {
    @Test
    void everyToolIsASubcommand() {
        assertEquals(
                Set.of("plugin", "emulator", "serve", "demo", "bench", "archive", "doctor"),
                Main.commandLine().getSubcommands().keySet());
    }
}
