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

  private final Path dataDir;
  private final String losetup;
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
  public Captured captureImage(String project, String name, long id, Path diskFile)
      throws IOException {
    if (diskFile == null) {
      return null;
    }
    Path dst = dataDir.resolve("images").resolve(project)
        .resolve(name + "-" + Long.toUnsignedString(id) + ".img");
    Files.deleteIfExists(dst);
    try {
      long data = SparseFiles.copy(diskFile, dst, 0);
      return new Captured(dst, data);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(dst);
      throw e;
    }
  }

  @Override
  public void deleteImage(Path file) throws IOException {
    if (file != null) {
      Files.deleteIfExists(file);
    }
  }

  @Override
  public Path createDisk(String project, String zone, String name, long id, long sizeBytes,
      Path imageFile) throws IOException {
    Path file = dataDir.resolve("disks").resolve(project).resolve(zone)
        .resolve(name + "-" + Long.toUnsignedString(id) + ".img");
    try {
      if (imageFile != null) {
        SparseFiles.copy(imageFile, file, sizeBytes);
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
  public Bound attach(Path file, boolean readOnly, Path deviceDir, String deviceName)
      throws IOException {
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
    if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).toString().equals(loop)) {
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
    Path sys = Path.of("/sys/block", Path.of(loop).getFileName().toString(), "loop",
        "backing_file");
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
