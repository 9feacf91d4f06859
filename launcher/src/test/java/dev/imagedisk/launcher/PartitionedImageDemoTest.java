package dev.imagedisk.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.imagedisk.stack.RootCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * End to end through the Compute Engine emulator and the driver: {@code imagedisk demo --image-layout gpt|mbr}
 * with one replica creates a 10 GiB volume from the partitioned sample image, stages it (choosing and growing the
 * runtime's partition), checks the image's files, a write and a filesystem of at least 90% of the claim, and
 * scales back to zero with nothing left behind. Exit code 0 means all of that held.
 */
@Tag("integration")
class PartitionedImageDemoTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"gpt", "mbr"})
    @Timeout(300)
    void aReplicaFromAPartitionedImageGetsItsFilesAndTheWholeClaim(String layout) {
        assumeTrue(RootCheck.whyNot() == null, "the demo needs root: " + RootCheck.whyNot());
        assumeTrue(
                Files.isExecutable(Path.of("/usr/sbin/sfdisk")) || Files.isExecutable(Path.of("/sbin/sfdisk")),
                "sfdisk (fdisk) is not installed");
        int code = new CommandLine(new DemoCommand())
                .execute(
                        "--replicas",
                        "1",
                        "--image-layout",
                        layout,
                        "--data-dir",
                        dir.resolve("stack").toString());
        assertEquals(0, code, "imagedisk demo --image-layout " + layout + " failed (its output is in the test log)");
    }
}
