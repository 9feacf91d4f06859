package dev.imagedisk.csi.server;

import dev.imagedisk.csi.common.DaemonThreads;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A gRPC client channel to a CSI socket, as the Kubernetes sidecars and the tools open one. */
public final class CsiChannels {
    private CsiChannels() {}

    /** A channel plus the event loop it runs on; closing it releases both. */
    public record Client(ManagedChannel channel, EventLoopGroup group) implements AutoCloseable {
        @Override
        public void close() {
            channel.shutdownNow();
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    public static Client connect(Path socket) {
        EventLoopGroup group =
                new MultiThreadIoEventLoopGroup(1, DaemonThreads.named("csi-client"), EpollIoHandler.newFactory());
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(group)
                .usePlaintext()
                .build();
        return new Client(channel, group);
    }
}
