package dev.imagedisk.csi.node;

import csi.v1.NodeGrpc;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.imagedisk.csi.plugin.PluginCommand;
import dev.imagedisk.csi.plugin.PluginRuntime;
import dev.imagedisk.csi.server.CsiChannels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/** A node-mode plugin on a real Unix socket, and a client to it. */
final class NodePlugin implements AutoCloseable {
    final PluginRuntime runtime;
    final CsiChannels.Client client;

    NodePlugin(DeviceLab lab, String... extraArgs) throws Exception {
        Path socket = lab.root.resolve("csi.sock");
        List<String> extra = List.of(extraArgs);
        List<String> args = new ArrayList<>(List.of(
                "--mode", "node", "--endpoint", "unix://" + socket, "--kubelet-dir", lab.kubeletDir.toString()));
        defaults(args, extra, "--device-dir", lab.deviceDir.toString());
        defaults(args, extra, "--loop-disk-dir", lab.attached.toString());
        defaults(args, extra, "--node-id", "projects/p/zones/us-central1-a/instances/node-1");
        defaults(args, extra, "--zone", "us-central1-a");
        defaults(args, extra, "--device-wait", "1s");
        defaults(args, extra, "--metadata-endpoint", "http://127.0.0.1:9");
        args.addAll(extra);
        PluginCommand command = new PluginCommand();
        new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(args.toArray(String[]::new));
        this.runtime = PluginRuntime.start(command.config());
        this.client = CsiChannels.connect(socket);
    }

    /** Adds {@code option value} unless the test passes that option itself ("--x" "" leaves it out). */
    private static void defaults(List<String> args, List<String> extra, String option, String value) {
        if (!extra.contains(option)) {
            args.add(option);
            args.add(value);
        }
    }

    NodeGrpc.NodeBlockingStub node() {
        return NodeGrpc.newBlockingStub(client.channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    static VolumeCapability mount(Mode mode, String fsType, String... flags) {
        return VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.newBuilder()
                        .setFsType(fsType)
                        .addAllMountFlags(List.of(flags)))
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode))
                .build();
    }

    static VolumeCapability mount() {
        return mount(Mode.SINGLE_NODE_WRITER, "");
    }

    static VolumeCapability block(Mode mode) {
        return VolumeCapability.newBuilder()
                .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(mode))
                .build();
    }

    static NodeStageVolumeRequest stage(String volumeId, String disk, Path staging, VolumeCapability cap) {
        return NodeStageVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .putPublishContext("deviceName", disk)
                .setStagingTargetPath(staging.toString())
                .setVolumeCapability(cap)
                .build();
    }

    static NodePublishVolumeRequest publish(
            String volumeId, String disk, Path staging, Path target, VolumeCapability cap, boolean readOnly) {
        return NodePublishVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .putPublishContext("deviceName", disk)
                .setStagingTargetPath(staging.toString())
                .setTargetPath(target.toString())
                .setVolumeCapability(cap)
                .setReadonly(readOnly)
                .build();
    }

    @Override
    public void close() {
        client.close();
        runtime.close();
    }
}
