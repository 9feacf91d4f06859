package dev.imagedisk.csi.plugin;

import dev.imagedisk.csi.common.ReadinessCheck;
import dev.imagedisk.csi.common.Version;
import dev.imagedisk.csi.identity.IdentityService;
import dev.imagedisk.csi.metrics.DriverMetrics;
import dev.imagedisk.csi.metrics.MetricsServer;
import dev.imagedisk.csi.server.CallInterceptor;
import dev.imagedisk.csi.server.CsiServer;
import io.grpc.BindableService;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running plugin: the services its mode asks for, served on its endpoint. Used by the {@code plugin}
 * command and, in-process, by {@code serve}, the demo and the tests.
 */
public final class PluginRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PluginRuntime.class);
    /**
     * The node plugin's call threads: one event loop thread and at most this many calls running at once (more
     * queue). Calls block on mkfs, e2fsck and resize2fs; 16 covers a node staging 15 volumes at once.
     */
    static final int NODE_CALL_THREADS = 16;

    private final DriverConfig config;
    private final DriverMetrics metrics;
    private final MetricsServer metricsServer;
    private final CsiServer server;
    private final List<AutoCloseable> resources;

    private PluginRuntime(
            DriverConfig config,
            DriverMetrics metrics,
            MetricsServer metricsServer,
            CsiServer server,
            List<AutoCloseable> resources) {
        this.config = config;
        this.metrics = metrics;
        this.metricsServer = metricsServer;
        this.server = server;
        this.resources = resources;
    }

    /**
     * Handler threads of a controller-only plugin: its calls that wait for Compute Engine operations answer
     * asynchronously, so a few threads serve hundreds of calls in flight (csi-provisioner alone runs 100 workers).
     */
    static final int CONTROLLER_CALL_THREADS = 8;

    public static PluginRuntime start(DriverConfig config) throws IOException {
        DriverMetrics metrics = new DriverMetrics();
        List<BindableService> services = new ArrayList<>();
        List<ReadinessCheck> readiness = new ArrayList<>();
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            if (config.mode().controllerService()) {
                add(ControllerModule.create(config, metrics), services, readiness, resources);
            }
            if (config.mode().nodeService()) {
                add(NodeModule.create(config, metrics), services, readiness, resources);
            }
            services.add(new IdentityService(
                    config.driverName(), Version.get(), config.mode().controllerService(), readiness));
            MetricsServer metricsServer = null;
            if (config.metricsAddress() != null) {
                metricsServer = MetricsServer.start(config.metricsAddress(), metrics);
                resources.add(metricsServer);
            }
            CsiServer server = CsiServer.start(
                    config.endpoint(),
                    services,
                    new CallInterceptor(new CallInterceptor.CallObserver() {
                        @Override
                        public void started(String method) {
                            metrics.csiCallStarted(method);
                        }

                        @Override
                        public void finished(String method, io.grpc.Status.Code code, long nanos) {
                            metrics.csiCallFinished(method, code.name(), nanos);
                        }
                    }),
                    config.mode() == Mode.node
                            ? NODE_CALL_THREADS
                            : config.mode() == Mode.controller ? CONTROLLER_CALL_THREADS : 0);
            return new PluginRuntime(config, metrics, metricsServer, server, resources);
        } catch (IOException | RuntimeException e) {
            closeAll(resources);
            throw e;
        }
    }

    private static void add(
            ServicePart part,
            List<BindableService> services,
            List<ReadinessCheck> readiness,
            List<AutoCloseable> resources) {
        services.add(part.service());
        readiness.addAll(part.readiness());
        resources.add(part.resources());
    }

    public DriverConfig config() {
        return config;
    }

    public DriverMetrics metrics() {
        return metrics;
    }

    /** The port metrics are served on, or -1 when --metrics-address is not set. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.port();
    }

    /** Drains calls in flight for up to the configured grace period, then releases everything. */
    @Override
    public void close() {
        server.shutdown(config.shutdownGrace());
        closeAll(resources);
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                LOG.warn("error while closing {}: {}", resources.get(i), e.toString());
            }
        }
    }
}
