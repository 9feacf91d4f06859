package dev.imagedisk.csi.cloud.gce;

import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.FixedExecutorProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.httpjson.InstantiatingHttpJsonChannelProvider;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.ClientSettings;
import com.google.api.gax.rpc.FixedHeaderProvider;
import com.google.api.gax.rpc.UnaryCallSettings;
import com.google.cloud.compute.v1.DisksClient;
import com.google.cloud.compute.v1.DisksSettings;
import com.google.cloud.compute.v1.GlobalOperationsClient;
import com.google.cloud.compute.v1.GlobalOperationsSettings;
import com.google.cloud.compute.v1.ImagesClient;
import com.google.cloud.compute.v1.ImagesSettings;
import com.google.cloud.compute.v1.InstancesClient;
import com.google.cloud.compute.v1.InstancesSettings;
import com.google.cloud.compute.v1.ZoneOperationsClient;
import com.google.cloud.compute.v1.ZoneOperationsSettings;
import dev.imagedisk.csi.common.DaemonThreads;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The google-cloud-compute clients the driver uses, all on the HTTP/JSON transport, pointed at one
 * endpoint, with the library's own retries turned off so that the driver's retry policy is the only one
 * in force.
 *
 * <p>An {@code http://} endpoint is the emulator: no credentials are sent ({@link NoCredentialsProvider}).
 * The HTTP/JSON transport takes an endpoint that has a scheme ({@code http://host:port}) as the URL
 * prefix as it is, and prepends {@code https://} only to a bare {@code host:port}. Any other endpoint
 * uses Application Default Credentials.
 */
public final class ComputeClients implements AutoCloseable {
    /** Compute Engine's production endpoint; left to the library's default when asked for. */
    public static final String DEFAULT_ENDPOINT = "https://compute.googleapis.com";
    /** Compute Engine answers zoneOperations.wait within about two minutes; allow a little more. */
    public static final Duration WAIT_CALL_TIMEOUT = Duration.ofSeconds(150);

    /**
     * Where the HTTP requests run. The library's default executor starts a thread per call that then stays
     * forever (hundreds after a burst of PVCs); this pool lets a thread go after a few idle seconds. It is not
     * the caller's own thread (a direct executor), because a call's timeout must be able to abandon a request
     * the server is slow to answer. At most {@link #HTTP_THREADS_AT_MOST} run at once and the rest queue: a thread
     * per request in flight grew to ~90 threads when a loaded machine answered 300 CreateVolumes slowly (the long polls
     * hold at most 4 of them, every other request is short).
     */
    private static final ExecutorService HTTP_THREADS = httpThreads();

    static final int HTTP_THREADS_AT_MOST = 16;

    private static ExecutorService httpThreads() {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(
                HTTP_THREADS_AT_MOST,
                HTTP_THREADS_AT_MOST,
                5,
                TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(),
                DaemonThreads.named("compute-http"));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /**
     * The clients' background executor (the library's timers, e.g. a request's timeout), shared: by default each
     * client makes its own pool of several threads.
     */
    private static final ScheduledExecutorService TIMERS =
            new ScheduledThreadPoolExecutor(1, DaemonThreads.named("compute-timer"));

    private final DisksClient disks;
    private final InstancesClient instances;
    private final ImagesClient images;
    private final ZoneOperationsClient zoneOperations;
    private final GlobalOperationsClient globalOperations;
    private final String endpoint;

    private ComputeClients(
            String endpoint,
            DisksClient disks,
            InstancesClient instances,
            ImagesClient images,
            ZoneOperationsClient zoneOperations,
            GlobalOperationsClient globalOperations) {
        this.endpoint = endpoint;
        this.disks = disks;
        this.instances = instances;
        this.images = images;
        this.zoneOperations = zoneOperations;
        this.globalOperations = globalOperations;
    }

    /**
     * @param callTimeout timeout of one HTTP request
     * @param waitTimeout timeout of one {@code zoneOperations.wait} long poll (Compute Engine answers
     *     within about two minutes)
     */
    public static ComputeClients create(String endpoint, String userAgent, Duration callTimeout, Duration waitTimeout)
            throws IOException {
        String ep = normalize(endpoint);
        boolean emulator = ep.startsWith("http://");
        CredentialsProvider credentials = emulator
                ? NoCredentialsProvider.create()
                : DisksSettings.defaultCredentialsProviderBuilder().build();

        DisksSettings.Builder disks = DisksSettings.newBuilder();
        configure(disks, DisksSettings.defaultHttpJsonTransportProviderBuilder(), ep, credentials, userAgent);
        disks.applyToAllUnaryMethods(noRetries(callTimeout));

        InstancesSettings.Builder instances = InstancesSettings.newBuilder();
        configure(instances, InstancesSettings.defaultHttpJsonTransportProviderBuilder(), ep, credentials, userAgent);
        instances.applyToAllUnaryMethods(noRetries(callTimeout));

        ImagesSettings.Builder images = ImagesSettings.newBuilder();
        configure(images, ImagesSettings.defaultHttpJsonTransportProviderBuilder(), ep, credentials, userAgent);
        images.applyToAllUnaryMethods(noRetries(callTimeout));

        ZoneOperationsSettings.Builder operations = ZoneOperationsSettings.newBuilder();
        configure(
                operations,
                ZoneOperationsSettings.defaultHttpJsonTransportProviderBuilder(),
                ep,
                credentials,
                userAgent);
        operations.applyToAllUnaryMethods(noRetries(callTimeout));
        operations.waitSettings().setRetryableCodes(Set.of()).setRetrySettings(single(waitTimeout));

        GlobalOperationsSettings.Builder global = GlobalOperationsSettings.newBuilder();
        configure(
                global, GlobalOperationsSettings.defaultHttpJsonTransportProviderBuilder(), ep, credentials, userAgent);
        global.applyToAllUnaryMethods(noRetries(callTimeout));
        global.waitSettings().setRetryableCodes(Set.of()).setRetrySettings(single(waitTimeout));

        DisksClient d = null;
        InstancesClient i = null;
        ImagesClient im = null;
        ZoneOperationsClient z = null;
        try {
            d = DisksClient.create(disks.build());
            i = InstancesClient.create(instances.build());
            im = ImagesClient.create(images.build());
            z = ZoneOperationsClient.create(operations.build());
            GlobalOperationsClient g = GlobalOperationsClient.create(global.build());
            return new ComputeClients(ep == null ? DEFAULT_ENDPOINT : ep, d, i, im, z, g);
        } catch (IOException | RuntimeException e) {
            for (AutoCloseable c : new AutoCloseable[] {d, i, im, z}) {
                if (c != null) {
                    try {
                        c.close();
                    } catch (Exception ignored) {
                        // already failing
                    }
                }
            }
            throw e;
        }
    }

    /** Null for Google's default endpoint (the library knows it, with its mTLS variant); else without a trailing slash. */
    static String normalize(String endpoint) {
        if (endpoint == null || endpoint.isBlank()) {
            return null;
        }
        String ep = endpoint.trim();
        while (ep.endsWith("/")) {
            ep = ep.substring(0, ep.length() - 1);
        }
        return ep.equals(DEFAULT_ENDPOINT) ? null : ep;
    }

    private static void configure(
            ClientSettings.Builder<?, ?> b,
            InstantiatingHttpJsonChannelProvider.Builder transport,
            String endpoint,
            CredentialsProvider credentials,
            String userAgent) {
        b.setTransportChannelProvider(transport.setExecutor(HTTP_THREADS).build());
        b.setBackgroundExecutorProvider(FixedExecutorProvider.create(TIMERS));
        if (endpoint != null) {
            b.setEndpoint(endpoint);
        }
        b.setCredentialsProvider(credentials);
        b.setHeaderProvider(FixedHeaderProvider.create("user-agent", userAgent));
    }

    private static com.google.api.core.ApiFunction<UnaryCallSettings.Builder<?, ?>, Void> noRetries(Duration timeout) {
        return m -> {
            m.setRetryableCodes(Set.of());
            m.setRetrySettings(single(timeout));
            return null;
        };
    }

    /** One attempt with this timeout. */
    static RetrySettings single(Duration timeout) {
        return RetrySettings.newBuilder()
                .setMaxAttempts(1)
                .setInitialRpcTimeoutDuration(timeout)
                .setMaxRpcTimeoutDuration(timeout)
                .setRpcTimeoutMultiplier(1.0)
                .setTotalTimeoutDuration(timeout)
                .build();
    }

    public DisksClient disks() {
        return disks;
    }

    public InstancesClient instances() {
        return instances;
    }

    public ImagesClient images() {
        return images;
    }

    public ZoneOperationsClient zoneOperations() {
        return zoneOperations;
    }

    public GlobalOperationsClient globalOperations() {
        return globalOperations;
    }

    public String endpoint() {
        return endpoint;
    }

    @Override
    public void close() {
        disks.close();
        instances.close();
        images.close();
        zoneOperations.close();
        globalOperations.close();
    }
}
