package dev.imagedisk.bench;

import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.VolumeCapability;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.plugin.DriverConfig;
import dev.imagedisk.csi.plugin.PluginCommand;
import dev.imagedisk.csi.requests.CsiRequests;
import java.util.List;
import picocli.CommandLine;

/** The CSI requests the benchmarks send ({@link CsiRequests}), and the plugin configuration they start. */
final class Csi {
    private Csi() {}

    static final VolumeCapability MOUNT_RWO = CsiRequests.RWO_EXT4;

    /** A CreateVolume as csi-provisioner sends it for claim {@code claim-<pvName>} of a pod in {@code zone}. */
    static CreateVolumeRequest create(String pvName, String image, String zone, long bytes) {
        return CsiRequests.provision(
                        pvName, "claim-" + pvName, image, bytes, CsiRequests.zone(Keys.TOPOLOGY_ZONE, zone))
                .build();
    }

    static ControllerPublishVolumeRequest publish(String volumeId, String nodeId) {
        return CsiRequests.controllerPublish(volumeId, nodeId, MOUNT_RWO).build();
    }

    static String nodeId(String project, String zone, String instance) {
        return "projects/" + project + "/zones/" + zone + "/instances/" + instance;
    }

    /** {@link #config(String...)} from a list of flags. */
    static DriverConfig config(List<String> args) {
        return config(args.toArray(String[]::new));
    }

    /** The plugin's configuration from its command-line flags, exactly as {@code imagedisk plugin} reads them. */
    static DriverConfig config(String... args) {
        PluginCommand command = new PluginCommand();
        new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).parseArgs(args);
        return command.config();
    }
}
