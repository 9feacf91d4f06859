package dev.imagedisk.csi.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.exec.CommandRunner;
import dev.imagedisk.csi.exec.Executables;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The udev trigger runs udevadm from an argument array, within its time bound, and never throws. */
class UdevadmTriggerTest {
    @TempDir
    Path dir;

    static final BlockDevice SDQ = new BlockDevice(Path.of("/dev/sdq"), "sdq", 65, 0);

    private Path udevadm(String body) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path script = bin.resolve("udevadm");
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    @Test
    void triggersAChangeEventForThatDeviceOnly() throws IOException {
        Path args = dir.resolve("args");
        Path bin = udevadm("for a in \"$@\"; do echo \"$a\" >> " + args + "; done");
        String said = new UdevadmTrigger(new CommandRunner(Duration.ofSeconds(10)), new Executables(bin.toString()))
                .trigger(SDQ);
        assertEquals(
                List.of("trigger", "--action=change", "--property-match=DEVNAME=/dev/sdq"), Files.readAllLines(args));
        assertTrue(said.contains("ran for /dev/sdq"), said);
    }

    @Test
    void aHungUdevadmIsKilledAtTheBoundAndReported() throws IOException {
        Path bin = udevadm("exec sleep 600");
        String said = new UdevadmTrigger(new CommandRunner(Duration.ofMillis(300)), new Executables(bin.toString()))
                .trigger(SDQ);
        assertTrue(said.contains("failed") && said.contains("did not finish"), said);
    }

    @Test
    void aFailingOrMissingUdevadmIsReportedNotThrown() throws IOException {
        Path bin = udevadm("echo 'no udevd' >&2; exit 3");
        String failed = new UdevadmTrigger(new CommandRunner(Duration.ofSeconds(10)), new Executables(bin.toString()))
                .trigger(SDQ);
        assertTrue(failed.contains("failed") && failed.contains("no udevd"), failed);
        String missing = new UdevadmTrigger(
                        new CommandRunner(Duration.ofSeconds(10)),
                        new Executables(dir.resolve("none").toString()))
                .trigger(SDQ);
        assertTrue(missing.contains("not installed"), missing);
    }
}
