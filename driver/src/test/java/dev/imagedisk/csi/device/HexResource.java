package dev.imagedisk.csi.device;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes written down in a test resource as hex: whitespace-separated bytes, {@code #} comments, and {@code @N}
 * lines that move to offset N (bytes not written are zero).
 */
final class HexResource {
    private HexResource() {}

    /** The bytes of {@code name} (under {@code /identity/}), {@code size} long, or as long as written when 0. */
    static byte[] read(String name, int size) {
        String text;
        try (InputStream in = HexResource.class.getResourceAsStream("/identity/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource /identity/" + name);
            }
            text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<int[]> bytes = new ArrayList<>(); // {offset, value}
        int at = 0;
        int end = 0;
        for (String line : text.split("\n")) {
            String l = line.contains("#") ? line.substring(0, line.indexOf('#')) : line;
            for (String token : l.trim().split("\\s+")) {
                if (token.isEmpty()) {
                    continue;
                }
                if (token.startsWith("@")) {
                    at = Integer.parseInt(token.substring(1));
                    continue;
                }
                bytes.add(new int[] {at++, Integer.parseInt(token, 16)});
                end = Math.max(end, at);
            }
        }
        byte[] out = new byte[size == 0 ? end : size];
        for (int[] b : bytes) {
            out[b[0]] = (byte) b[1];
        }
        return out;
    }
}
