package dev.imagedisk.csi.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.imagedisk.csi.mount.MountInfo;
import dev.imagedisk.csi.mount.MountInfoParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Real loop devices over sparse files for node tests. Records what it creates and, on close, unmounts
 * every mount under its root (read from /proc/self/mountinfo) and detaches only the loop devices it
 * attached. Tests skip unless running as root with /dev/loop-control and losetup.
 *
 * <p>A test that wants a new lab for each test registers one as an extension: {@code @RegisterExtension final
 * DeviceLab lab = DeviceLab.perTest();} opens it (in a temp directory of its own) before each test, after the
 * assumptions, and closes it after the test's {@code @AfterEach} methods, then deletes the directory.
 */
final class DeviceLab implements AutoCloseable, BeforeEachCallback, AfterEachCallback {
    Path root;
    Path kubeletDir;
    Path deviceDir;
    Path files;
    /** Where attached disks' named links live: a loop device is bound to {@code attached/N/<disk>}. */
    Path attached;

    private final java.util.Map<Path, Path> loops = new java.util.LinkedHashMap<>();
    private int attachments;
    private final String programsNeeded;
    private final List<String> programs;
    private Path perTestDir;

    DeviceLab(Path root) throws IOException {
        this(null, List.of());
        open(root);
    }

    private DeviceLab(String programsNeeded, List<String> programs) {
        this.programsNeeded = programsNeeded;
        this.programs = programs;
    }

    private void open(Path root) throws IOException {
        this.root = root.toRealPath();
        this.kubeletDir = Files.createDirectories(this.root.resolve("kubelet"));
        this.deviceDir = Files.createDirectories(this.root.resolve("by-id"));
        this.files = Files.createDirectories(this.root.resolve("files"));
        this.attached = Files.createDirectories(this.root.resolve("attached"));
    }

    /** A lab for each test, on real loop devices ({@link #assumeLoopDevices()}). */
    static DeviceLab perTest() {
        return new DeviceLab(null, List.of());
    }

    /** As {@link #perTest()}, and the test skips unless {@code programs} are installed ({@code why} says so). */
    static DeviceLab perTest(String why, String... programs) {
        return new DeviceLab(why, List.of(programs));
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        assumeLoopDevices();
        if (!programs.isEmpty()) {
            assumeTrue(programs.stream().allMatch(DeviceLab::has), programsNeeded);
        }
        perTestDir = Files.createTempDirectory("imagedisk-lab-");
        open(perTestDir);
    }

    /** Closes the lab; only when that left nothing behind is its directory deleted. */
    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        if (root == null) {
            return;
        }
        close();
        try (Stream<Path> all = Files.walk(perTestDir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The staging path kubelet gives volume {@code name} of this driver. */
    Path staging(String name) {
        return kubeletDir.resolve("plugins/kubernetes.io/csi/imagedisk.csi.dev/" + name + "/globalmount");
    }

    /** A publish target path in pod {@code pod}'s volumes directory (its parent made, as kubelet does). */
    Path target(String pod) throws IOException {
        Path parent = Files.createDirectories(kubeletDir.resolve("pods/" + pod + "/volumes/kubernetes.io~csi"));
        return parent.resolve("pv/mount");
    }

    static void assumeLoopDevices() {
        assumeTrue(
                "root".equals(System.getProperty("user.name")),
                "node device tests need root (they attach loop devices and mount); skipped as "
                        + System.getProperty("user.name"));
        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "node device tests need /dev/loop-control; skipped");
        assumeTrue(
                has("losetup") && has("mkfs.ext4") && has("blkid"),
                "node device tests need losetup, mkfs.ext4 and blkid; skipped");
    }

    static boolean has(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** A sparse file of {@code size} bytes. */
    Path sparse(String name, long size) throws IOException {
        Path file = files.resolve(name);
        sh("truncate", "-s", Long.toString(size), file.toString());
        return file;
    }

    /**
     * Attaches {@code file} to a free loop device and links it as {@code google-<disk>} in the device dir. As the
     * Compute Engine emulator does, the loop is bound through a hard link {@code attached/N/<disk>} of the file, so
     * the device reports {@code disk} as its name (its backing file's name).
     */
    Path attach(Path file, String disk) throws IOException {
        Path device = attachUnlinked(file, disk);
        link(disk, device);
        return device;
    }

    /** As {@link #attach} without the {@code google-<disk>} link (udev missed it). */
    Path attachUnlinked(Path file, String disk) throws IOException {
        Path named = Files.createDirectories(attached.resolve(Integer.toString(++attachments)))
                .resolve(disk);
        Files.createLink(named, file.toRealPath());
        String dev = sh("losetup", "--find", "--show", "--partscan", named.toString())
                .trim();
        Path device = Path.of(dev);
        loops.put(device, named);
        return device;
    }

    /**
     * Makes the kernel know the partitions of {@code device}: this test kernel may lack the partition-table
     * parsers, so partx adds them from user space when --partscan found none.
     */
    void addPartitions(Path device) throws IOException {
        Path sys = Path.of("/sys/class/block", device.getFileName().toString());
        boolean any;
        try (var s = Files.list(sys)) {
            any = s.anyMatch(p -> Files.exists(p.resolve("partition")));
        }
        if (!any) {
            sh("partx", "--add", device.toString());
        }
    }

    void link(String disk, Path device) throws IOException {
        Path link = deviceDir.resolve("google-" + disk);
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, device);
    }

    void unlink(String disk) throws IOException {
        Files.deleteIfExists(deviceDir.resolve("google-" + disk));
    }

    /** Detaches a loop device this lab attached; with a mount on it the kernel detaches it lazily. */
    void detach(Path device) throws IOException {
        sh("losetup", "--detach", device.toString());
    }

    static String sh(String... command) throws IOException {
        Result r = run(command);
        if (r.code != 0) {
            throw new IOException(String.join(" ", command) + " exited " + r.code + ": " + r.out);
        }
        return r.out;
    }

    record Result(int code, String out) {}

    static Result run(String... command) throws IOException {
        return runWithInput("", command);
    }

    /** Runs {@code command} with {@code input} on its standard input; fails unless it exits 0. */
    static String shIn(String input, String... command) throws IOException {
        Result r = runWithInput(input, command);
        if (r.code != 0) {
            throw new IOException(String.join(" ", command) + " exited " + r.code + ": " + r.out);
        }
        return r.out;
    }

    static Result runWithInput(String input, String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (var stdin = p.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return new Result(p.exitValue(), out);
    }

    static String sha256(Path device) throws IOException {
        try (InputStream in = Files.newInputStream(device)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<MountInfo> mounts() throws IOException {
        return MountInfoParser.parse(
                new String(Files.readAllBytes(Path.of("/proc/self/mountinfo")), StandardCharsets.UTF_8));
    }

    static boolean isMountPoint(Path path) throws IOException {
        return mounts().stream().anyMatch(m -> m.mountPoint().equals(path));
    }

    static MountInfo mountAt(Path path) throws IOException {
        MountInfo found = null;
        for (MountInfo m : mounts()) {
            if (m.mountPoint().equals(path)) {
                found = m;
            }
        }
        return found;
    }

    static void assertUnchanged(String before, Path device) throws IOException {
        assertEquals(before, sha256(device), "the device's bytes must be unchanged by a refusal");
    }

    @Override
    public void close() throws IOException {
        List<Throwable> errors = new ArrayList<>();
        for (int round = 0; round < 8; round++) {
            List<MountInfo> ours = mounts().stream()
                    .filter(m -> m.mountPoint().startsWith(root))
                    .sorted(Comparator.comparingInt(
                                    (MountInfo m) -> m.mountPoint().getNameCount())
                            .thenComparingInt(MountInfo::id)
                            .reversed())
                    .toList();
            if (ours.isEmpty()) {
                break;
            }
            for (MountInfo m : ours) {
                Result r = run("umount", m.mountPoint().toString());
                if (r.code != 0) {
                    run("umount", "--lazy", m.mountPoint().toString());
                }
            }
        }
        for (var e : loops.entrySet()) {
            Path loop = e.getKey();
            // detach only while the loop device is still bound to this lab's file (its number may be reused)
            Path backing = Path.of("/sys/class/block", loop.getFileName().toString(), "loop/backing_file");
            String bound = Files.exists(backing) ? Files.readString(backing).trim() : "";
            if (!bound.equals(e.getValue().toString())) {
                continue;
            }
            // partitions added through BLKPG may outlive a detach: take them off first
            run("partx", "--delete", loop.toString());
            Result r = run("losetup", "--detach", loop.toString());
            if (r.code != 0) {
                errors.add(new IOException("detaching " + loop + ": " + r.out));
            }
        }
        loops.clear();
        if (!errors.isEmpty()) {
            IOException e = new IOException("cleanup left something behind");
            errors.forEach(e::addSuppressed);
            throw e;
        }
    }
}
