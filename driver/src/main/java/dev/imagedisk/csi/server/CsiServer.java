package dev.imagedisk.csi.server;

import dev.imagedisk.csi.common.DaemonThreads;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves gRPC services on a Unix domain socket with Netty's epoll transport, and owns the socket file:
 * it clears a stale one, refuses to start over a live one, sets mode 0660, and removes it on shutdown.
 */
public final class CsiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CsiServer.class);
    /** S_IFMT and S_IFSOCK from stat(2). */
    private static final int S_IFMT = 0170000;

    private static final int S_IFSOCK = 0140000;

    private final Endpoint endpoint;
    private final Server server;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final ExecutorService executor;

    private CsiServer(
            Endpoint endpoint, Server server, EventLoopGroup boss, EventLoopGroup workers, ExecutorService executor) {
        this.endpoint = endpoint;
        this.server = server;
        this.boss = boss;
        this.workers = workers;
        this.executor = executor;
    }

    /** Thrown when the socket is held by a live server or by something that is not a socket. */
    public static final class SocketInUseException extends IOException {
        private static final long serialVersionUID = 1L;

        SocketInUseException(String message) {
            super(message);
        }
    }

    public static CsiServer start(Endpoint endpoint, List<BindableService> services, CallInterceptor interceptor)
            throws IOException {
        return start(endpoint, services, interceptor, 0);
    }

    /**
     * @param maxCallThreads 0: one accept thread, two I/O threads and a cached pool for calls (as many threads as
     *     calls in flight); N > 0: one event loop thread for accept and I/O, and at most N call threads (more
     *     calls queue), each ending after 30 s idle: the node plugin's small footprint
     */
    public static CsiServer start(
            Endpoint endpoint, List<BindableService> services, CallInterceptor interceptor, int maxCallThreads)
            throws IOException {
        if (!Epoll.isAvailable()) {
            throw new IOException("Netty epoll transport is not available: " + Epoll.unavailabilityCause());
        }
        Path socket = endpoint.socketPath();
        Files.createDirectories(socket.getParent());
        clearStaleSocket(socket);

        boolean small = maxCallThreads > 0;
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(
                1, DaemonThreads.named(small ? "csi-io" : "csi-accept"), EpollIoHandler.newFactory());
        EventLoopGroup workers = small
                ? boss
                : new MultiThreadIoEventLoopGroup(2, DaemonThreads.named("csi-io"), EpollIoHandler.newFactory());
        ExecutorService executor;
        if (small) {
            ThreadPoolExecutor pool = new ThreadPoolExecutor(
                    maxCallThreads,
                    maxCallThreads,
                    30,
                    TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(),
                    DaemonThreads.named("csi-call"));
            pool.allowCoreThreadTimeOut(true);
            executor = pool;
        } else {
            executor = Executors.newCachedThreadPool(DaemonThreads.named("csi-call"));
        }
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .executor(executor);
        for (BindableService service : services) {
            builder.addService(ServerInterceptors.intercept(service, interceptor));
        }
        Server server;
        try {
            server = builder.build().start();
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        } catch (IOException | RuntimeException e) {
            boss.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            if (workers != boss) {
                workers.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            }
            executor.shutdownNow();
            throw e;
        }
        LOG.info("serving CSI on {}", endpoint);
        return new CsiServer(endpoint, server, boss, workers, executor);
    }

    /**
     * Removes a socket file no server answers on. A live socket, or a path that is not a socket at all,
     * is left alone and refused.
     */
    static void clearStaleSocket(Path socket) throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new SocketInUseException(socket + " exists and is not a socket; refusing to replace it");
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            throw new SocketInUseException("another server is already listening on " + socket
                    + "; stop it first or choose another --endpoint");
        } catch (SocketInUseException e) {
            throw e;
        } catch (IOException refused) {
            LOG.info("removing stale socket {}", socket);
            Files.deleteIfExists(socket);
        }
    }

    public Endpoint endpoint() {
        return endpoint;
    }

    /**
     * Stops accepting calls, lets calls in flight finish for up to {@code grace}, then cancels the rest,
     * and removes the socket file.
     */
    public void shutdown(Duration grace) {
        server.shutdown();
        try {
            if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("calls still running after the {} grace period; cancelling them", grace);
                server.shutdownNow();
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        } finally {
            executor.shutdownNow();
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            if (workers != boss) {
                workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            }
            try {
                Files.deleteIfExists(endpoint.socketPath());
            } catch (IOException e) {
                LOG.warn("could not remove socket {}: {}", endpoint.socketPath(), e.toString());
            }
        }
        LOG.info("stopped serving on {}", endpoint);
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
