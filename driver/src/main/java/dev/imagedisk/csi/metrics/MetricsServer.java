package dev.imagedisk.csi.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.net.InetSocketAddress;

/** Serves the driver's metrics in Prometheus text format at {@code http://HOST:PORT/metrics}. */
public final class MetricsServer implements AutoCloseable {
    private final HTTPServer server;

    private MetricsServer(HTTPServer server) {
        this.server = server;
    }

    /** Starts on {@code host:port} ({@code :port} or a bare port listens on all addresses; port 0 picks one). */
    public static MetricsServer start(String address, DriverMetrics metrics) throws IOException {
        InetSocketAddress bind = parse(address);
        // read once by the JDK HTTP server: replies would otherwise wait for a delayed ACK
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        HTTPServer server = HTTPServer.builder()
                .inetAddress(bind.getAddress())
                .port(bind.getPort())
                .registry(metrics.registry())
                .buildAndStart();
        return new MetricsServer(server);
    }

    static InetSocketAddress parse(String address) {
        int colon = address.lastIndexOf(':');
        String host = colon < 0 ? "" : address.substring(0, colon);
        String portText = colon < 0 ? address : address.substring(colon + 1);
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--metrics-address '" + address + "' needs a port: HOST:PORT or :PORT");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--metrics-address '" + address + "': port out of range");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
    }
}
