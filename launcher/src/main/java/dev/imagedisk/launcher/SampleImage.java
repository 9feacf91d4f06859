package dev.imagedisk.launcher;

import dev.imagedisk.csi.exec.CommandResult;
import dev.imagedisk.csi.exec.CommandRunner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The sample "runtime-lib" image: an ext4 filesystem laid out like a Stable Diffusion WebUI runtime (a venv,
 * the web UI, a version file), built with {@code mkfs.ext4 -d} from a small tree.
 */
public final class SampleImage {
    public static final String NAME = "runtime-lib";
    public static final String FAMILY = "runtime-lib";
    /** The filesystem image's size; disks made from it are 1 GiB at least. */
    static final long IMAGE_BYTES = 64L << 20;

    private SampleImage() {}

    /** Relative path → content of every file in the image. */
    public static Map<String, String> files() {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("VERSION", "runtime-lib 1.0.0 (imagedisk-csi sample image)\n");
        files.put("bin/activate", """
                # Activates the runtime's Python environment (sample).
                export VIRTUAL_ENV=/runtime-lib
                export PATH="$VIRTUAL_ENV/bin:$PATH"
                unset PYTHONHOME
                """);
        files.put("lib/python3.10/site-packages/torch/__init__.py", "__version__ = \"2.1.2+sample\"\n");
        files.put("lib/python3.10/site-packages/xformers/__init__.py", "__version__ = \"0.0.23+sample\"\n");
        files.put("stable-diffusion-webui/launch.py", """
                # Stable Diffusion WebUI launcher (sample): the real one starts the web server.
                import sys
                print("launching stable-diffusion-webui with", " ".join(sys.argv[1:]))
                """);
        files.put("stable-diffusion-webui/webui.py", "# web UI entry point (sample)\n");
        files.put("stable-diffusion-webui/extensions/README.txt", "Extensions live here.\n");
        files.put("stable-diffusion-webui/models/Stable-diffusion/README.txt", "Model checkpoints live here.\n");
        return files;
    }

    /** Builds the image file at {@code target} (replacing nothing: fails if it exists). */
    public static void build(Path target, CommandRunner runner) throws IOException {
        if (Files.exists(target)) {
            throw new IOException(target + " exists already");
        }
        Files.createDirectories(target.getParent());
        Path tree = Files.createTempDirectory(target.getParent(), "runtime-lib-tree");
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try {
            for (Map.Entry<String, String> f : files().entrySet()) {
                Path p = tree.resolve(f.getKey());
                Files.createDirectories(p.getParent());
                Files.writeString(p, f.getValue(), StandardCharsets.UTF_8);
            }
            Files.setPosixFilePermissions(tree.resolve("bin/activate"), PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.deleteIfExists(partial);
            try (FileChannel file = FileChannel.open(partial, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                file.write(ByteBuffer.wrap(new byte[] {0}), IMAGE_BYTES - 1);
            }
            CommandResult r = runner.run("mkfs.ext4", "-F", "-q", "-L", NAME, "-d", tree.toString(), partial.toString());
            if (!r.ok()) {
                throw new IOException("mkfs.ext4 failed: " + r.describe());
            }
            Files.move(partial, target);
        } finally {
            Files.deleteIfExists(partial);
            try (Stream<Path> s = Files.walk(tree)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    static CommandRunner defaultRunner() {
        return new CommandRunner(Duration.ofMinutes(2));
    }
}
