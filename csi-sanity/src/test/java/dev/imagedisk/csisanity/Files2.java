package dev.imagedisk.csisanity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.stack.SampleImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** What a pod would check on its volume. */
final class Files2 {
    private Files2() {}

    /** Whether the suite knows the image's contents (the sample image the local stack and serve register). */
    static boolean knowsImage(Csi csi) {
        return csi.image.endsWith("/images/" + SampleImage.NAME);
    }

    /** Every file of the sample image is there with its content. */
    static void assertImageFiles(Path root) throws IOException {
        for (Map.Entry<String, String> f : SampleImage.files().entrySet()) {
            Path p = root.resolve(f.getKey());
            assertTrue(Files.isRegularFile(p), "the image's " + f.getKey() + " is not in the volume at " + root);
            assertEquals(f.getValue(), Files.readString(p, StandardCharsets.UTF_8), "content of " + f.getKey());
        }
    }

    /** Writes a file and reads it back. */
    static void assertWritable(Path root, String name, String content) throws IOException {
        Path p = root.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        assertEquals(content, Files.readString(p, StandardCharsets.UTF_8));
    }

    /** Writing fails because the filesystem is read-only. */
    static void assertReadOnly(Path root) {
        IOException e = assertThrows(
                IOException.class,
                () -> Files.writeString(root.resolve("sanity-ro-probe"), "x"),
                "a write to the read-only volume at " + root + " succeeded");
        assertTrue(
                String.valueOf(e.getMessage()).contains("Read-only file system"),
                "the write failed, but not " + "because the filesystem is read-only: " + e);
    }

    static long totalBytes(Path root) throws IOException {
        FileStore fs = Files.getFileStore(root);
        return fs.getTotalSpace();
    }
}
