package dev.imagedisk.stack;

import dev.imagedisk.csi.exec.CommandRunner;
import dev.imagedisk.csi.mount.MountInfo;
import dev.imagedisk.csi.mount.Mounter;
import dev.imagedisk.csi.mount.UtilLinuxMounter;
import dev.imagedisk.csi.plugin.CloudOptions;
import dev.imagedisk.csi.plugin.ControllerOptions;
import dev.imagedisk.csi.plugin.DriverConfig;
import dev.imagedisk.csi.plugin.Mode;
import dev.imagedisk.csi.plugin.NodeOptions;
import dev.imagedisk.csi.plugin.PluginRuntime;
import dev.imagedisk.csi.server.Endpoint;
import dev.imagedisk.gce.emulator.GceEmulator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The all-in-one local stack behind {@code serve}, the demo, the conformance suite and the benchmarks: a
 * Compute Engine emulator with real storage, one emulated VM, the sample image, and the plugin serving
 * Controller and Node on one socket as that VM. Closing it removes every mount, loop device, link and
 * runtime file it made.
 */
public final class LocalStack implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);

    /** How the stack is laid out. */
    public record Options(
            Path dataDir,
            Path socket,
            String project,
            String zone,
            String instance,
            String machineType,
            Duration operationDuration,
            String metricsAddress,
            boolean keepData,
            boolean sampleIsDefaultImage) {
        public static Options defaults(Path dataDir) {
            return new Options(
                    dataDir,
                    dataDir.resolve("csi.sock"),
                    "imagedisk-local",
                    "us-central1-a",
                    "node-1",
                    "e2-standard-4",
                    Duration.ofMillis(200),
                    null,
                    true,
                    false);
        }

        public Options withSocket(Path s) {
            return new Options(
                    dataDir,
                    s,
                    project,
                    zone,
                    instance,
                    machineType,
                    operationDuration,
                    metricsAddress,
                    keepData,
                    sampleIsDefaultImage);
        }

        public Options withOperationDuration(Duration d) {
            return new Options(
                    dataDir,
                    socket,
                    project,
                    zone,
                    instance,
                    machineType,
                    d,
                    metricsAddress,
                    keepData,
                    sampleIsDefaultImage);
        }

        public Options withMetricsAddress(String a) {
            return new Options(
                    dataDir,
                    socket,
                    project,
                    zone,
                    instance,
                    machineType,
                    operationDuration,
                    a,
                    keepData,
                    sampleIsDefaultImage);
        }

        public Options withKeepData(boolean k) {
            return new Options(
                    dataDir,
                    socket,
                    project,
                    zone,
                    instance,
                    machineType,
                    operationDuration,
                    metricsAddress,
                    k,
                    sampleIsDefaultImage);
        }
    }

    private final Options options;
    private final GceEmulator emulator;
    private final PluginRuntime plugin;
    private final String imageLink;

    private LocalStack(Options options, GceEmulator emulator, PluginRuntime plugin, String imageLink) {
        this.options = options;
        this.emulator = emulator;
        this.plugin = plugin;
        this.imageLink = imageLink;
    }

    public static LocalStack start(Options o) throws IOException {
        Path dataDir = o.dataDir().toAbsolutePath();
        Files.createDirectories(dataDir);
        Path deviceDir = dataDir.resolve("dev");
        Path kubeletDir = dataDir.resolve("kubelet");
        Files.createDirectories(deviceDir);
        Files.createDirectories(kubeletDir);
        unmountUnder(kubeletDir); // a previous run that was killed may have left mounts behind

        GceEmulator emulator = GceEmulator.builder()
                .dataDir(dataDir.resolve("emulator"))
                .storage(true)
                .deviceDir(deviceDir)
                .operationDuration(o.operationDuration())
                .port(0)
                .start();
        try {
            String imageLink = ensureSampleImage(emulator, o.project(), dataDir.resolve("images"));
            ensurePartitionedSampleImages(emulator, o.project(), dataDir.resolve("images"));
            ensureInstance(emulator, o);
            PluginRuntime plugin = PluginRuntime.start(pluginConfig(o, emulator, kubeletDir, deviceDir));
            return new LocalStack(o, emulator, plugin, imageLink);
        } catch (IOException | RuntimeException e) {
            emulator.close();
            throw e;
        }
    }

    private static DriverConfig pluginConfig(Options o, GceEmulator emulator, Path kubeletDir, Path deviceDir) {
        CloudOptions cloud = new CloudOptions();
        cloud.project = o.project();
        cloud.zone = o.zone();
        cloud.metadataEndpoint = emulator.metadataEndpoint(o.project(), o.zone(), o.instance());
        ControllerOptions controller = new ControllerOptions();
        controller.computeEndpoint = emulator.baseUrl();
        if (o.sampleIsDefaultImage()) {
            // a StorageClass (or csi-sanity's parameterless volume) that names no image gets the sample
            controller.defaultImage = "projects/" + o.project() + "/global/images/" + SampleImage.NAME;
        }
        NodeOptions node = new NodeOptions();
        node.kubeletDir = kubeletDir;
        node.deviceDir = deviceDir;
        emulator.attachmentDir().ifPresent(node.loopDiskDirs::add);
        node.deviceWait = Duration.ofSeconds(20);
        return new DriverConfig(
                Mode.all,
                new Endpoint(o.socket().toAbsolutePath()),
                DriverConfig.DEFAULT_DRIVER_NAME,
                Duration.ofSeconds(30),
                cloud,
                controller,
                node,
                o.metricsAddress());
    }

    private static String ensureSampleImage(GceEmulator emulator, String project, Path imageDir) throws IOException {
        Path file = imageDir.resolve(SampleImage.NAME + ".ext4");
        if (!Files.exists(file)) {
            SampleImage.build(file, SampleImage.defaultRunner());
        }
        try {
            return emulator.registerImage(project, SampleImage.NAME, SampleImage.FAMILY, file);
        } catch (RuntimeException | IOException e) {
            if (String.valueOf(e.getMessage()).contains("already exists")) {
                // registered at an earlier start
                return emulator.baseUrl() + "/compute/v1/projects/" + project + "/global/images/" + SampleImage.NAME;
            }
            throw e;
        }
    }

    /**
     * Registers the sample image in its partitioned layouts too (a boot disk's GPT layout, an MBR disk), as
     * {@code runtime-lib-gpt} and {@code runtime-lib-mbr}. A machine without sfdisk or mkfs.vfat (dosfstools)
     * gets a warning instead.
     */
    private static void ensurePartitionedSampleImages(GceEmulator emulator, String project, Path imageDir) {
        for (SampleImage.Layout layout : List.of(SampleImage.Layout.GPT, SampleImage.Layout.MBR)) {
            Path file = imageDir.resolve(layout.imageName() + ".img");
            try {
                if (!Files.exists(file)) {
                    SampleImage.build(file, SampleImage.defaultRunner(), layout);
                }
                emulator.registerImage(project, layout.imageName(), layout.imageName(), file);
            } catch (RuntimeException | IOException e) {
                if (!String.valueOf(e.getMessage()).contains("already exists")) {
                    LOG.warn(
                            "sample image {} not registered (are sfdisk and mkfs.vfat installed?): {}",
                            layout.imageName(),
                            e.toString());
                }
            }
        }
    }

    /** The StorageClass parameter naming the sample image in {@code layout}. */
    public String imageParameter(SampleImage.Layout layout) {
        return "projects/" + options.project() + "/global/images/" + layout.imageName();
    }

    private static void ensureInstance(GceEmulator emulator, Options o) {
        try {
            emulator.addInstance(o.project(), o.zone(), o.instance(), o.machineType());
        } catch (RuntimeException e) {
            if (!String.valueOf(e.getMessage()).contains("already exists")) {
                throw e;
            }
        }
        emulator.setMetadataInstance(o.project(), o.zone(), o.instance());
    }

    public Options options() {
        return options;
    }

    public GceEmulator emulator() {
        return emulator;
    }

    public PluginRuntime plugin() {
        return plugin;
    }

    public Path socket() {
        return options.socket().toAbsolutePath();
    }

    public Path kubeletDir() {
        return options.dataDir().toAbsolutePath().resolve("kubelet");
    }

    public String nodeId() {
        return "projects/" + options.project() + "/zones/" + options.zone() + "/instances/" + options.instance();
    }

    /** The StorageClass parameter naming the sample image. */
    public String imageParameter() {
        return "projects/" + options.project() + "/global/images/" + SampleImage.NAME;
    }

    public String imageSelfLink() {
        return imageLink;
    }

    /** Mounts still present under the kubelet directory (what a clean scale-down must leave empty). */
    public List<MountInfo> mountsLeft() {
        return mountsUnder(new UtilLinuxMounter(new CommandRunner(Duration.ofSeconds(30))), kubeletDir());
    }

    @Override
    public void close() {
        try {
            plugin.close();
        } finally {
            try {
                unmountUnder(kubeletDir());
            } catch (RuntimeException e) {
                LOG.warn("could not unmount everything under {}: {}", kubeletDir(), e.toString());
            }
            emulator.close();
            deleteTree(kubeletDir());
            deleteTree(options.dataDir().toAbsolutePath().resolve("dev"));
            if (!options.keepData()) {
                deleteTree(options.dataDir().toAbsolutePath());
            }
        }
    }

    private static List<MountInfo> mountsUnder(Mounter mounter, Path dir) {
        return mounter.mounts().stream()
                .filter(m -> m.mountPoint().startsWith(dir))
                .toList();
    }

    /** Unmounts everything below {@code dir}, deepest first. */
    private static void unmountUnder(Path dir) {
        Mounter mounter = new UtilLinuxMounter(new CommandRunner(Duration.ofSeconds(30)));
        List<MountInfo> left = mountsUnder(mounter, dir);
        for (MountInfo m : left.stream()
                .sorted(Comparator.comparingInt((MountInfo x) -> x.mountPoint().getNameCount())
                        .reversed()
                        .thenComparing(MountInfo::id, Comparator.reverseOrder()))
                .toList()) {
            LOG.info("unmounting leftover {}", m.mountPoint());
            mounter.unmount(m.mountPoint());
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", root, e.toString());
        }
    }
}
