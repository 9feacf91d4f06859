package dev.imagedisk.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Disks on loop devices for the node benchmarks: an ext4 image with files, sparse disk files made from it
 * and grown, each bound to a loop device and linked as {@code <dev>/google-NAME} as udev links an attached
 * Compute Engine disk. Closing it unmounts everything under its directory, detaches every loop device it
 * bound and removes its files, also after a failure.
 */
final class LoopLab implements AutoCloseable {
    final Path root;
    final Path kubeletDir;
    final Path deviceDir;
    final Path files;
    private final List<String> loops = new ArrayList<>();

    LoopLab(Path root) throws IOException {
        this.root = root.toAbsolutePath();
        this.kubeletDir = Files.createDirectories(this.root.resolve("kubelet"));
        this.deviceDir = Files.createDirectories(this.root.resolve("dev"));
        this.files = Files.createDirectories(this.root.resolve("files"));
    }

    /**
     * An ext4 image of {@code mib} MiB holding 400 files of random data (every tenth 1 MiB, the rest 64 KiB:
     * about 63 MiB), as a runtime image holds a venv and a web UI.
     */
    Path image(String name, int mib) throws IOException, InterruptedException {
        Path tree = Files.createDirectories(files.resolve(name + "-tree"));
        Random random = new Random(7);
        for (int i = 0; i < 400; i++) {
            Path f = tree.resolve("dir" + (i % 20)).resolve("f" + i);
            Files.createDirectories(f.getParent());
            byte[] data = new byte[(i % 10 == 0) ? 1 << 20 : 64 << 10];
            random.nextBytes(data);
            Files.write(f, data);
        }
        Path image = files.resolve(name + ".ext4");
        sh("mkfs.ext4", "-F", "-q", "-T", "default", "-d", tree.toString(), image.toString(), mib + "M");
        deleteTree(tree);
        return image;
    }

    /**
     * A disk of {@code gib} GiB made from {@code image}, on a loop device linked as google-NAME. Its backing file is
     * named NAME, so the device reports the disk's name as an attached disk does (the node checks it).
     */
    Path disk(Path image, String name, int gib) throws IOException, InterruptedException {
        Path file = diskFile(name);
        sh("cp", "--sparse=always", image.toString(), file.toString());
        sh("truncate", "-s", gib + "G", file.toString());
        String loop = sh("losetup", "--find", "--show", file.toString()).trim();
        synchronized (loops) {
            loops.add(loop);
        }
        Path link = deviceDir.resolve("google-" + name);
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, Path.of(loop));
        return Path.of(loop);
    }

    /** Detaches a disk made by {@link #disk} and removes its file. */
    void remove(Path loop, String name) throws IOException, InterruptedException {
        Files.deleteIfExists(deviceDir.resolve("google-" + name));
        sh("losetup", "-d", loop.toString());
        synchronized (loops) {
            loops.remove(loop.toString());
        }
        Files.deleteIfExists(diskFile(name));
    }

    private Path diskFile(String name) throws IOException {
        return Files.createDirectories(files.resolve("disks")).resolve(name);
    }

    /** Runs a program; its stdout, or an IOException with its output when it fails. */
    static String sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " did not finish");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " -> " + p.exitValue() + ": " + out.trim());
        }
        return out;
    }

    /** Mount points at or below {@code dir} in /proc/self/mountinfo, deepest and newest first. */
    static List<String> mountsUnder(Path dir) throws IOException {
        List<String> found = new ArrayList<>();
        String prefix = dir.toAbsolutePath().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            String mp = f[4].replace("\\040", " ");
            if (mp.equals(prefix) || mp.startsWith(prefix + "/")) {
                found.add(mp);
            }
        }
        List<String> ordered = new ArrayList<>(found);
        java.util.Collections.reverse(ordered);
        ordered.sort(Comparator.comparingInt((String s) -> s.split("/").length).reversed());
        return ordered;
    }

    @Override
    public void close() throws IOException {
        List<String> problems = new ArrayList<>();
        for (int round = 0; round < 4; round++) {
            for (String mp : mountsUnder(root)) {
                try {
                    sh("umount", mp);
                } catch (IOException | InterruptedException e) {
                    if (round == 3) {
                        problems.add(e.getMessage());
                    }
                }
            }
        }
        List<String> left;
        synchronized (loops) {
            left = new ArrayList<>(loops);
            loops.clear();
        }
        for (String loop : left) {
            try {
                sh("losetup", "-d", loop);
            } catch (IOException | InterruptedException e) {
                problems.add(e.getMessage());
            }
        }
        if (mountsUnder(root).isEmpty()) {
            deleteTree(root);
        } else {
            problems.add("mounts left under " + root + ": " + mountsUnder(root));
        }
        if (!problems.isEmpty()) {
            throw new IOException("cleanup of " + root + " incomplete: " + problems);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
