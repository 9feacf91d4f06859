package dev.imagedisk.csi.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

/**
 * Serves the driver's metrics in Prometheus text format at {@code http://HOST:PORT/metrics} (and at {@code /}),
 * on the JDK's HTTP server, answered on its dispatcher thread (a scrape is a few kilobytes of text).
 */
public final class MetricsServer implements AutoCloseable {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;

    private MetricsServer(HttpServer server) {
        this.server = server;
    }

    /** Starts on {@code host:port} ({@code :port} or a bare port listens on all addresses; port 0 picks one). */
    public static MetricsServer start(String address, DriverMetrics metrics) throws IOException {
        InetSocketAddress bind = parse(address);
        // read once by the JDK HTTP server: replies would otherwise wait for a delayed ACK
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        HttpServer server = HttpServer.create(bind, 3);
        server.createContext("/", exchange -> serve(exchange, metrics));
        server.setExecutor(null);
        server.start();
        return new MetricsServer(server);
    }

    private static void serve(HttpExchange exchange, DriverMetrics metrics) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if (!path.equals("/") && !path.equals("/metrics")) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            String accept = exchange.getRequestHeaders().getFirst("Accept-Encoding");
            boolean gzip = accept != null && accept.contains("gzip");
            if (method.equals("HEAD")) {
                exchange.sendResponseHeaders(200, -1);
            } else if (gzip) {
                exchange.getResponseHeaders().set("Content-Encoding", "gzip");
                exchange.sendResponseHeaders(200, 0);
                try (OutputStream out = new GZIPOutputStream(exchange.getResponseBody())) {
                    out.write(body);
                }
            } else {
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
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
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
