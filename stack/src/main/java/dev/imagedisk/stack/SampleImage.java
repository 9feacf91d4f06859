package dev.imagedisk.stack;

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
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The sample "runtime-lib" image: an ext4 filesystem laid out like a Stable Diffusion WebUI runtime (a venv,
 * the web UI, a version file), built with {@code mkfs.ext4 -d} from a small tree. It comes in three layouts
 * ({@link Layout}): the filesystem on the whole disk, a boot disk's GPT layout, and an MBR disk.
 */
public final class SampleImage {
    public static final String NAME = "runtime-lib";
    public static final String FAMILY = "runtime-lib";
    /** The filesystem image's size; disks made from it are 1 GiB at least. */
    static final long IMAGE_BYTES = 64L << 20;

    /** The partitioned images' size: a boot-disk-like layout needs room for its EFI partition. */
    static final long PARTITIONED_IMAGE_BYTES = 128L << 20;

    static final String LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
    static final String EFI = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
    static final String BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649";
    /** The EFI system partition's size in sectors (32 MiB). */
    static final long EFI_SECTORS = (32L << 20) / 512;

    /** How the runtime's filesystem sits on the image. */
    public enum Layout {
        /** The ext4 filesystem on the whole disk. */
        WHOLE(NAME),
        /**
         * A Compute Engine boot disk's layout: GPT with p14 BIOS boot, p15 EFI system (vfat), and p1 (ext4, the
         * runtime) after them to the end.
         */
        GPT(NAME + "-gpt"),
        /** An MBR table with one Linux partition (ext4, the runtime) from 1 MiB to the end. */
        MBR(NAME + "-mbr");

        private final String imageName;

        Layout(String imageName) {
            this.imageName = imageName;
        }

        /** The image's name (and family) in the local stack. */
        public String imageName() {
            return imageName;
        }
    }

    private SampleImage() {}

    /**
     * Builds the {@code layout} image at {@code target}: the whole-disk image as {@link #build(Path, CommandRunner)},
     * a partitioned one with sfdisk writing the table and mkfs writing each filesystem at its partition's offset.
     */
    public static void build(Path target, CommandRunner runner, Layout layout) throws IOException {
        if (layout == Layout.WHOLE) {
            build(target, runner);
            return;
        }
        if (Files.exists(target)) {
            throw new IOException(target + " exists already");
        }
        Path whole = target.resolveSibling(target.getFileName() + ".ext4");
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try {
            Files.deleteIfExists(whole);
            Files.deleteIfExists(partial);
            try (FileChannel file =
                    FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                file.write(ByteBuffer.wrap(new byte[] {0}), PARTITIONED_IMAGE_BYTES - 1);
            }
            String n = partial.toString();
            String script = layout == Layout.GPT
                    ? "label: gpt\n"
                            + n + "14 : start=2048, size=2048, type=" + BIOS_BOOT + ", name=\"BIOS boot\"\n"
                            + n + "15 : start=4096, size=" + EFI_SECTORS + ", type=" + EFI + ", name=\"EFI System\"\n"
                            + n + "1 : start=" + (4096 + EFI_SECTORS) + ", type=" + LINUX + ", name=\"root\"\n"
                    : "label: dos\n" + n + "1 : start=2048, type=83\n";
            check(runner.run(List.of("sfdisk", "-q", n), script), "sfdisk");
            if (layout == Layout.GPT) {
                check(
                        runner.run(
                                "mkfs.vfat",
                                "-F",
                                "16",
                                "-n",
                                "EFI",
                                "--offset",
                                "4096",
                                n,
                                Long.toString(EFI_SECTORS / 2)),
                        "mkfs.vfat");
            }
            CommandResult dump = runner.run("sfdisk", "--dump", n);
            check(dump, "sfdisk --dump");
            Matcher m = Pattern.compile("(?m)^" + Pattern.quote(n) + "1\\s*:\\s*start=\\s*(\\d+),\\s*size=\\s*(\\d+)")
                    .matcher(dump.stdout());
            if (!m.find()) {
                throw new IOException("no partition 1 in " + dump.stdout());
            }
            long start = Long.parseLong(m.group(1));
            long sectors = Long.parseLong(m.group(2));
            build(whole, runner);
            // the runtime's filesystem, grown to its partition, copied in at the partition's offset
            check(runner.run("resize2fs", whole.toString(), (sectors / 2) + "K"), "resize2fs");
            check(
                    runner.run(
                            "dd",
                            "if=" + whole,
                            "of=" + n,
                            "bs=1M",
                            "seek=" + start * 512,
                            "oflag=seek_bytes",
                            "conv=notrunc,sparse"),
                    "dd");
            Files.move(partial, target);
        } finally {
            Files.deleteIfExists(partial);
            Files.deleteIfExists(whole);
        }
    }

    private static void check(CommandResult r, String what) throws IOException {
        if (!r.ok()) {
            throw new IOException(what + " failed: " + r.describe());
        }
    }

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
            try (FileChannel file =
                    FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                file.write(ByteBuffer.wrap(new byte[] {0}), IMAGE_BYTES - 1);
            }
            CommandResult r =
                    runner.run("mkfs.ext4", "-F", "-q", "-L", NAME, "-d", tree.toString(), partial.toString());
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
