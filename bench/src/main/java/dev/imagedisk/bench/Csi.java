package dev.imagedisk.bench;

import csi.v1.CapacityRange;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.Topology;
import csi.v1.TopologyRequirement;
import csi.v1.VolumeCapability;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.plugin.DriverConfig;
import dev.imagedisk.csi.plugin.PluginCommand;
import picocli.CommandLine;

/** The CSI requests the benchmarks send, as csi-provisioner and csi-attacher send them. */
final class Csi {
    private Csi() {}

    static final VolumeCapability MOUNT_RWO = VolumeCapability.newBuilder()
            .setMount(VolumeCapability.MountVolume.newBuilder().setFsType("ext4"))
            .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                    .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER))
            .build();

    static CreateVolumeRequest create(String pvName, String image, String zone, long bytes) {
        return CreateVolumeRequest.newBuilder()
                .setName(pvName)
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(bytes))
                .addVolumeCapabilities(MOUNT_RWO)
                .putParameters("image", image)
                .putParameters("type", "pd-balanced")
                .putParameters("csi.storage.k8s.io/pvc/name", "claim-" + pvName)
                .putParameters("csi.storage.k8s.io/pvc/namespace", "default")
                .putParameters("csi.storage.k8s.io/pv/name", pvName)
                .setAccessibilityRequirements(TopologyRequirement.newBuilder()
                        .addPreferred(Topology.newBuilder().putSegments(Keys.TOPOLOGY_ZONE, zone)))
                .build();
    }

    static ControllerPublishVolumeRequest publish(String volumeId, String nodeId) {
        return ControllerPublishVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .setNodeId(nodeId)
                .setVolumeCapability(MOUNT_RWO)
                .build();
    }

    static String nodeId(String project, String zone, String instance) {
        return "projects/" + project + "/zones/" + zone + "/instances/" + instance;
    }

    /** The plugin's configuration from its command-line flags, exactly as {@code imagedisk plugin} reads them. */
    static DriverConfig config(String... args) {
        PluginCommand command = new PluginCommand();
        new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(args);
        return command.config();
    }
}
