package dev.imagedisk.csi;

import dev.imagedisk.csi.identity.ReadinessCheck;
import io.grpc.BindableService;
import java.util.List;

/** A CSI service ready to be served, what it needs to be ready, and what to close when the plugin stops. */
public record ServicePart(BindableService service, List<ReadinessCheck> readiness, AutoCloseable resources) {
    public ServicePart {
        readiness = List.copyOf(readiness);
    }
}
