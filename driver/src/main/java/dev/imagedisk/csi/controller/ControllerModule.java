package dev.imagedisk.csi.controller;

import dev.imagedisk.csi.DriverConfig;
import dev.imagedisk.csi.ServicePart;
import dev.imagedisk.csi.metrics.CloudApiMetrics;
import dev.imagedisk.csi.metrics.DriverMetrics;
import dev.imagedisk.csi.Version;
import dev.imagedisk.csi.cloud.Backoff;
import dev.imagedisk.csi.cloud.CloudReadiness;
import dev.imagedisk.csi.cloud.RateLimiter;
import dev.imagedisk.csi.cloud.Retrier;
import dev.imagedisk.csi.cloud.gce.ComputeClients;
import dev.imagedisk.csi.cloud.gce.GoogleComputeCloud;
import dev.imagedisk.csi.common.InFlight;
import dev.imagedisk.csi.metadata.MetadataClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the controller service and what it stands on: the Compute Engine clients, the rate limiter and
 * retry policy, the adapter, the volume logic, and a cached readiness check for Probe.
 */
public final class ControllerModule {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerModule.class);

    private ControllerModule() {}

    public static ServicePart create(DriverConfig config, DriverMetrics metrics) {
        ControllerOptions o = config.controller();
        if (!(o.apiRateLimit > 0) || Double.isInfinite(o.apiRateLimit)) {
            throw new IllegalArgumentException("--api-rate-limit must be a positive number: " + o.apiRateLimit);
        }
        if (o.apiRetries < 0) {
            throw new IllegalArgumentException("--api-retries must not be negative: " + o.apiRetries);
        }
        String project = config.cloud().project;
        String zone = config.cloud().zone;
        if (isBlank(project) || isBlank(zone)) {
            MetadataClient metadata = new MetadataClient(config.cloud().metadataEndpoint, Duration.ofSeconds(5));
            try {
                project = isBlank(project) ? metadata.projectId() : project;
                zone = isBlank(zone) ? metadata.zone() : zone;
            } catch (IOException e) {
                throw new IllegalStateException("--project/--zone not given and the metadata server at "
                        + config.cloud().metadataEndpoint + " cannot tell them: " + e.getMessage(), e);
            }
        }
        ComputeClients clients;
        try {
            clients = ComputeClients.create(o.computeEndpoint, "imagedisk-csi/" + Version.get(), o.apiCallTimeout,
                    ComputeClients.WAIT_CALL_TIMEOUT);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up the Compute Engine client: " + e.getMessage(), e);
        }
        RateLimiter limiter = RateLimiter.perSecond(o.apiRateLimit);
        Retrier retrier = new Retrier(new Backoff(o.apiRetries, o.apiRetryBackoff,
                o.apiRetryMaxBackoff.compareTo(o.apiRetryBackoff) < 0 ? o.apiRetryBackoff : o.apiRetryMaxBackoff));
        GoogleComputeCloud cloud = new GoogleComputeCloud(clients, project, zone, limiter, retrier,
                o.operationTimeout).observedBy(new CloudApiMetrics(metrics));
        ControllerService service = new ControllerService(project,
                new VolumeProvisioner(cloud, project, new ZonePicker(zone), o.operationTimeout),
                new Attacher(cloud), new VolumeCatalog(cloud), new InFlight());
        LOG.info("controller: project={} zone={} compute endpoint={} api rate limit={}/s", project, zone,
                clients.endpoint(), o.apiRateLimit);
        return new ServicePart(service, List.of(new CloudReadiness(cloud)), clients);
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
