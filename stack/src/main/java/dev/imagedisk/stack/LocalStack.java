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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local stack behind {@code serve}, the demo, the conformance suite and the benchmarks: a Compute Engine
 * emulator with real storage, the sample images, and the plugin.
 *
 * <p>With one node (the default) the plugin serves Controller and Node on one socket as one emulated VM. With
 * several ({@link Options#withNodes}), the stack is laid out as a GKE cluster would be: one controller plugin on
 * {@link Options#socket()}, and N node plugins, each an emulated VM with its own socket, node id, zone, kubelet
 * directory and device directory ({@code <dataDir>/nodes/<name>/}), the VMs spread round-robin over Z zones
 * ({@code us-central1-a}, {@code -b}, ...). Closing it removes every mount, loop device, link and runtime file it
 * made.
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
            boolean sampleIsDefaultImage,
            int nodes,
            int zones) {
        public Options {
            if (nodes < 1) {
                throw new IllegalArgumentException("a stack has at least one node, not " + nodes);
            }
            if (zones < 1 || zones > nodes) {
                throw new IllegalArgumentException("zones must be between 1 and the node count (" + nodes + "), not "
                        + zones + ": a zone without a node holds no replica");
            }
            if (zones > 1 && (!zone.matches(".*-[a-z]") || zone.charAt(zone.length() - 1) - 'a' + zones > 26)) {
                throw new IllegalArgumentException("cannot derive " + zones + " zones from " + zone
                        + ": the first zone must end in -a, -b, ... with room for the others");
            }
        }

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
                    false,
                    1,
                    1);
        }

        private Options with(Path s, Duration d, String a, boolean k, int n, int z) {
            return new Options(dataDir, s, project, zone, instance, machineType, d, a, k, sampleIsDefaultImage, n, z);
        }

        public Options withSocket(Path s) {
            return with(s, operationDuration, metricsAddress, keepData, nodes, zones);
        }

        public Options withOperationDuration(Duration d) {
            return with(socket, d, metricsAddress, keepData, nodes, zones);
        }

        public Options withMetricsAddress(String a) {
            return with(socket, operationDuration, a, keepData, nodes, zones);
        }

        public Options withKeepData(boolean k) {
            return with(socket, operationDuration, metricsAddress, k, nodes, zones);
        }

        /** {@code n} node plugins spread over {@code z} zones (one controller on {@link #socket()}). */
        public Options withNodes(int n, int z) {
            return with(socket, operationDuration, metricsAddress, keepData, n, z);
        }

        /** Whether the controller and the node run as separate plugins (more than one node). */
        public boolean multiNode() {
            return nodes > 1;
        }

        /** The {@code i}-th zone (0-based): the first zone with its letter moved on by {@code i}. */
        public String zoneName(int i) {
            if (i == 0) {
                return zone;
            }
            return zone.substring(0, zone.length() - 1) + (char) (zone.charAt(zone.length() - 1) + i);
        }
    }

    /**
     * One emulated VM and the node plugin running as it: the socket kubelet would call, its kubelet directory and
     * the directory its attached disks appear in ({@code google-<deviceName>} links).
     */
    public record Node(String name, String zone, String nodeId, Path socket, Path kubeletDir, Path deviceDir) {}

    private final Options options;
    private final GceEmulator emulator;
    private final List<PluginRuntime> plugins;
    private final List<Node> nodes;
    private final String imageLink;

    private LocalStack(
            Options options, GceEmulator emulator, List<PluginRuntime> plugins, List<Node> nodes, String imageLink) {
        this.options = options;
        this.emulator = emulator;
        this.plugins = plugins;
        this.nodes = nodes;
        this.imageLink = imageLink;
    }

    public static LocalStack start(Options o) throws IOException {
        Path dataDir = o.dataDir().toAbsolutePath();
        Files.createDirectories(dataDir);
        List<Node> nodes = layout(o, dataDir);
        for (Node n : nodes) {
            Files.createDirectories(n.deviceDir());
            Files.createDirectories(n.kubeletDir());
            Files.createDirectories(n.socket().getParent());
            unmountUnder(n.kubeletDir()); // a previous run that was killed may have left mounts behind
        }

        GceEmulator emulator = GceEmulator.builder()
                .dataDir(dataDir.resolve("emulator"))
                .storage(true)
                .deviceDir(nodes.get(0).deviceDir())
                .operationDuration(o.operationDuration())
                .port(0)
                .start();
        List<PluginRuntime> plugins = new ArrayList<>();
        try {
            String imageLink = ensureSampleImage(emulator, o.project(), dataDir.resolve("images"));
            ensurePartitionedSampleImages(emulator, o.project(), dataDir.resolve("images"));
            for (Node n : nodes) {
                ensureInstance(emulator, o, n);
            }
            emulator.setMetadataInstance(
                    o.project(), nodes.get(0).zone(), nodes.get(0).name());
            if (!o.multiNode()) {
                plugins.add(PluginRuntime.start(pluginConfig(Mode.all, o, emulator, nodes.get(0))));
            } else {
                plugins.add(PluginRuntime.start(pluginConfig(Mode.controller, o, emulator, nodes.get(0))));
                for (Node n : nodes) {
                    plugins.add(PluginRuntime.start(pluginConfig(Mode.node, o, emulator, n)));
                }
            }
            return new LocalStack(o, emulator, List.copyOf(plugins), nodes, imageLink);
        } catch (IOException | RuntimeException e) {
            closePlugins(plugins);
            emulator.close();
            throw e;
        }
    }

    /**
     * The VMs: one node ({@code instance} in {@code zone}, the plugin on {@code socket}, {@code <dataDir>/kubelet}
     * and {@code <dataDir>/dev}), or {@code node-1..N} round-robin over the zones, each under
     * {@code <dataDir>/nodes/<name>/}.
     */
    private static List<Node> layout(Options o, Path dataDir) {
        if (!o.multiNode()) {
            return List.of(new Node(
                    o.instance(),
                    o.zone(),
                    nodeId(o.project(), o.zone(), o.instance()),
                    o.socket().toAbsolutePath(),
                    dataDir.resolve("kubelet"),
                    dataDir.resolve("dev")));
        }
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < o.nodes(); i++) {
            String name = "node-" + (i + 1);
            String zone = o.zoneName(i % o.zones());
            Path home = dataDir.resolve("nodes").resolve(name);
            nodes.add(new Node(
                    name,
                    zone,
                    nodeId(o.project(), zone, name),
                    home.resolve("csi.sock"),
                    home.resolve("kubelet"),
                    home.resolve("dev")));
        }
        return List.copyOf(nodes);
    }

    private static String nodeId(String project, String zone, String instance) {
        return "projects/" + project + "/zones/" + zone + "/instances/" + instance;
    }

    /**
     * A plugin's configuration: the controller (default zone: the first node's) and, for a node, its own zone,
     * node id, metadata (the emulator's per-instance metadata endpoint), kubelet and device directories.
     */
    private static DriverConfig pluginConfig(Mode mode, Options o, GceEmulator emulator, Node node) {
        CloudOptions cloud = new CloudOptions();
        cloud.project = o.project();
        cloud.zone = node.zone();
        cloud.metadataEndpoint = emulator.metadataEndpoint(o.project(), node.zone(), node.name());
        ControllerOptions controller = new ControllerOptions();
        controller.computeEndpoint = emulator.baseUrl();
        if (o.sampleIsDefaultImage()) {
            // a StorageClass (or csi-sanity's parameterless volume) that names no image gets the sample
            controller.defaultImage = "projects/" + o.project() + "/global/images/" + SampleImage.NAME;
        }
        NodeOptions nodeOptions = new NodeOptions();
        nodeOptions.kubeletDir = node.kubeletDir();
        nodeOptions.deviceDir = node.deviceDir();
        emulator.attachmentDir().ifPresent(nodeOptions.loopDiskDirs::add);
        nodeOptions.deviceWait = Duration.ofSeconds(20);
        if (mode == Mode.node) {
            nodeOptions.nodeId = node.nodeId();
        }
        return new DriverConfig(
                mode,
                new Endpoint(mode == Mode.node ? node.socket() : o.socket().toAbsolutePath()),
                DriverConfig.DEFAULT_DRIVER_NAME,
                Duration.ofSeconds(30),
                cloud,
                controller,
                nodeOptions,
                mode == Mode.node ? null : o.metricsAddress());
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

    private static void ensureInstance(GceEmulator emulator, Options o, Node n) {
        try {
            if (o.multiNode()) {
                emulator.addInstance(o.project(), n.zone(), n.name(), o.machineType(), n.deviceDir());
            } else {
                emulator.addInstance(o.project(), n.zone(), n.name(), o.machineType());
            }
        } catch (RuntimeException e) {
            if (!String.valueOf(e.getMessage()).contains("already exists")) {
                throw e;
            }
        }
    }

    public Options options() {
        return options;
    }

    public GceEmulator emulator() {
        return emulator;
    }

    /** The plugin serving the controller (with one node, also the node). */
    public PluginRuntime plugin() {
        return plugins.get(0);
    }

    /** The controller's socket (with one node, the node's too). */
    public Path socket() {
        return options.socket().toAbsolutePath();
    }

    /** The emulated VMs with their node plugins, in order ({@code node-1} first). */
    public List<Node> nodes() {
        return nodes;
    }

    /** The zones the nodes are in, in order. */
    public List<String> zones() {
        return nodes.stream().map(Node::zone).distinct().toList();
    }

    /** The first node's kubelet directory. */
    public Path kubeletDir() {
        return nodes.get(0).kubeletDir();
    }

    /** The first node's id. */
    public String nodeId() {
        return nodes.get(0).nodeId();
    }

    /** The StorageClass parameter naming the sample image. */
    public String imageParameter() {
        return "projects/" + options.project() + "/global/images/" + SampleImage.NAME;
    }

    public String imageSelfLink() {
        return imageLink;
    }

    /** Mounts still present under the nodes' kubelet directories (what a clean scale-down must leave empty). */
    public List<MountInfo> mountsLeft() {
        Mounter mounter = new UtilLinuxMounter(new CommandRunner(Duration.ofSeconds(30)));
        List<MountInfo> left = new ArrayList<>();
        for (Node n : nodes) {
            left.addAll(mountsUnder(mounter, n.kubeletDir()));
        }
        return left;
    }

    /** Device links still present in the nodes' device directories. */
    public List<Path> deviceLinksLeft() throws IOException {
        List<Path> left = new ArrayList<>();
        for (Node n : nodes) {
            if (Files.isDirectory(n.deviceDir())) {
                try (Stream<Path> links = Files.list(n.deviceDir())) {
                    links.forEach(left::add);
                }
            }
        }
        return left;
    }

    @Override
    public void close() {
        try {
            closePlugins(plugins);
        } finally {
            for (Node n : nodes) {
                try {
                    unmountUnder(n.kubeletDir());
                } catch (RuntimeException e) {
                    LOG.warn("could not unmount everything under {}: {}", n.kubeletDir(), e.toString());
                }
            }
            emulator.close();
            for (Node n : nodes) {
                deleteTree(n.kubeletDir());
                deleteTree(n.deviceDir());
            }
            if (!options.keepData()) {
                deleteTree(options.dataDir().toAbsolutePath());
            }
        }
    }

    /** Node plugins first, the controller last. */
    private static void closePlugins(List<PluginRuntime> plugins) {
        for (int i = plugins.size() - 1; i >= 0; i--) {
            try {
                plugins.get(i).close();
            } catch (RuntimeException e) {
                LOG.warn("could not stop a plugin: {}", e.toString());
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
