package dev.imagedisk.csi.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.imagedisk.csi.exec.CommandRunner;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The util-linux adapter against the real kernel: tmpfs mounts at paths with spaces, ro binds, EBUSY. */
@Tag("integration")
class UtilLinuxMounterTest {
    @TempDir
    Path dir;

    @Test
    void mountsBindsReadOnlyAndReportsBusy() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mount tests need root; skipped");
        UtilLinuxMounter mounter = new UtilLinuxMounter(new CommandRunner(Duration.ofSeconds(30)));
        Path source = Files.createDirectories(dir.toRealPath().resolve("src dir\twith tab"));
        Path bind = Files.createDirectories(dir.toRealPath().resolve("bind target"));
        try {
            mounter.mount(Path.of("tmpfs"), source, "tmpfs", List.of("size=4m", "mode=0755"));
            MountInfo m = mounter.mountAt(source).orElseThrow();
            assertEquals("tmpfs", m.fsType());
            assertEquals(source, m.mountPoint(), "the escaped mount point decodes back to the path");
            Files.writeString(source.resolve("f"), "x");

            mounter.bindMount(source, bind, true);
            MountInfo b = mounter.mountAt(bind).orElseThrow();
            assertTrue(b.readOnly());
            assertEquals(m.device(), b.device());
            assertEquals("x", Files.readString(bind.resolve("f")));
            assertThrows(java.nio.file.FileSystemException.class, () -> Files.writeString(bind.resolve("g"), "y"));
            mounter.unmount(bind);
            assertFalse(mounter.mountAt(bind).isPresent());

            try (FileChannel held = FileChannel.open(source.resolve("f"), StandardOpenOption.READ)) {
                MountException e = assertThrows(MountException.class, () -> mounter.unmount(source));
                assertTrue(e.busy(), e.getMessage());
            }
            mounter.unmount(source);
            assertFalse(mounter.mountAt(source).isPresent());
            MountException notMounted = assertThrows(MountException.class, () -> mounter.unmount(source));
            assertFalse(notMounted.busy());
        } finally {
            new ProcessBuilder("umount", "--lazy", bind.toString()).start().waitFor();
            new ProcessBuilder("umount", "--lazy", source.toString()).start().waitFor();
        }
    }
}
