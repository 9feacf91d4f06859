package dev.imagedisk.csi.plugin;

import dev.imagedisk.csi.common.ReadinessCheck;
import io.grpc.BindableService;
import java.util.List;

/** A CSI service ready to be served, what it needs to be ready, and what to close when the plugin stops. */
public record ServicePart(BindableService service, List<ReadinessCheck> readiness, AutoCloseable resources) {
    public ServicePart {
        readiness = List.copyOf(readiness);
    }
}
