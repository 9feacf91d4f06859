package dev.imagedisk.gce.emulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real storage: images and disks are files under the data dir (disks sparse), an attached disk is
 * a loop device with a {@code <deviceDir>/google-<deviceName>} symlink to it. Every loop device
 * and link it makes is remembered, and only those are ever detached or removed.
 *
 * <p>A loop device carries its disk's device name as a node reads it: the loop is bound to a hard link
 * of the disk file named {@code <dataDir>/attached/<n>/<deviceName>}, so the kernel's
 * {@code /sys/block/loopN/loop/backing_file} (and the loop's {@code lo_file_name}) ends in the device
 * name, as a Compute Engine disk's SCSI serial or NVMe namespace data holds it. {@link Faults#failNextDeviceLinks}
 * leaves the link out, makes it late, or points it at another loop device.
 */
final class FileStorage implements Storage {
    private static final Logger log = LoggerFactory.getLogger(FileStorage.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(30);
    private static final Duration RELEASE_CHECK = Duration.ofMillis(10);
    private static final String DELETED = " (deleted)";

    private final Path dataDir;
    private final String losetup;
    private final String cp = findProgram("cp");
    private final String stat = findProgram("stat");
    private final Object losetupLock = new Object();
    private final Map<String, Path> loops = new ConcurrentHashMap<>(); // /dev/loopN -> disk file
    private final Map<String, Path> named = new ConcurrentHashMap<>(); // /dev/loopN -> its named hard link
    private final Map<Path, String> links = new ConcurrentHashMap<>(); // link -> the loop device it points at
    private final List<String> bindOrder = new ArrayList<>(); // loop devices, oldest first (guarded by itself)
    private final AtomicLong attachments = new AtomicLong();
    private final Faults faults;
    private final ScheduledExecutorService scheduler;

    FileStorage(Path dataDir, Faults faults, ScheduledExecutorService scheduler) {
        this.dataDir = dataDir;
        this.losetup = findProgram("losetup");
        this.faults = faults;
        this.scheduler = scheduler;
    }

    static String findProgram(String name) {
        for (String dir : new String[] {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return name;
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public Path importImage(String project, String name, Path source) throws IOException {
        Path dst = dataDir.resolve("images").resolve(project).resolve(name + ".img");
        Files.deleteIfExists(dst);
        try {
            SparseFiles.copy(source, dst, 0);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(dst);
            throw e;
        }
        return dst;
    }

    @Override
    public Captured captureImage(String project, String name, long id, Path diskFile) throws IOException {
        if (diskFile == null) {
            return null;
        }
        Path dst = dataDir.resolve("images").resolve(project).resolve(name + "-" + Long.toUnsignedString(id) + ".img");
        Files.deleteIfExists(dst);
        try {
            sparseCopy(diskFile, dst, 0);
            return new Captured(dst, allocatedBytes(dst));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(dst);
            throw e;
        }
    }

    /**
     * Copies a (sparse) disk or image file so that holes and zero blocks stay holes, then grows it
     * to {@code length}. GNU cp skips holes with SEEK_DATA (coreutils 9), so a 10 GiB disk holding
     * 50 MB copies in the time of 50 MB; {@link SparseFiles#copy} would read every hole.
     */
    private void sparseCopy(Path src, Path dst, long length) throws IOException {
        Files.createDirectories(dst.toAbsolutePath().getParent());
        if (Files.exists(dst, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dst + " already exists");
        }
        Exec.check(
                COPY_TIMEOUT,
                List.of(
                        cp,
                        "--sparse=always",
                        "--reflink=never",
                        "--no-preserve=all",
                        "--",
                        src.toAbsolutePath().toString(),
                        dst.toAbsolutePath().toString()));
        SparseFiles.grow(dst, length);
    }

    /** Bytes allocated to a file (st_blocks * 512): an image's archive size. */
    private long allocatedBytes(Path file) throws IOException {
        String out = Exec.check(
                        TIMEOUT,
                        List.of(stat, "-c", "%b", "--", file.toAbsolutePath().toString()))
                .trim();
        try {
            return Long.parseLong(out) * 512;
        } catch (NumberFormatException e) {
            throw new IOException("stat printed " + out, e);
        }
    }

    @Override
    public void deleteImage(Path file) throws IOException {
        if (file != null) {
            Files.deleteIfExists(file);
        }
    }

    @Override
    public Path createDisk(String project, String zone, String name, long id, long sizeBytes, Path imageFile)
            throws IOException {
        Path file = dataDir.resolve("disks")
                .resolve(project)
                .resolve(zone)
                .resolve(name + "-" + Long.toUnsignedString(id) + ".img");
        try {
            if (imageFile != null) {
                sparseCopy(imageFile, file, sizeBytes);
            } else {
                SparseFiles.create(file, sizeBytes);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        return file;
    }

    @Override
    public void deleteDisk(Path file) throws IOException {
        if (file != null) {
            Files.deleteIfExists(file);
        }
    }

    @Override
    public void resizeDisk(Path file, long sizeBytes, List<String> loopDevices) throws IOException {
        if (file == null) {
            return;
        }
        SparseFiles.grow(file, sizeBytes);
        for (String loop : loopDevices) {
            if (loops.containsKey(loop)) {
                synchronized (losetupLock) {
                    Exec.check(TIMEOUT, List.of(losetup, "--set-capacity", loop));
                }
            }
        }
    }

    @Override
    public Bound attach(Path file, boolean readOnly, Path deviceDir, String deviceName) throws IOException {
        if (file == null) {
            return null;
        }
        Files.createDirectories(deviceDir);
        Path link = deviceDir.resolve("google-" + deviceName);
        if (links.containsKey(link)) {
            throw new IOException("device link " + link + " is already in use by another attachment"
                    + " (instances sharing one device dir need distinct device names)");
        }
        Path name = dataDir.resolve("attached")
                .resolve(Long.toString(attachments.incrementAndGet()))
                .resolve(deviceName);
        Files.createDirectories(name.getParent());
        Files.deleteIfExists(name);
        Files.createLink(name, file.toAbsolutePath());
        String loop;
        try {
            synchronized (losetupLock) {
                List<String> argv = new ArrayList<>(List.of(losetup, "--find", "--show", "--partscan"));
                if (readOnly) {
                    argv.add("--read-only");
                }
                argv.add(name.toString());
                loop = Exec.check(TIMEOUT, argv).trim();
            }
            if (!loop.startsWith("/dev/loop")) {
                throw new IOException("losetup printed no loop device: " + loop);
            }
        } catch (IOException | RuntimeException e) {
            removeNamed(name);
            throw e;
        }
        loops.put(loop, file.toAbsolutePath());
        named.put(loop, name);
        String previous;
        synchronized (bindOrder) {
            previous = bindOrder.isEmpty() ? null : bindOrder.get(bindOrder.size() - 1);
            bindOrder.add(loop);
        }
        try {
            if (Files.isSymbolicLink(link)) {
                Files.delete(link); // stale link from an earlier run; never ours now
            }
            makeLink(link, loop, previous, deviceName);
        } catch (IOException | RuntimeException e) {
            detachLoop(loop);
            throw e;
        }
        return new Bound(loop, link);
    }

    /** The {@code google-<deviceName>} link to {@code loop}, unless a link fault says otherwise. */
    private void makeLink(Path link, String loop, String previous, String deviceName) throws IOException {
        Faults.LinkFault fault = faults.takeLinkFault();
        if (fault == null) {
            createLink(link, loop);
            return;
        }
        switch (fault) {
            case MISSING -> log.info("fault: no device link {} for {} ({})", link, loop, deviceName);
            case LATE -> {
                Duration delay = faults.lateLinkDelay();
                log.info("fault: device link {} to {} made {} ms late", link, loop, delay.toMillis());
                scheduler.schedule(() -> lateLink(link, loop), delay.toNanos(), TimeUnit.NANOSECONDS);
            }
            case WRONG -> {
                if (previous == null || !loops.containsKey(previous)) {
                    throw new IOException("link fault WRONG: no other loop device is bound to point " + link + " at");
                }
                log.info("fault: device link {} points at {}, not at {} ({})", link, previous, loop, deviceName);
                createLink(link, previous);
            }
            default -> throw new IllegalStateException(fault.toString());
        }
    }

    private void createLink(Path link, String loop) throws IOException {
        Files.createSymbolicLink(link, Path.of(loop));
        links.put(link, loop);
    }

    private void lateLink(Path link, String loop) {
        try {
            if (loops.containsKey(loop) && !Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                createLink(link, loop);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("could not make the late device link {} to {}: {}", link, loop, e.toString());
        }
    }

    @Override
    public CompletionStage<Void> detach(Bound bound) throws IOException {
        if (bound == null) {
            return CompletableFuture.completedFuture(null);
        }
        removeLink(bound.link(), bound.loopDevice());
        String loop = bound.loopDevice();
        Path name = detachLoop(loop);
        CompletableFuture<Void> released = new CompletableFuture<>();
        awaitRelease(loop, name, System.nanoTime() + TIMEOUT.toNanos(), released);
        return released;
    }

    /**
     * Completes {@code released} once the kernel no longer has {@code loop} bound to {@code name}: {@code losetup
     * -d} on a device still open (udev probing it, a reader) only sets autoclear, and the kernel releases it on the
     * last close. Checked again on the scheduler (never waiting on its thread) until {@code deadline}.
     */
    private void awaitRelease(String loop, Path name, long deadline, CompletableFuture<Void> released) {
        if (name == null || !releasePending(loop, name)) {
            released.complete(null);
            return;
        }
        if (System.nanoTime() - deadline > 0) {
            released.completeExceptionally(new IOException(loop + " is still bound to " + name + " "
                    + TIMEOUT.toSeconds() + " s after losetup -d: something keeps it open"));
            return;
        }
        try {
            scheduler.schedule(
                    () -> awaitRelease(loop, name, deadline, released), RELEASE_CHECK.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            released.complete(null); // shutting down: close() waits for the release itself
        }
    }

    /**
     * True while {@code loop} (bound to {@code name}) waits only on a passing opener (udev's probe, a reader): a
     * loop device still mounted (the node has not unstaged it, as a real disk can be yanked while mounted) is
     * released by the kernel on its last unmount, and waiting for that would only stall the detach.
     */
    static boolean releasePending(String loop, Path name) {
        return stillBound(loop, name) && !mounted(loop);
    }

    /** Whether the loop device or one of its partitions is mounted (by device number, from mountinfo). */
    static boolean mounted(String loop) {
        Path sys = Path.of("/sys/block", Path.of(loop).getFileName().toString());
        java.util.Set<String> numbers = new java.util.HashSet<>();
        try (var entries = Files.list(sys)) {
            readDev(sys.resolve("dev"), numbers);
            for (Path p : entries.toList()) {
                if (Files.exists(p.resolve("partition"))) {
                    readDev(p.resolve("dev"), numbers);
                }
            }
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ", 4);
                if (f.length > 2 && numbers.contains(f[2])) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    private static void readDev(Path dev, java.util.Set<String> into) {
        try {
            into.add(Files.readString(dev).trim());
        } catch (IOException e) {
            // gone: nothing to match
        }
    }

    /** True while the kernel reports {@code loop} backed by {@code name} (or by it deleted). */
    static boolean stillBound(String loop, Path name) {
        String backing = backingFile(loop);
        if (backing == null || backing.isEmpty()) {
            return false;
        }
        String path = backing.endsWith(DELETED) ? backing.substring(0, backing.length() - DELETED.length()) : backing;
        return path.equals(name.toString());
    }

    private void removeLink(Path link, String loop) throws IOException {
        if (link == null) {
            return;
        }
        String target = links.remove(link);
        if (target == null) {
            return; // never made (a link fault): nothing of ours there
        }
        if (Files.isSymbolicLink(link)
                && Files.readSymbolicLink(link).toString().equals(target)) {
            Files.delete(link);
        }
    }

    private static void removeNamed(Path name) {
        try {
            Files.deleteIfExists(name);
            Files.deleteIfExists(name.getParent());
        } catch (IOException e) {
            log.warn("could not remove {}: {}", name, e.toString());
        }
    }

    /**
     * Runs {@code losetup -d} on a loop device of ours; returns the named link it was bound to (to wait for its
     * release), or null when it is not ours or no longer bound to it.
     */
    private Path detachLoop(String loop) throws IOException {
        Path file = loops.get(loop);
        if (file == null) {
            return null; // not ours: never touched
        }
        Path name = named.getOrDefault(loop, file);
        String backing = backingFile(loop);
        if (backing != null && !backing.isEmpty() && !stillBound(loop, name)) {
            log.warn("{} is now backed by {}, not {}: leaving it alone", loop, backing, name);
            forget(loop);
            return null;
        }
        synchronized (losetupLock) {
            Exec.check(TIMEOUT, List.of(losetup, "-d", loop));
        }
        forget(loop);
        return name;
    }

    private void forget(String loop) {
        loops.remove(loop);
        Path name = named.remove(loop);
        if (name != null) {
            removeNamed(name);
        }
        synchronized (bindOrder) {
            bindOrder.remove(loop);
        }
    }

    /** The backing file the kernel reports for a loop device, or null when unknown/unbound. */
    static String backingFile(String loop) {
        Path sys = Path.of("/sys/block", Path.of(loop).getFileName().toString(), "loop", "backing_file");
        try {
            return Files.readString(sys).trim();
        } catch (IOException e) {
            return null;
        }
    }

    /** Loop devices this storage has bound and not yet released (for tests and cleanup). */
    Map<String, Path> boundLoops() {
        return Map.copyOf(loops);
    }

    @Override
    public void close() {
        for (Path link : List.copyOf(links.keySet())) {
            try {
                if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                    Files.delete(link);
                }
            } catch (IOException e) {
                log.warn("could not remove {}: {}", link, e.toString());
            }
            links.remove(link);
        }
        Map<String, Path> released = new java.util.LinkedHashMap<>();
        for (String loop : List.copyOf(loops.keySet())) {
            try {
                Path name = detachLoop(loop);
                if (name != null) {
                    released.put(loop, name);
                }
            } catch (IOException e) {
                log.warn("could not detach {}: {}", loop, e.toString());
            }
        }
        // close() returns only when the kernel has let go of them (the scheduler is already shut down here, and
        // this is the closing caller's own thread)
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        released.entrySet().removeIf(e -> !releasePending(e.getKey(), e.getValue()));
        while (!released.isEmpty() && System.nanoTime() - deadline < 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(RELEASE_CHECK.toNanos());
            released.entrySet().removeIf(e -> !releasePending(e.getKey(), e.getValue()));
        }
        if (!released.isEmpty()) {
            log.warn("loop devices still bound {} s after losetup -d: {}", TIMEOUT.toSeconds(), released);
        }
    }
}
