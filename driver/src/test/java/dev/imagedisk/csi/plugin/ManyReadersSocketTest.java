package dev.imagedisk.csi.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.cloud.compute.v1.DisksClient;
import com.google.cloud.compute.v1.DisksScopedList;
import com.google.cloud.compute.v1.DisksSettings;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerGrpc;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import csi.v1.NodeGrpc;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import csi.v1.VolumeContentSource;
import dev.imagedisk.csi.server.CsiChannels;
import dev.imagedisk.gce.emulator.GceEmulator;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Many readers over the socket: one controller plugin and three node plugins (each its own socket, kubelet dir,
 * device dir, node id and metadata), on an emulator with real storage whose instances are in two zones. A
 * ReadOnlyMany reader set ({@code replicas: on-demand}) is published to 3 nodes in 2 zones: each reads the image's
 * files, writes fail with EROFS, exactly one disk per zone exists, none after DeleteVolume; a set made from a
 * snapshot of a mounted ext4 disk (dirty journal) stages read-only; with {@code max-readers-per-disk: 2}, five
 * readers in one zone use three disks. Needs root and loop devices (skipped otherwise); leaves no mount, loop
 * device or file behind.
 */
@Tag("integration")
class ManyReadersSocketTest {
    static final String P = "many-readers";
    static final String ZA = "us-central1-a";
    static final String ZB = "us-central1-b";
    static final String HELLO = "hello from the shared runtime\n";

    static {
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    /** A node plugin on its own socket, as one GKE node would run it. */
    record NodeUnderTest(String zone, String name, Path root, PluginRuntime runtime, CsiChannels.Client client) {
        String nodeId() {
            return "projects/" + P + "/zones/" + zone + "/instances/" + name;
        }

        NodeGrpc.NodeBlockingStub node() {
            return NodeGrpc.newBlockingStub(client.channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
        }

        Path staging(String volume) {
            return root.resolve("kubelet/plugins/kubernetes.io/csi/imagedisk/" + volume + "/globalmount");
        }

        Path target(String pod) {
            return root.resolve("kubelet/pods/" + pod + "/volumes/kubernetes.io~csi/pv/mount");
        }
    }

    Path tmp;
    GceEmulator emulator;
    PluginRuntime controllerPlugin;
    CsiChannels.Client controllerClient;
    final Map<String, NodeUnderTest> nodes = new LinkedHashMap<>();
    DisksClient disks;

    @BeforeEach
    void start() throws Exception {
        Assumptions.assumeTrue(isRoot(), "needs root: loop devices and mounts");
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/loop-control")), "needs /dev/loop-control");
        tmp = Files.createTempDirectory("imagedisk-many-readers-");
        Path content = Files.createDirectories(tmp.resolve("content/lib"));
        Files.writeString(content.getParent().resolve("hello.txt"), HELLO);
        Files.writeString(content.resolve("version"), "1.2.3\n");
        Path image = tmp.resolve("runtime.ext4");
        run("truncate", "-s", "64M", image.toString());
        run("mkfs.ext4", "-F", "-q", "-d", content.getParent().toString(), image.toString());
        emulator = GceEmulator.builder()
                .dataDir(tmp.resolve("emulator"))
                .storage(true)
                .operationDuration(Duration.ofMillis(20))
                .waitTimeout(Duration.ofSeconds(10))
                .start();
        emulator.registerImage(P, "runtime-v1", "runtime", image);
        disks = DisksClient.create(DisksSettings.newBuilder()
                .setEndpoint(emulator.baseUrl())
                .setCredentialsProvider(NoCredentialsProvider.create())
                .build());
        Path controllerSocket = tmp.resolve("controller.sock");
        controllerPlugin = plugin(List.of(
                "--mode",
                "controller",
                "--endpoint",
                "unix://" + controllerSocket,
                "--project",
                P,
                "--zone",
                ZA,
                "--compute-endpoint",
                emulator.baseUrl(),
                "--metadata-endpoint",
                emulator.baseUrl(),
                "--api-rate-limit",
                "1000",
                "--image-cache-ttl",
                "0s",
                "--shutdown-grace",
                "0s"));
        controllerClient = CsiChannels.connect(controllerSocket);
        addNode(ZA, "node-a1");
        addNode(ZA, "node-a2");
        addNode(ZB, "node-b1");
    }

    private void addNode(String zone, String name) throws Exception {
        Path root = Files.createDirectories(tmp.resolve(name));
        Path deviceDir = Files.createDirectories(root.resolve("dev/disk/by-id"));
        Files.createDirectories(root.resolve("kubelet"));
        emulator.addInstance(P, zone, name, "e2-standard-4", deviceDir);
        Path socket = root.resolve("csi.sock");
        PluginRuntime runtime = plugin(List.of(
                "--mode",
                "node",
                "--endpoint",
                "unix://" + socket,
                "--node-id",
                "projects/" + P + "/zones/" + zone + "/instances/" + name,
                "--zone",
                zone,
                "--kubelet-dir",
                root.resolve("kubelet").toString(),
                "--device-dir",
                deviceDir.toString(),
                "--device-wait",
                "20s",
                "--metadata-endpoint",
                emulator.metadataEndpoint(P, zone, name),
                "--shutdown-grace",
                "0s"));
        nodes.put(name, new NodeUnderTest(zone, name, root, runtime, CsiChannels.connect(socket)));
    }

    private static PluginRuntime plugin(List<String> args) throws IOException {
        PluginCommand command = new PluginCommand();
        new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(args.toArray(String[]::new));
        return PluginRuntime.start(command.config());
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (tmp != null) {
                unmountUnder(tmp);
            }
            for (NodeUnderTest n : nodes.values()) {
                n.client().close();
                n.runtime().close();
            }
            if (controllerClient != null) {
                controllerClient.close();
            }
            if (controllerPlugin != null) {
                controllerPlugin.close();
            }
            if (disks != null) {
                disks.close();
            }
            if (emulator != null) {
                emulator.close();
            }
        } finally {
            if (tmp != null) {
                releaseLoopsUnder(tmp);
                try (Stream<Path> walk = Files.walk(tmp)) {
                    for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ calls

    private ControllerGrpc.ControllerBlockingStub controller() {
        return ControllerGrpc.newBlockingStub(controllerClient.channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    static VolumeCapability cap(Mode mode) {
        return VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.newBuilder().setFsType("ext4"))
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode))
                .build();
    }

    static final VolumeCapability ROX = cap(Mode.MULTI_NODE_READER_ONLY);
    static final VolumeCapability RWO = cap(Mode.SINGLE_NODE_WRITER);

    static Topology zone(String z) {
        return Topology.newBuilder()
                .putSegments("topology.imagedisk.csi.dev/zone", z)
                .build();
    }

    /** A reader set over both zones, its first disk in zone a. */
    static CreateVolumeRequest.Builder readerSet(String name, String type) {
        return CreateVolumeRequest.newBuilder()
                .setName(name)
                .addVolumeCapabilities(ROX)
                .putParameters("image", "projects/" + P + "/global/images/family/runtime")
                .putParameters("type", type)
                .putParameters("replicas", "on-demand")
                .setAccessibilityRequirements(TopologyRequirement.newBuilder()
                        .addRequisite(zone(ZA))
                        .addRequisite(zone(ZB))
                        .addPreferred(zone(ZA)));
    }

    private Map<String, String> controllerPublish(String volume, String nodeId, VolumeCapability cap, boolean ro) {
        return controller()
                .controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                        .setVolumeId(volume)
                        .setNodeId(nodeId)
                        .setVolumeCapability(cap)
                        .setReadonly(ro)
                        .build())
                .getPublishContextMap();
    }

    /** ControllerPublish, NodeStage and NodePublish of {@code volume} for one pod on {@code n}; the pod's path. */
    private Path mountOn(NodeUnderTest n, Volume volume, String pod, VolumeCapability cap, boolean ro) {
        Map<String, String> context = controllerPublish(volume.getVolumeId(), n.nodeId(), cap, ro);
        String key = volume.getVolumeId().replaceAll("[^a-z0-9-]", "_");
        n.node()
                .nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                        .setVolumeId(volume.getVolumeId())
                        .putAllPublishContext(context)
                        .putAllVolumeContext(volume.getVolumeContextMap())
                        .setStagingTargetPath(n.staging(key).toString())
                        .setVolumeCapability(cap)
                        .build());
        Path target = n.target(pod);
        n.node()
                .nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                        .setVolumeId(volume.getVolumeId())
                        .putAllPublishContext(context)
                        .putAllVolumeContext(volume.getVolumeContextMap())
                        .setStagingTargetPath(n.staging(key).toString())
                        .setTargetPath(target.toString())
                        .setVolumeCapability(cap)
                        .setReadonly(ro)
                        .build());
        return target;
    }

    private void unmountFrom(NodeUnderTest n, String volumeId, String pod) {
        String key = volumeId.replaceAll("[^a-z0-9-]", "_");
        n.node()
                .nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(volumeId)
                        .setTargetPath(n.target(pod).toString())
                        .build());
        n.node()
                .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(volumeId)
                        .setStagingTargetPath(n.staging(key).toString())
                        .build());
        controller()
                .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(volumeId)
                        .setNodeId(n.nodeId())
                        .build());
    }

    /** Every disk the driver made in the project, as zone/name (disks.aggregatedList through the real client). */
    private List<String> allDisks() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, DisksScopedList> e : disks.aggregatedList(P).iterateAll()) {
            for (com.google.cloud.compute.v1.Disk d : e.getValue().getDisksList()) {
                if (d.getLabelsMap().containsKey("imagedisk-csi")) { // the driver's, not the instances' boot disks
                    out.add(e.getKey().substring("zones/".length()) + "/" + d.getName());
                }
            }
        }
        out.sort(null);
        return out;
    }

    static void assertErofs(Path file) {
        FileSystemException e = assertThrows(FileSystemException.class, () -> Files.writeString(file, "x"));
        assertTrue(String.valueOf(e.getReason()).contains("Read-only file system"), String.valueOf(e.getReason()));
    }

    // ------------------------------------------------------------------------------------------------ tests

    @Test
    void oneReaderSetPublishedToThreeNodesInTwoZonesReadsTheImageOnOneDiskPerZone() throws Exception {
        Volume volume = controller()
                .createVolume(readerSet("pvc-rox", "hyperdisk-ml").build())
                .getVolume();
        String id = volume.getVolumeId();
        assertEquals("projects/" + P + "/zones/multi-zone/disks/pvc-rox", id);
        assertEquals(2, volume.getAccessibleTopologyCount());
        for (NodeUnderTest n : nodes.values()) {
            Path target = mountOn(n, volume, "pod-" + n.name(), ROX, true);
            assertEquals(HELLO, Files.readString(target.resolve("hello.txt")), n.name());
            assertEquals("1.2.3\n", Files.readString(target.resolve("lib/version")));
            assertErofs(target.resolve("new-file"));
            assertErofs(target.resolve("hello.txt"));
        }
        assertEquals(List.of(ZA + "/pvc-rox", ZB + "/pvc-rox"), allDisks(), "exactly one disk per zone");
        assertEquals("READ_ONLY_MANY", disks.get(P, ZB, "pvc-rox").getAccessMode(), "hyperdisk-ml from an image");
        Set<String> readers = nodes.values().stream().map(NodeUnderTest::nodeId).collect(Collectors.toSet());
        assertEquals(
                readers,
                Set.copyOf(controller()
                        .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                .setVolumeId(id)
                                .build())
                        .getStatus()
                        .getPublishedNodeIdsList()));
        ListVolumesResponse list = controller().listVolumes(ListVolumesRequest.getDefaultInstance());
        assertEquals(1, list.getEntriesCount());
        assertEquals(readers, Set.copyOf(list.getEntries(0).getStatus().getPublishedNodeIdsList()));

        for (NodeUnderTest n : nodes.values()) {
            unmountFrom(n, id, "pod-" + n.name());
        }
        controller()
                .deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        assertEquals(List.of(), allDisks());
        assertEquals(Map.of(), emulator.boundLoopDevices());
    }

    @Test
    void aReaderSetFromASnapshotOfAMountedExt4DiskStagesReadOnly() throws Exception {
        NodeUnderTest a1 = nodes.get("node-a1");
        Volume source = controller()
                .createVolume(CreateVolumeRequest.newBuilder()
                        .setName("pvc-src")
                        .addVolumeCapabilities(RWO)
                        .putParameters("image", "projects/" + P + "/global/images/runtime-v1")
                        .setAccessibilityRequirements(
                                TopologyRequirement.newBuilder().addPreferred(zone(ZA)))
                        .build())
                .getVolume();
        Path written = mountOn(a1, source, "pod-writer", RWO, false);
        Files.writeString(written.resolve("from-the-writer.txt"), "written while mounted\n");
        try (FileChannel ch = FileChannel.open(written.resolve("from-the-writer.txt"), StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        // the capture is taken while the disk is attached and mounted read-write: its journal needs recovery
        String snapshot = controller()
                .createSnapshot(CreateSnapshotRequest.newBuilder()
                        .setName("snap-dirty")
                        .setSourceVolumeId(source.getVolumeId())
                        .build())
                .getSnapshot()
                .getSnapshotId();
        Volume set = controller()
                .createVolume(readerSet("pvc-from-dirty", "pd-balanced")
                        .clearParameters()
                        .putParameters("type", "pd-balanced")
                        .putParameters("replicas", "on-demand")
                        .setVolumeContentSource(VolumeContentSource.newBuilder()
                                .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder()
                                        .setSnapshotId(snapshot)))
                        .build())
                .getVolume();
        Path file = emulator.diskFile(P, ZA, "pvc-from-dirty").orElseThrow();
        assertTrue(
                run("dumpe2fs", "-h", file.toString()).contains("needs_recovery"),
                "the captured filesystem's journal needs recovery");
        for (String name : List.of("node-a2", "node-b1")) {
            NodeUnderTest n = nodes.get(name);
            Path target = mountOn(n, set, "pod-reader-" + name, ROX, true);
            assertEquals(HELLO, Files.readString(target.resolve("hello.txt")), name);
            assertErofs(target.resolve("new-file"));
        }
        assertTrue(run("dumpe2fs", "-h", file.toString()).contains("needs_recovery"), "nothing replayed it");
        for (String name : List.of("node-a2", "node-b1")) {
            unmountFrom(nodes.get(name), set.getVolumeId(), "pod-reader-" + name);
        }
        unmountFrom(a1, source.getVolumeId(), "pod-writer");
        controller()
                .deleteVolume(DeleteVolumeRequest.newBuilder()
                        .setVolumeId(set.getVolumeId())
                        .build());
        controller()
                .deleteVolume(DeleteVolumeRequest.newBuilder()
                        .setVolumeId(source.getVolumeId())
                        .build());
        controller()
                .deleteSnapshot(DeleteSnapshotRequest.newBuilder()
                        .setSnapshotId(snapshot)
                        .build());
        assertEquals(List.of(), allDisks());
    }

    @Test
    void withTwoReadersPerDiskFiveReadersInOneZoneUseThreeDisks() {
        List<String> readers = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            emulator.addInstance(P, ZB, "reader-" + i, "e2-standard-4", tmp.resolve("reader-" + i));
            readers.add("projects/" + P + "/zones/" + ZB + "/instances/reader-" + i);
        }
        String id = controller()
                .createVolume(readerSet("pvc-capped", "pd-balanced")
                        .putParameters("max-readers-per-disk", "2")
                        .build())
                .getVolume()
                .getVolumeId();
        for (String r : readers) {
            controllerPublish(id, r, ROX, true);
        }
        List<String> inB =
                allDisks().stream().filter(d -> d.startsWith(ZB + "/")).toList();
        assertEquals(3, inB.size(), inB.toString());
        assertEquals(
                Set.copyOf(readers),
                Set.copyOf(controller()
                        .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                .setVolumeId(id)
                                .build())
                        .getStatus()
                        .getPublishedNodeIdsList()));
        for (String r : readers) {
            controller()
                    .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                            .setVolumeId(id)
                            .setNodeId(r)
                            .build());
        }
        controller()
                .deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        assertEquals(List.of(), allDisks());
    }

    @Test
    void sixConcurrentReadersInOneZoneAtTwoPerDiskMakeExactlyThreeDisks() throws Exception {
        List<String> readers = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            emulator.addInstance(P, ZB, "burst-" + i, "e2-standard-4", tmp.resolve("burst-" + i));
            readers.add("projects/" + P + "/zones/" + ZB + "/instances/burst-" + i);
        }
        emulator.faults().setOperationDuration(Duration.ofMillis(200)); // the creations and attaches overlap
        String id = controller()
                .createVolume(readerSet("pvc-burst", "pd-balanced")
                        .putParameters("max-readers-per-disk", "2")
                        .build())
                .getVolume()
                .getVolumeId();
        ControllerGrpc.ControllerFutureStub async =
                ControllerGrpc.newFutureStub(controllerClient.channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
        List<com.google.common.util.concurrent.ListenableFuture<csi.v1.ControllerPublishVolumeResponse>> calls =
                new ArrayList<>();
        for (String r : readers) {
            calls.add(async.controllerPublishVolume(ControllerPublishVolumeRequest.newBuilder()
                    .setVolumeId(id)
                    .setNodeId(r)
                    .setVolumeCapability(ROX)
                    .setReadonly(true)
                    .build()));
        }
        Map<String, Integer> perDevice = new java.util.TreeMap<>();
        for (var call : calls) {
            perDevice.merge(
                    call.get(60, TimeUnit.SECONDS).getPublishContextMap().get("deviceName"), 1, Integer::sum);
        }
        List<String> inB =
                allDisks().stream().filter(d -> d.startsWith(ZB + "/")).toList();
        assertEquals(3, inB.size(), inB.toString());
        assertEquals(List.of(2, 2, 2), List.copyOf(perDevice.values()), perDevice.toString());
        for (String r : readers) {
            controller()
                    .controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder()
                            .setVolumeId(id)
                            .setNodeId(r)
                            .build());
        }
        controller()
                .deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        assertEquals(List.of(), allDisks());
    }

    // ----------------------------------------------------------------------------------------------- helpers

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:"))
                    .anyMatch(l -> l.split("\\s+")[1].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    static String run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", argv) + " timed out");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", argv) + " failed: " + out);
        }
        return out;
    }

    /** Unmounts every mount under {@code dir}, deepest first (a failed test may leave some). */
    static void unmountUnder(Path dir) throws IOException, InterruptedException {
        String prefix = dir.toAbsolutePath().toString();
        List<String> points = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String point = line.split(" ")[4].replace("\\040", " ");
            if (point.startsWith(prefix)) {
                points.add(point);
            }
        }
        points.sort(Comparator.comparingInt(String::length).reversed());
        for (String point : points) {
            try {
                run("umount", point);
            } catch (IOException e) {
                // best effort: the next one may still go
            }
        }
    }

    /** Detaches loop devices backed by files under {@code dir} (only those: ours). */
    static void releaseLoopsUnder(Path dir) {
        try {
            String prefix = dir.toAbsolutePath().toString();
            for (String line : run("losetup", "-a").split("\n")) {
                if (line.contains("(" + prefix)) {
                    run("losetup", "-d", line.substring(0, line.indexOf(':')));
                }
            }
        } catch (IOException | InterruptedException e) {
            // best effort
        }
    }
}
