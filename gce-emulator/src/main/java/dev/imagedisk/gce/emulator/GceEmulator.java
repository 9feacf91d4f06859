package dev.imagedisk.gce.emulator;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Compute Engine v1 REST emulator with real storage, served on 127.0.0.1.
 *
 * <pre>{@code
 * try (GceEmulator emu = GceEmulator.builder().storage(true).start()) {
 *   emu.registerImage("p", "runtime-lib", "runtime-lib-family", Path.of("image.ext4"));
 *   emu.addInstance("p", "us-central1-a", "node-1", "e2-standard-4");
 *   emu.setMetadataInstance("p", "us-central1-a", "node-1");
 *   String endpoint = emu.baseUrl(); // http://127.0.0.1:PORT
 * }
 * }</pre>
 *
 * <p>Many nodes: instances may be in any number of zones, each with its own device dir (where its
 * {@code google-<deviceName>} links go), and each node plugin reads its own metadata through
 * {@link #metadataEndpoint(String, String, String)}:
 *
 * <pre>{@code
 * emu.addInstance("p", "us-central1-a", "node-a1", "e2-standard-4", root.resolve("node-a1/dev/disk/by-id"));
 * emu.addInstance("p", "us-central1-b", "node-b1", "e2-standard-4", root.resolve("node-b1/dev/disk/by-id"));
 * String metaA1 = emu.metadataEndpoint("p", "us-central1-a", "node-a1");
 * }</pre>
 *
 * <p>Read-only sharing (reader caps, the Hyperdisk ML attach pace and its injectable clock, disk
 * access modes) is described and tuned by {@link #sharing()}.
 *
 * <p>Compute API paths are {@code baseUrl() + "/compute/v1/projects/..."}; the metadata server is
 * {@code baseUrl() + "/computeMetadata/v1/..."}. Self links are absolute URLs on
 * {@link #baseUrl()} (not {@code https://www.googleapis.com}); clients should identify resources
 * by the {@code projects/...} part of a link.
 */
public final class GceEmulator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GceEmulator.class);

    private final HttpServer server;
    private final ExecutorService httpExecutor;
    private final ScheduledThreadPoolExecutor scheduler;
    private final ComputeService compute;
    private final HttpFrontend frontend;
    private final Faults faults;
    private final Storage storage;
    private final Path dataDir; // null: storage off and none given
    private final boolean ownsDataDir;
    private final boolean persistent;
    private final Path deviceDir;
    private final String baseUrl;
    private final AtomicBoolean dirty = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    public static Builder builder() {
        return new Builder();
    }

    /** Settings for {@link GceEmulator}; {@link #start()} binds the server. */
    public static final class Builder {
        private Path dataDir;
        private boolean storage = true;
        private Path deviceDir;
        private Duration operationDuration = Duration.ZERO;
        private Duration waitTimeout = Duration.ofMinutes(2);
        private int port;
        private boolean ready = true;

        private Builder() {}

        /**
         * Serve 503 (with {@code Retry-After}) to every request until {@link GceEmulator#ready()}: for a caller
         * that adds images and instances after start and must not be asked about them before they exist.
         */
        public Builder notReadyUntilSetUp() {
            this.ready = false;
            return this;
        }

        /**
         * Where images, disk files and {@code state.json} live; kept at close and reloaded on the next
         * start. Absent: a temp dir (storage on only), deleted at close.
         */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** Real files and loop devices (true, the default) or records only (false). */
        public Builder storage(boolean storage) {
            this.storage = storage;
            return this;
        }

        /**
         * Where {@code google-<deviceName>} links go for instances added without their own device
         * dir. Default: {@code <dataDir>/dev/disk/by-id}.
         */
        public Builder deviceDir(Path deviceDir) {
            this.deviceDir = deviceDir;
            return this;
        }

        /** Time from an operation's insertion to DONE; zero (default): DONE in the response. */
        public Builder operationDuration(Duration d) {
            this.operationDuration = Objects.requireNonNull(d);
            return this;
        }

        /** The longest {@code operations.wait} blocks (Compute Engine: about 2 minutes). */
        public Builder waitTimeout(Duration d) {
            this.waitTimeout = Objects.requireNonNull(d);
            return this;
        }

        /** The TCP port on 127.0.0.1; 0 (default) picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public GceEmulator start() throws IOException {
            return new GceEmulator(this);
        }
    }

    private GceEmulator(Builder b) throws IOException {
        boolean owns = false;
        Path dir = b.dataDir;
        if (dir == null && b.storage) {
            dir = Files.createTempDirectory("gce-emulator-");
            owns = true;
        }
        if (dir != null) {
            dir = dir.toAbsolutePath();
            Files.createDirectories(dir);
        }
        this.dataDir = dir;
        this.ownsDataDir = owns;
        this.persistent = b.dataDir != null;
        this.deviceDir =
                b.deviceDir != null ? b.deviceDir.toAbsolutePath() : dir != null ? dir.resolve("dev/disk/by-id") : null;
        this.faults = new Faults(b.operationDuration);
        this.scheduler = new ScheduledThreadPoolExecutor(4, daemon("gce-emulator-ops"));
        scheduler.setRemoveOnCancelPolicy(true);
        // at close, operations still waiting for their time are dropped; running ones finish
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.storage = b.storage ? new FileStorage(dir, faults, scheduler) : new Storage.None();
        this.compute = new ComputeService(storage, faults, scheduler, deviceDir, b.waitTimeout);
        if (persistent) {
            StateFile.read(dataDir, compute, b.storage);
        }
        this.frontend = new HttpFrontend(compute, faults, GceEmulator::projectNumber);
        frontend.setReady(b.ready);
        this.httpExecutor = Executors.newCachedThreadPool(daemon("gce-emulator-http"));
        // The JDK server writes headers and body separately; without TCP_NODELAY every response
        // waits ~40 ms for the client's delayed ACK (Nagle). Read once, before the first server.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        HttpServer s;
        try {
            s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), b.port), 1024);
        } catch (IOException e) {
            cleanupAfterFailedStart();
            throw e;
        }
        this.server = s;
        server.createContext("/", frontend);
        server.setExecutor(httpExecutor);
        this.baseUrl = "http://127.0.0.1:" + server.getAddress().getPort();
        compute.setLinks(new Links(baseUrl));
        if (persistent) {
            compute.setOnChange(() -> dirty.set(true));
            scheduler.scheduleWithFixedDelay(this::flushState, 200, 200, TimeUnit.MILLISECONDS);
        }
        server.start();
        log.info(
                "Compute Engine emulator on {} (storage {}, data dir {})",
                baseUrl,
                storage.enabled() ? "on" : "off",
                dataDir);
    }

    private void cleanupAfterFailedStart() {
        scheduler.shutdownNow();
        if (ownsDataDir) {
            deleteTree(dataDir);
        }
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    // --------------------------------------------------------------------------------- endpoints

    /** {@code http://127.0.0.1:PORT}: the compute endpoint and the metadata endpoint. */
    public String baseUrl() {
        return baseUrl;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * A metadata endpoint that always describes the given instance:
     * {@code baseUrl/_metadata/PROJECT/ZONE/INSTANCE}, under which
     * {@code /computeMetadata/v1/...} is served. For several node plugins on one emulator.
     */
    public String metadataEndpoint(String project, String zone, String instance) {
        return baseUrl + "/_metadata/" + project + "/" + zone + "/" + instance;
    }

    public Optional<Path> dataDir() {
        return Optional.ofNullable(dataDir);
    }

    /**
     * Where attached disks' named hard links live (storage on): a loop device is bound to
     * {@code <dir>/N/<deviceName>}, so its backing file's name is its device name. A node plugin on this emulator
     * finds a disk whose link is missing among the loop devices under it ({@code --loop-disk-dir}).
     */
    public Optional<Path> attachmentDir() {
        return Optional.ofNullable(storage.enabled() && dataDir != null ? dataDir.resolve("attached") : null);
    }

    /** The default directory of {@code google-<deviceName>} links (storage on). */
    public Optional<Path> deviceDir() {
        return Optional.ofNullable(deviceDir);
    }

    public boolean storageEnabled() {
        return storage.enabled();
    }

    // ------------------------------------------------------------------------------- resources

    /**
     * Registers a global image from a file holding a filesystem (copied, sparse, into the data dir
     * when storage is on). {@code diskSizeGb} is the file size rounded up to GiB, at least 1.
     *
     * @return the image's self link
     */
    public String registerImage(String project, String name, String family, Path file) throws IOException {
        Model.Image img = compute.registerImage(project, name, family, file, null);
        return compute.links().image(img.project, img.name);
    }

    /** Registers an image with no contents (disks made from it are blank), for scale runs. */
    public String registerImage(String project, String name, String family, long diskSizeGb) {
        try {
            Model.Image img = compute.registerImage(project, name, family, null, diskSizeGb);
            return compute.links().image(img.project, img.name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sets an image's deprecation state ({@code DEPRECATED}, {@code OBSOLETE}, {@code DELETED}). */
    public void deprecateImage(String project, String name, String state) {
        compute.deprecateImage(project, name, state);
    }

    /**
     * Adds a RUNNING instance with a boot disk of the same name (a record only, attached as
     * {@code persistent-disk-0}, index 0); its disk links go to the default device dir.
     *
     * @return the instance's self link
     */
    public String addInstance(String project, String zone, String name, String machineType) {
        return addInstance(project, zone, name, machineType, null);
    }

    /** Like {@link #addInstance(String, String, String, String)} with its own device dir. */
    public String addInstance(String project, String zone, String name, String machineType, Path deviceDir) {
        Model.Instance i = compute.addInstance(
                project, zone, name, machineType, deviceDir == null ? null : deviceDir.toAbsolutePath());
        return compute.links().instance(i.project, i.zone, i.name);
    }

    /** Chooses the instance {@code /computeMetadata/v1/...} describes. */
    public void setMetadataInstance(String project, String zone, String instance) {
        frontend.setMetadataTarget(new HttpFrontend.MetadataTarget(project, zone, instance));
    }

    /**
     * Moves the insert, start and end times of every operation so far back by {@code by}, as if that much time had
     * passed: for tests of a client that tells an old answer from a new one by its time, without waiting.
     */
    public void ageOperations(Duration by) {
        compute.operations.age(by);
    }

    /** Ends the 503s of {@link Builder#notReadyUntilSetUp()}: from now on requests are served. */
    public void ready() {
        frontend.setReady(true);
    }

    /** The project number the metadata server reports for a project id (stable per id). */
    public static long projectNumber(String project) {
        long h = 1125899906842597L;
        for (int i = 0; i < project.length(); i++) {
            h = 31 * h + project.charAt(i);
        }
        return 100_000_000_000L + Math.floorMod(h, 900_000_000_000L);
    }

    // ------------------------------------------------------------------------- faults, counters

    public Faults faults() {
        return faults;
    }

    /** Read-only sharing rules: reader caps per disk type, the Hyperdisk ML attach pace and its clock. */
    public Sharing sharing() {
        return compute.sharing();
    }

    /** Sets how long {@code operations.wait} blocks at most. */
    public void setWaitTimeout(Duration waitTimeout) {
        compute.setWaitTimeout(waitTimeout);
    }

    /** Requests received for a method, e.g. {@code disks.insert}, since start or the last reset. */
    public long requestCount(String method) {
        return frontend.count(method);
    }

    public Map<String, Long> requestCounts() {
        return frontend.counts();
    }

    public void resetRequestCounts() {
        frontend.resetCounts();
    }

    // ------------------------------------------------------------------- storage introspection

    /** The backing file of a disk (storage on). */
    public Optional<Path> diskFile(String project, String zone, String disk) {
        Model.Disk d = compute.findDisk(project, zone, disk);
        synchronized (compute.lock) {
            return d == null ? Optional.empty() : Optional.ofNullable(d.file);
        }
    }

    /**
     * The project's disks other than instances' boot disks, as {@code zone/name}, sorted: what exists now, however
     * many inserts were sent for it.
     */
    public java.util.List<String> diskNames(String project) {
        return compute.withRecords(r -> r.disks().values().stream()
                .filter(d -> d.project.equals(project) && !d.boot)
                .map(d -> d.zone + "/" + d.name)
                .sorted()
                .toList());
    }

    /** The loop device an attached disk is bound to (storage on, attach DONE). */
    public Optional<String> loopDevice(String project, String zone, String instance, String deviceName) {
        Model.Attachment a = compute.findAttachment(project, zone, instance, deviceName);
        synchronized (compute.lock) {
            return a == null ? Optional.empty() : Optional.ofNullable(a.loopDevice);
        }
    }

    /** Loop devices currently bound by this emulator, with their backing files. */
    public Map<String, Path> boundLoopDevices() {
        return storage instanceof FileStorage fs ? fs.boundLoops() : Map.of();
    }

    // ------------------------------------------------------------------------------- lifecycle

    private void flushState() {
        if (dirty.getAndSet(false)) {
            try {
                StateFile.write(dataDir, compute);
            } catch (IOException | RuntimeException e) {
                dirty.set(true);
                log.warn("could not write {}: {}", dataDir.resolve(StateFile.NAME), e.toString());
            }
        }
    }

    /**
     * Stops serving, detaches every loop device and removes every link this emulator made. A
     * caller-given data dir keeps its images, disk files and state; a temp data dir is deleted.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        compute.close();
        server.stop(0);
        scheduler.shutdown();
        try {
            if (!scheduler.awaitTermination(30, TimeUnit.SECONDS)) {
                scheduler.shutdownNow();
            }
        } catch (InterruptedException e) {
            scheduler.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (persistent) {
            dirty.set(true);
            flushState();
        }
        storage.close();
        httpExecutor.shutdownNow();
        if (ownsDataDir) {
            deleteTree(dataDir);
        }
        log.info("Compute Engine emulator on {} closed", baseUrl);
    }

    private static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    log.warn("could not delete {}: {}", p, e.toString());
                }
            });
        } catch (IOException e) {
            log.warn("could not delete {}: {}", root, e.toString());
        }
    }
}
