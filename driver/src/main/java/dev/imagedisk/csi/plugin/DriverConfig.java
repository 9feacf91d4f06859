package dev.imagedisk.csi.plugin;

import dev.imagedisk.csi.server.Endpoint;
import java.time.Duration;

/** Everything a plugin process is started with. */
public record DriverConfig(
        Mode mode,
        Endpoint endpoint,
        String driverName,
        Duration shutdownGrace,
        CloudOptions cloud,
        ControllerOptions controller,
        NodeOptions node,
        String metricsAddress) {

    public static final String DEFAULT_DRIVER_NAME = "imagedisk.csi.dev";
}
