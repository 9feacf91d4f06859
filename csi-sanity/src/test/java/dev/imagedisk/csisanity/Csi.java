package dev.imagedisk.csisanity;

import csi.v1.ControllerGetCapabilitiesRequest;
import csi.v1.ControllerGrpc;
import csi.v1.ControllerServiceCapability;
import csi.v1.GetPluginCapabilitiesRequest;
import csi.v1.GroupControllerGrpc;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGetCapabilitiesRequest;
import csi.v1.NodeGetInfoRequest;
import csi.v1.NodeGetInfoResponse;
import csi.v1.NodeGrpc;
import csi.v1.NodeServiceCapability;
import csi.v1.PluginCapability;
import csi.v1.SnapshotMetadataGrpc;
import csi.v1.Topology;
import dev.imagedisk.csi.server.CsiChannels;
import dev.imagedisk.gce.emulator.GceEmulator;
import dev.imagedisk.stack.LocalStack;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The endpoint under test, shared by every test class of one run: by default a {@link LocalStack} started
 * once in a temp dir (emulator with real storage + the plugin as one VM); with {@code -Dcsi.endpoint} an
 * external plugin. Holds the channel, the node id, the image, the kubelet dir, the node's topology, what
 * the plugin advertises, and every volume id the suite created (for the final leftover check).
 */
final class Csi implements AutoCloseable {
    static final String TOPOLOGY_KEY = "topology.imagedisk.csi.dev/zone";
    static final long GIB = 1L << 30;
    /** The volume size the suite asks for; sparse files, so cheap. */
    static final long SIZE = 10 * GIB;

    static final long EXPANDED_SIZE = 20 * GIB;
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(90);

    private final CsiChannels.Client client;
    private final LocalStack local; // null when external
    private final Path dataDir; // null when external
    final String runId;
    final String nodeId;
    final String image;
    final Path kubeletDir;
    final Topology nodeTopology;
    final Set<ControllerServiceCapability.RPC.Type> controllerCaps;
    final Set<NodeServiceCapability.RPC.Type> nodeCaps;
    final Set<PluginCapability.Service.Type> pluginServices;
    /** Every volume id the suite was handed by CreateVolume, for the final check. */
    final Set<String> createdVolumeIds = ConcurrentHashMap.newKeySet();

    private final AtomicInteger names = new AtomicInteger();

    private Csi(
            CsiChannels.Client client, LocalStack local, Path dataDir, String nodeId, String image, Path kubeletDir) {
        this.client = client;
        this.local = local;
        this.dataDir = dataDir;
        byte[] r = new byte[3];
        new SecureRandom().nextBytes(r);
        this.runId = HexFormat.of().formatHex(r);
        this.image = image;
        this.kubeletDir = kubeletDir.toAbsolutePath().normalize();
        NodeGetInfoResponse info = node().nodeGetInfo(NodeGetInfoRequest.getDefaultInstance());
        this.nodeId = nodeId != null ? nodeId : info.getNodeId();
        this.nodeTopology = info.getAccessibleTopology();
        this.controllerCaps = EnumSet.noneOf(ControllerServiceCapability.RPC.Type.class);
        this.nodeCaps = EnumSet.noneOf(NodeServiceCapability.RPC.Type.class);
        this.pluginServices = EnumSet.noneOf(PluginCapability.Service.Type.class);
        for (PluginCapability c : identity()
                .getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList()) {
            if (c.hasService()) {
                pluginServices.add(c.getService().getType());
            }
        }
        if (pluginServices.contains(PluginCapability.Service.Type.CONTROLLER_SERVICE)) {
            controller()
                    .controllerGetCapabilities(ControllerGetCapabilitiesRequest.getDefaultInstance())
                    .getCapabilitiesList()
                    .forEach(c -> controllerCaps.add(c.getRpc().getType()));
        }
        node().nodeGetCapabilities(NodeGetCapabilitiesRequest.getDefaultInstance())
                .getCapabilitiesList()
                .forEach(c -> nodeCaps.add(c.getRpc().getType()));
    }

    /** Starts what the system properties ask for. */
    static Csi start() throws IOException {
        String endpoint = System.getProperty("csi.endpoint", "").trim();
        if (!endpoint.isEmpty()) {
            return external(endpoint);
        }
        String why = whyNoLocalStack();
        if (why != null) {
            throw new NotRunnable("the local stack cannot run here: " + why
                    + " (or point the suite at a running plugin with -Dcsi.endpoint=unix:///PATH)");
        }
        Path dir = Files.createTempDirectory("imagedisk-sanity-");
        LocalStack stack = LocalStack.start(LocalStack.Options.defaults(dir).withKeepData(false));
        try {
            return new Csi(
                    CsiChannels.connect(stack.socket()),
                    stack,
                    dir,
                    stack.nodeId(),
                    stack.imageParameter(),
                    stack.kubeletDir());
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    private static Csi external(String endpoint) {
        Path socket;
        if (endpoint.startsWith("unix://")) {
            socket = Path.of(endpoint.substring("unix://".length()));
        } else if (endpoint.startsWith("unix:")) {
            socket = Path.of(endpoint.substring("unix:".length()));
        } else {
            throw new IllegalArgumentException("-Dcsi.endpoint must be unix:///PATH, not " + endpoint);
        }
        String image = required("csi.image", "the StorageClass image parameter, e.g. projects/P/global/images/NAME");
        String kubelet = required(
                "csi.kubeletDir", "the plugin's kubelet directory (staging and target paths go" + " under it)");
        String nodeId = System.getProperty("csi.nodeId", "").trim();
        return new Csi(
                CsiChannels.connect(socket), null, null, nodeId.isEmpty() ? null : nodeId, image, Path.of(kubelet));
    }

    private static String required(String property, String what) {
        String v = System.getProperty(property, "").trim();
        if (v.isEmpty()) {
            throw new IllegalArgumentException("with -Dcsi.endpoint, -D" + property + " is required: " + what);
        }
        return v;
    }

    /** Null when this process can run the local stack (root, loop driver), else why not. */
    static String whyNoLocalStack() {
        try {
            String status = Files.readString(Path.of("/proc/self/status"));
            boolean root = status.lines().anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[2].equals("0"));
            if (!root) {
                return "it needs root (it binds loop devices and mounts filesystems)";
            }
        } catch (IOException e) {
            return "cannot read /proc/self/status: " + e.getMessage();
        }
        if (!Files.exists(Path.of("/dev/loop-control"))) {
            return "there is no /dev/loop-control (modprobe loop)";
        }
        return null;
    }

    /** Whether this process has CAP_SYS_RESOURCE (resize2fs needs it to grow a mounted ext filesystem). */
    static boolean hasCapSysResource() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("CapEff:")) {
                    return (Long.parseUnsignedLong(l.substring(7).trim(), 16) & (1L << 24)) != 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }

    /** Thrown when the suite cannot run in this environment; tests skip on it. */
    static final class NotRunnable extends RuntimeException {
        NotRunnable(String message) {
            super(message);
        }
    }

    // ----------------------------------------------------------------------------------- stubs

    ManagedChannel channel() {
        return client.channel();
    }

    IdentityGrpc.IdentityBlockingStub identity() {
        return IdentityGrpc.newBlockingStub(channel())
                .withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    ControllerGrpc.ControllerBlockingStub controller() {
        return ControllerGrpc.newBlockingStub(channel())
                .withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    NodeGrpc.NodeBlockingStub node() {
        return NodeGrpc.newBlockingStub(channel()).withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    GroupControllerGrpc.GroupControllerBlockingStub groupController() {
        return GroupControllerGrpc.newBlockingStub(channel())
                .withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    SnapshotMetadataGrpc.SnapshotMetadataBlockingStub snapshotMetadata() {
        return SnapshotMetadataGrpc.newBlockingStub(channel())
                .withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    // ------------------------------------------------------------------------------ facts

    boolean has(ControllerServiceCapability.RPC.Type t) {
        return controllerCaps.contains(t);
    }

    boolean has(NodeServiceCapability.RPC.Type t) {
        return nodeCaps.contains(t);
    }

    boolean has(PluginCapability.Service.Type t) {
        return pluginServices.contains(t);
    }

    String zone() {
        return nodeTopology.getSegmentsOrDefault(TOPOLOGY_KEY, "");
    }

    /** The local stack, when the suite started one. */
    Optional<LocalStack> local() {
        return Optional.ofNullable(local);
    }

    Optional<GceEmulator> emulator() {
        return local().map(LocalStack::emulator);
    }

    /** A scratch directory outside the kubelet dir (local stack only). */
    Optional<Path> dataDir() {
        return Optional.ofNullable(dataDir);
    }

    /**
     * A fresh volume name for this run: lower case, short enough to be a Compute Engine name as it is
     * ({@code sanity-<run>-<n>-<what>}).
     */
    String volumeName(String what) {
        String name = "sanity-" + runId + "-" + names.incrementAndGet() + "-" + what;
        return name.length() > 63 ? name.substring(0, 63).replaceAll("-+$", "") : name;
    }

    private String secondNodeId;
    private String secondImage;

    /**
     * A second VM in the node's zone that no plugin runs on (local stack: added to the emulator on first
     * use, with its own device dir so the node plugin never sees its disks); external: {@code -Dcsi.nodeId2}.
     */
    synchronized Optional<String> secondNodeId() {
        if (secondNodeId == null) {
            if (local != null) {
                LocalStack.Options o = local.options();
                String name = "sanity-node-2";
                local.emulator()
                        .addInstance(o.project(), o.zone(), name, o.machineType(), dataDir.resolve("dev-" + name));
                secondNodeId = "projects/" + o.project() + "/zones/" + o.zone() + "/instances/" + name;
            } else {
                secondNodeId = System.getProperty("csi.nodeId2", "").trim();
            }
        }
        return secondNodeId.isEmpty() ? Optional.empty() : Optional.of(secondNodeId);
    }

    /**
     * The StorageClass value of a second image, different from {@link #image} (local stack: a blank image
     * registered on first use); external: {@code -Dcsi.image2}.
     */
    synchronized Optional<String> secondImage() {
        if (secondImage == null) {
            if (local != null) {
                String project = local.options().project();
                local.emulator().registerImage(project, "sanity-alt", "sanity-alt", 1);
                secondImage = "projects/" + project + "/global/images/sanity-alt";
            } else {
                secondImage = System.getProperty("csi.image2", "").trim();
            }
        }
        return secondImage.isEmpty() ? Optional.empty() : Optional.of(secondImage);
    }

    private String goneVolumeId;

    /**
     * A volume id of the plugin's own form that names no volume: the id of a volume created and deleted
     * again (once per run).
     */
    synchronized String goneVolumeId() {
        if (goneVolumeId == null) {
            Resources r = new Resources(this);
            try {
                goneVolumeId = r.create("gone").getVolumeId();
            } finally {
                r.cleanup();
            }
        }
        return goneVolumeId;
    }

    /** A node id of the plugin's own form that names no node. */
    String missingNodeId() {
        int slash = nodeId.lastIndexOf('/');
        return slash < 0 ? nodeId + "-sanity-missing" : nodeId.substring(0, slash + 1) + "sanity-no-such-node";
    }

    /** upstream's DefaultIDGenerator: ids that are not of the plugin's form at all. */
    static String fakeVolumeId() {
        return "fake-vol-id-" + java.util.UUID.randomUUID().toString().substring(0, 10);
    }

    static String fakeNodeId() {
        return "fake-node-id-" + java.util.UUID.randomUUID().toString().substring(0, 10);
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            if (local != null) {
                local.close();
            }
        }
    }
}
