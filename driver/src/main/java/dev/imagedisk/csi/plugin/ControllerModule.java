package dev.imagedisk.csi.plugin;

import dev.imagedisk.csi.cloud.ApiBudgets;
import dev.imagedisk.csi.cloud.Backoff;
import dev.imagedisk.csi.cloud.CloudReadiness;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.cloud.gce.ComputeClients;
import dev.imagedisk.csi.cloud.gce.GoogleComputeCloud;
import dev.imagedisk.csi.common.SchedulerThreads;
import dev.imagedisk.csi.common.Version;
import dev.imagedisk.csi.controller.AttachPace;
import dev.imagedisk.csi.controller.Attacher;
import dev.imagedisk.csi.controller.ControllerService;
import dev.imagedisk.csi.controller.ImageCache;
import dev.imagedisk.csi.controller.ReaderSets;
import dev.imagedisk.csi.controller.Snapshotter;
import dev.imagedisk.csi.controller.StorageClassParameters;
import dev.imagedisk.csi.controller.VolumeCatalog;
import dev.imagedisk.csi.controller.VolumeModifier;
import dev.imagedisk.csi.controller.VolumeProvisioner;
import dev.imagedisk.csi.controller.ZonePicker;
import dev.imagedisk.csi.metadata.MetadataClient;
import dev.imagedisk.csi.metrics.CloudApiMetrics;
import dev.imagedisk.csi.metrics.DriverMetrics;
import dev.imagedisk.csi.server.InFlight;
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

    /** Step threads of the controller, at most. */
    static final int STEP_THREADS = 4;

    private ControllerModule() {}

    public static ServicePart create(DriverConfig config, DriverMetrics metrics) {
        ControllerOptions o = config.controller();
        positive("--api-write-rate-limit", o.apiWriteRateLimit);
        positive("--api-read-rate-limit", o.apiReadRateLimit);
        if (o.apiRateLimit != null) {
            positive("--api-rate-limit", o.apiRateLimit);
        }
        if (o.attachPaceWait.isNegative()) {
            throw new IllegalArgumentException("--attach-pace-wait must not be negative: " + o.attachPaceWait);
        }
        if (o.imageCacheTtl.isNegative()) {
            throw new IllegalArgumentException("--image-cache-ttl must not be negative: " + o.imageCacheTtl);
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
                throw new IllegalStateException(
                        "--project/--zone not given and the metadata server at " + config.cloud().metadataEndpoint
                                + " cannot tell them: " + e.getMessage(),
                        e);
            }
        }
        ComputeClients clients;
        try {
            clients = ComputeClients.create(
                    o.computeEndpoint,
                    "imagedisk-csi/" + Version.get(),
                    o.apiCallTimeout,
                    ComputeClients.WAIT_CALL_TIMEOUT);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up the Compute Engine client: " + e.getMessage(), e);
        }
        ApiBudgets budgets = ApiBudgets.of(o.apiWriteRateLimit, o.apiReadRateLimit, o.apiRateLimit);
        CloudApiMetrics observer = new CloudApiMetrics(metrics);
        Backoff backoff = new Backoff(
                o.apiRetries,
                o.apiRetryBackoff,
                o.apiRetryMaxBackoff.compareTo(o.apiRetryBackoff) < 0 ? o.apiRetryBackoff : o.apiRetryMaxBackoff);
        // one timer and a few step threads for the adapter (operation ticks, backoffs, the callers' next steps) and
        // the volume logic (image reads, reads of disks still being created)
        SchedulerThreads steps = new SchedulerThreads("controller", STEP_THREADS);
        GoogleComputeCloud cloud = new GoogleComputeCloud(
                clients,
                project,
                zone,
                budgets,
                backoff,
                o.operationTimeout,
                ComputeClients.WAIT_CALL_TIMEOUT,
                observer,
                steps);
        // read once: every CreateVolume without an image parameter uses this ImageRef
        ImageRef defaultImage = null;
        if (o.defaultImage != null) {
            defaultImage = StorageClassParameters.readImage(o.defaultImage.trim(), project)
                    .orElseThrow(() -> new IllegalArgumentException("--default-image: \"" + o.defaultImage
                            + "\" is not an image; use projects/P/global/images/NAME,"
                            + " projects/P/global/images/family/FAMILY or global/images/NAME"));
        }
        ControllerService service = new ControllerService(
                project,
                defaultImage,
                new VolumeProvisioner(
                        cloud,
                        project,
                        new ZonePicker(zone),
                        o.operationTimeout,
                        new ImageCache(o.imageCacheTtl),
                        steps),
                new Attacher(cloud),
                new VolumeCatalog(cloud, project),
                new Snapshotter(cloud, project),
                new VolumeModifier(cloud),
                new ReaderSets(
                        cloud, project, AttachPace.hyperdiskMl(steps), o.attachPaceWait, steps, o.operationTimeout),
                new InFlight());
        LOG.info(
                "controller: project={} zone={} compute endpoint={} api budgets: writes {}/s, reads {}/s,"
                        + " operation reads {}/s{}; image cache {}",
                project,
                zone,
                clients.endpoint(),
                o.apiWriteRateLimit,
                o.apiReadRateLimit,
                o.apiReadRateLimit,
                o.apiRateLimit == null ? "" : ", all " + o.apiRateLimit + "/s",
                o.imageCacheTtl);
        return new ServicePart(service, List.of(new CloudReadiness(cloud)), () -> {
            cloud.close();
            steps.close();
            clients.close();
        });
    }

    private static void positive(String flag, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(flag + " must be a positive number: " + value);
        }
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
