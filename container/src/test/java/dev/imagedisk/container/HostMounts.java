package dev.imagedisk.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The host's mount table under a directory, and the bind mounts a test makes and removes (argument arrays). */
final class HostMounts {
    private HostMounts() {}

    /** Mount points at or below {@code dir} (field 5 of /proc/self/mountinfo), deepest first. */
    static List<Path> under(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            Path p = Path.of(f[4].replace("\\040", " "));
            if (p.startsWith(dir)) {
                out.add(p);
            }
        }
        out.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return out;
    }

    /** Makes {@code dir} a shared mount point, as a kubelet's root directory is, so mounts propagate both ways. */
    static void bindShared(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        run("mount", "--bind", dir.toString(), dir.toString());
        run("mount", "--make-shared", dir.toString());
    }

    /** Unmounts everything at or below {@code dir}, deepest first (best effort; returns what stayed). */
    static List<Path> unmountAll(Path dir) throws IOException, InterruptedException {
        for (Path p : under(dir)) {
            try {
                run("umount", p.toString());
            } catch (IOException e) {
                run("umount", "--lazy", p.toString());
            }
        }
        return under(dir);
    }

    static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " did not end within 60 s");
        }
        String out = new String(p.getInputStream().readAllBytes());
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out);
        }
    }
}
