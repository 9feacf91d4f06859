package dev.imagedisk.csi.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.imagedisk.csi.sys.LinuxSystem;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatvfsFilesystemStatsTest {
    @TempDir
    Path dir;

    /** NodeGetVolumeStats' usage comes from statvfs(2) in-process: the program fallback is never asked. */
    @Test
    void usageWithoutStartingAProgram() {
        assumeTrue(LinuxSystem.get() != null, "libc cannot be bound here");
        FilesystemStats stats = new StatvfsFilesystemStats(path -> fail("a process was asked for " + path));
        FilesystemUsage u = stats.usage(dir);
        assertTrue(u.totalBytes() > 0 && u.totalInodes() > 0, u.toString());
        assertEquals(LinuxSystem.get().statvfs(dir).totalBytes(), u.totalBytes());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> stats.usage(dir.resolve("gone")));
        assertTrue(e.getMessage().contains("ENOENT") && e.getMessage().contains("gone"), e.getMessage());
    }

    @Test
    void programWhereLibcIsNotBound() {
        FilesystemUsage canned = new FilesystemUsage(1, 1, 1, 1, 1);
        assertEquals(canned, new StatvfsFilesystemStats(() -> null, path -> canned).usage(dir));
    }
}
