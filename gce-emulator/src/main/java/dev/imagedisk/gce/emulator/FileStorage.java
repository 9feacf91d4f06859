package dev.imagedisk.gce.emulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real storage: images and disks are files under the data dir (disks sparse), an attached disk is
 * a loop device with a {@code <deviceDir>/google-<deviceName>} symlink to it. Every loop device
 * and link it makes is remembered, and only those are ever detached or removed.
 */
final class FileStorage implements Storage {
    private static final Logger log = LoggerFactory.getLogger(FileStorage.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(30);

    private final Path dataDir;
    private final String losetup;
    private final String cp = findProgram("cp");
    private final String stat = findProgram("stat");
    private final Object losetupLock = new Object();
    private final Map<String, Path> loops = new ConcurrentHashMap<>(); // /dev/loopN -> disk file
    private final Set<Path> links = ConcurrentHashMap.newKeySet();

    FileStorage(Path dataDir) {
        this.dataDir = dataDir;
        this.losetup = findProgram("losetup");
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
        if (links.contains(link)) {
            throw new IOException("device link " + link + " is already in use by another attachment"
                    + " (instances sharing one device dir need distinct device names)");
        }
        String loop;
        synchronized (losetupLock) {
            List<String> argv = new ArrayList<>(List.of(losetup, "--find", "--show", "--partscan"));
            if (readOnly) {
                argv.add("--read-only");
            }
            argv.add(file.toAbsolutePath().toString());
            loop = Exec.check(TIMEOUT, argv).trim();
        }
        if (!loop.startsWith("/dev/loop")) {
            throw new IOException("losetup printed no loop device: " + loop);
        }
        loops.put(loop, file.toAbsolutePath());
        try {
            if (Files.isSymbolicLink(link)) {
                Files.delete(link); // stale link from an earlier run; never ours now
            }
            Files.createSymbolicLink(link, Path.of(loop));
            links.add(link);
        } catch (IOException | RuntimeException e) {
            detachLoop(loop);
            throw e;
        }
        return new Bound(loop, link);
    }

    @Override
    public void detach(Bound bound) throws IOException {
        if (bound == null) {
            return;
        }
        removeLink(bound.link(), bound.loopDevice());
        detachLoop(bound.loopDevice());
    }

    private void removeLink(Path link, String loop) throws IOException {
        if (link == null || !links.remove(link)) {
            return;
        }
        if (Files.isSymbolicLink(link)
                && Files.readSymbolicLink(link).toString().equals(loop)) {
            Files.delete(link);
        }
    }

    private void detachLoop(String loop) throws IOException {
        Path file = loops.get(loop);
        if (file == null) {
            return; // not ours: never touched
        }
        String backing = backingFile(loop);
        if (backing != null && !backing.startsWith(file.toString())) {
            log.warn("{} is now backed by {}, not {}: leaving it alone", loop, backing, file);
            loops.remove(loop);
            return;
        }
        synchronized (losetupLock) {
            Exec.check(TIMEOUT, List.of(losetup, "-d", loop));
        }
        loops.remove(loop);
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
        for (Path link : List.copyOf(links)) {
            try {
                if (Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
                    Files.delete(link);
                }
            } catch (IOException e) {
                log.warn("could not remove {}: {}", link, e.toString());
            }
            links.remove(link);
        }
        for (String loop : List.copyOf(loops.keySet())) {
            try {
                detachLoop(loop);
            } catch (IOException e) {
                log.warn("could not detach {}: {}", loop, e.toString());
            }
        }
    }
}
