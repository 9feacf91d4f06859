package dev.imagedisk.csi.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.imagedisk.csi.exec.CommandRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("integration")
class SyscallMounterTest {
    @TempDir
    Path dir;

    private final List<String> observed = new ArrayList<>();
    private final List<String> spawned = new ArrayList<>();
    private SyscallMounter mounter;

    private SyscallMounter mounter() {
        CommandRunner runner =
                new CommandRunner(Duration.ofSeconds(30), (c, ok, t) -> spawned.add(String.join(" ", c)));
        mounter = new SyscallMounter(new UtilLinuxMounter(runner), (c, ok, t) -> observed.add(String.join(" ", c)));
        return mounter;
    }

    private static boolean root() throws Exception {
        return Files.readString(Path.of("/proc/self/status"))
                .lines()
                .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[2].equals("0"));
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (mounter == null) {
            return;
        }
        for (int i = 0; i < 8; i++) {
            for (MountInfo m : mounter.mounts()) {
                if (m.mountPoint().startsWith(dir)) {
                    new ProcessBuilder("umount", "-l", m.mountPoint().toString())
                            .start()
                            .waitFor();
                }
            }
        }
    }

    @Test
    void plainFlagsOnlyOthersGoToUtilLinux() {
        assertEquals(0L, SyscallMounter.flags(List.of()));
        assertEquals(
                SyscallMounter.MS_RDONLY | SyscallMounter.MS_NOATIME, SyscallMounter.flags(List.of("ro", "noatime")));
        assertNull(SyscallMounter.flags(List.of("discard")));
        assertNull(SyscallMounter.flags(List.of("ro", "errors=remount-ro")));
    }

    @Test
    void mountsBindsAndUnmountsWithoutStartingPrograms() throws Exception {
        assumeTrue(root(), "mounting needs root");
        SyscallMounter m = mounter();
        assumeTrue(m.direct(), "libc cannot be bound here (no jffi native library)");
        Path fs = Files.createDirectories(dir.resolve("fs"));
        Path bind = Files.createDirectories(dir.resolve("bind"));
        Path ro = Files.createDirectories(dir.resolve("ro"));
        m.mount(Path.of("tmpfs"), fs, "tmpfs", List.of("nodev"));
        assertEquals("tmpfs", m.mountAt(fs).orElseThrow().fsType());
        Files.writeString(fs.resolve("x"), "hello");
        m.bindMount(fs, bind, false);
        assertEquals("hello", Files.readString(bind.resolve("x")));
        assertFalse(m.mountAt(bind).orElseThrow().readOnly());
        m.bindMount(fs, ro, true);
        assertTrue(m.mountAt(ro).orElseThrow().readOnly());
        m.unmount(ro);
        m.unmount(bind);
        m.unmount(fs);
        assertTrue(m.mountAt(fs).isEmpty());
        assertEquals(List.of(), spawned, "no mount or umount program was started");
        assertEquals(7, observed.size(), observed.toString()); // mount, 2 binds, the ro remount, 3 unmounts
        assertTrue(observed.get(3).contains("remount,bind,ro"), observed.toString());
    }

    @Test
    void failuresAreReportedByUtilLinux() throws Exception {
        assumeTrue(root(), "mounting needs root");
        SyscallMounter m = mounter();
        Path target = Files.createDirectories(dir.resolve("t"));
        MountException e = assertThrows(
                MountException.class, () -> m.mount(dir.resolve("no-such-device"), target, "ext4", List.of()));
        assertTrue(e.getMessage().contains("mount"), e.getMessage());
        assertTrue(spawned.stream().anyMatch(c -> c.startsWith("mount")), "util-linux ran for the error: " + spawned);
        Path notMounted = Files.createDirectories(dir.resolve("n"));
        assertThrows(MountException.class, () -> m.unmount(notMounted));
    }
}
