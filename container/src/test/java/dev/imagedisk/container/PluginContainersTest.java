package dev.imagedisk.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerGrpc;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.NodeGetInfoRequest;
import csi.v1.NodeGrpc;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.Snapshot;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.exec.CommandRunner;
import dev.imagedisk.csi.server.CsiChannels;
import dev.imagedisk.gce.emulator.GceEmulator;
import dev.imagedisk.stack.SampleImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's two containers as the manifests run them, against the Compute Engine emulator on the host: the
 * controller (controller.yaml: non-root 65532, read-only root, no capabilities, its memory limit) creates a disk
 * from an image, attaches it, snapshots and deletes it; the node plugin (node.yaml: privileged, host /dev and
 * /sys, the kubelet directory with Bidirectional propagation) stages and publishes it, and the mount it makes
 * inside its container shows at the kubelet path on the host, as pods need it to; after unstage nothing is left
 * mounted on the host. The emulator's endpoints stand in for Google's (the only flags added to the manifests').
 */
@Tag("container")
class PluginContainersTest {
    private static final String PROJECT = "imagedisk-container";
    private static final String ZONE = "us-central1-a";
    private static final String INSTANCE = "node-1";
    private static final VolumeCapability MOUNT_RWO = VolumeCapability.newBuilder()
            .setMount(VolumeCapability.MountVolume.newBuilder().setFsType("ext4"))
            .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                    .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
            .build();

    @TempDir
    static Path dir;

    static Podman podman;
    static GceEmulator emulator;
    static Path kubelet;
    static String controllerName;
    static String nodeName;
    static Path controllerSocket;
    static Path nodeSocket;
    static String imageLink;

    @BeforeAll
    static void start() throws Exception {
        podman = ContainerSupport.podmanOrSkip();
        String image = ImageUnderTest.get(podman);
        Path devices = Files.createDirectories(dir.resolve("dev"));
        emulator = GceEmulator.builder()
                .dataDir(dir.resolve("emulator"))
                .storage(true)
                .deviceDir(devices)
                .operationDuration(Duration.ofMillis(200))
                .port(0)
                .start();
        Path sample = dir.resolve("images").resolve("runtime-lib.ext4");
        SampleImage.build(sample, new CommandRunner(Duration.ofMinutes(2)));
        imageLink = emulator.registerImage(PROJECT, SampleImage.NAME, SampleImage.FAMILY, sample);
        emulator.addInstance(PROJECT, ZONE, INSTANCE, "e2-standard-4");
        emulator.setMetadataInstance(PROJECT, ZONE, INSTANCE);
        String metadata = emulator.metadataEndpoint(PROJECT, ZONE, INSTANCE);
        String suffix = "-" + ProcessHandle.current().pid();

        // the controller: a Deployment's emptyDirs are writable by the pod's user
        Path socketDir = worldWritable(dir.resolve("controller-socket"));
        Path tmp = worldWritable(dir.resolve("controller-tmp"));
        controllerName = "imagedisk-controller" + suffix;
        PluginContainer.Run controller = PluginContainer.read(PluginContainer.manifest("controller.yaml"))
                .run(controllerName, image)
                .hostDir("socket-dir", socketDir)
                .hostDir("tmp", tmp)
                .replaceArg("--metrics-address", "127.0.0.1:0")
                .addArgs("--compute-endpoint=" + emulator.baseUrl(), "--metadata-endpoint=" + metadata);
        podman.remove(controllerName, Duration.ZERO);
        podman.check(controller.podmanArgs(), Duration.ofMinutes(2));
        controllerSocket = socketDir.resolve("csi.sock");

        // the node: the kubelet directory is a shared mount on the host, as a kubelet's is
        kubelet = dir.resolve("kubelet");
        HostMounts.bindShared(kubelet);
        nodeName = "imagedisk-node" + suffix;
        Path pluginDir = Files.createDirectories(dir.resolve("node-plugin"));
        PluginContainer.Run node = PluginContainer.read(PluginContainer.manifest("node.yaml"))
                .run(nodeName, image)
                .hostDir("kubelet-dir", kubelet)
                .hostDir("plugin-dir", pluginDir)
                .replaceArg("--metrics-address", "127.0.0.1:0")
                .addArgs("--metadata-endpoint=" + metadata, "--device-dir=" + devices)
                .addBind(devices);
        podman.remove(nodeName, Duration.ZERO);
        podman.check(node.podmanArgs(), Duration.ofMinutes(2));
        nodeSocket = pluginDir.resolve("csi.sock");

        Probes.awaitReady(podman, controllerName, controllerSocket, Duration.ofSeconds(90));
        Probes.awaitReady(podman, nodeName, nodeSocket, Duration.ofSeconds(90));
    }

    private static Path worldWritable(Path d) throws Exception {
        Files.createDirectories(d);
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
        return d;
    }

    @AfterAll
    static void stop() throws Exception {
        List<String> problems = new ArrayList<>();
        if (podman != null) {
            for (String c : new String[] {nodeName, controllerName}) {
                if (c != null) {
                    podman.remove(c, Duration.ofSeconds(30));
                }
            }
        }
        if (kubelet != null) {
            List<Path> left = HostMounts.unmountAll(kubelet);
            if (!left.isEmpty()) {
                problems.add("mounts left under " + kubelet + ": " + left);
            }
        }
        if (emulator != null) {
            emulator.close();
        }
        if (podman != null) {
            podman.close();
        }
        assertTrue(problems.isEmpty(), problems.toString());
    }

    @Test
    void controllerRunsAsTheManifestsNonRootUser() throws Exception {
        long pid = podman.pid(controllerName);
        String uid = statusLine(pid, "Uid");
        String gid = statusLine(pid, "Gid");
        assertTrue(uid.matches("65532\\s+65532\\s+65532\\s+65532"), "controller Uid: " + uid);
        assertTrue(gid.matches("65532\\s+65532\\s+65532\\s+65532"), "controller Gid: " + gid);
        assertEquals("0000000000000000", statusLine(pid, "CapEff"), "controller keeps no capabilities");
        assertEquals("1", statusLine(pid, "NoNewPrivs"));
        long node = podman.pid(nodeName);
        assertTrue(statusLine(node, "Uid").startsWith("0\t"), "node plugin runs as root: " + statusLine(node, "Uid"));
    }

    @Test
    void volumeFromAnImageThroughBothContainers() throws Exception {
        try (CsiChannels.Client cc = CsiChannels.connect(controllerSocket);
                CsiChannels.Client nc = CsiChannels.connect(nodeSocket)) {
            ControllerGrpc.ControllerBlockingStub controller =
                    ControllerGrpc.newBlockingStub(cc.channel()).withDeadlineAfter(5, TimeUnit.MINUTES);
            NodeGrpc.NodeBlockingStub node =
                    NodeGrpc.newBlockingStub(nc.channel()).withDeadlineAfter(5, TimeUnit.MINUTES);
            String nodeId =
                    node.nodeGetInfo(NodeGetInfoRequest.getDefaultInstance()).getNodeId();
            assertTrue(nodeId.endsWith("/instances/" + INSTANCE), nodeId);

            Volume volume = controller
                    .createVolume(CreateVolumeRequest.newBuilder()
                            .setName("pvc-container-test")
                            .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(1L << 30))
                            .addVolumeCapabilities(MOUNT_RWO)
                            .putParameters("image", "projects/" + PROJECT + "/global/images/" + SampleImage.NAME)
                            .putParameters("type", "pd-balanced")
                            .setAccessibilityRequirements(TopologyRequirement.newBuilder()
                                    .addPreferred(Topology.newBuilder().putSegments(Keys.TOPOLOGY_ZONE, ZONE)))
                            .build())
                    .getVolume();
            String id = volume.getVolumeId();
            Map<String, String> publish = controller
                    .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                            .setVolumeId(id)
                            .setNodeId(nodeId)
                            .setVolumeCapability(MOUNT_RWO)
                            .putAllVolumeContext(volume.getVolumeContextMap())
                            .build())
                    .getPublishContextMap();

            // the kubelet's paths, inside the node container; the host sees them under `kubelet`
            String inside = "/var/lib/kubelet";
            String staging = "plugins/kubernetes.io/csi/imagedisk.csi.dev/container-test/globalmount";
            String target = "pods/0d5c2f7e-container-test/volumes/kubernetes.io~csi/pvc-container-test/mount";
            Files.createDirectories(kubelet.resolve(staging));
            Files.createDirectories(kubelet.resolve(target).getParent());
            node.nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .putAllPublishContext(publish)
                    .setStagingTargetPath(inside + "/" + staging)
                    .setVolumeCapability(MOUNT_RWO)
                    .putAllVolumeContext(volume.getVolumeContextMap())
                    .build());
            node.nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .putAllPublishContext(publish)
                    .setStagingTargetPath(inside + "/" + staging)
                    .setTargetPath(inside + "/" + target)
                    .setVolumeCapability(MOUNT_RWO)
                    .putAllVolumeContext(volume.getVolumeContextMap())
                    .build());

            // Bidirectional propagation: the container's mounts are the host's, with the image's files
            Path hostTarget = kubelet.resolve(target);
            assertTrue(
                    HostMounts.under(kubelet).contains(hostTarget),
                    "not mounted on the host: " + hostTarget + "; host mounts under the kubelet dir: "
                            + HostMounts.under(kubelet));
            for (Map.Entry<String, String> f : SampleImage.files().entrySet()) {
                assertEquals(
                        f.getValue(),
                        Files.readString(hostTarget.resolve(f.getKey()), StandardCharsets.UTF_8),
                        f.getKey() + " as the host sees it");
            }
            Files.writeString(hostTarget.resolve("written-from-the-host.txt"), "hello\n");

            Snapshot snapshot = controller
                    .createSnapshot(CreateSnapshotRequest.newBuilder()
                            .setName("snapshot-container-test")
                            .setSourceVolumeId(id)
                            .putParameters("image-family", "container-test")
                            .build())
                    .getSnapshot();
            assertTrue(snapshot.getReadyToUse(), snapshot.toString());
            assertEquals(id, snapshot.getSourceVolumeId());

            node.nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setTargetPath(inside + "/" + target)
                    .build());
            node.nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setStagingTargetPath(inside + "/" + staging)
                    .build());
            assertEquals(List.of(kubelet), HostMounts.under(kubelet), "left mounted on the host after unstage");
            assertFalse(Files.exists(hostTarget.resolve("written-from-the-host.txt")), "target still shows the disk");

            controller.deleteSnapshot(DeleteSnapshotRequest.newBuilder()
                    .setSnapshotId(snapshot.getSnapshotId())
                    .build());
            controller.controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setNodeId(nodeId)
                    .build());
            controller.deleteVolume(
                    DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
            assertTrue(
                    emulator.boundLoopDevices().isEmpty(), "loop devices still bound: " + emulator.boundLoopDevices());
        }
    }

    private static String statusLine(long pid, String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).trim();
            }
        }
        throw new AssertionError("/proc/" + pid + "/status has no " + field);
    }
}
