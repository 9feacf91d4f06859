package dev.imagedisk.csi.device;

import dev.imagedisk.csi.exec.CommandResult;
import dev.imagedisk.csi.exec.CommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Probes superblocks and partition tables with {@code blkid -p -o export} (low-level probing, no cache).
 * blkid answers 2 both for "nothing found" and for some failures, so a device it finds nothing on is
 * called blank only when its first and last MiB also read as zeros here.
 */
public final class BlkidInspector implements BlockDeviceInspector {
    static final int PROBE_BYTES = 1 << 20;
    /** blkid: no signature found (or the device could not be identified). */
    private static final int BLKID_NOTHING = 2;

    private final CommandRunner runner;
    private final BlockDevices devices;

    public BlkidInspector(CommandRunner runner, BlockDevices devices) {
        this.runner = runner;
        this.devices = devices;
    }

    @Override
    public DeviceContent inspect(BlockDevice device) {
        CommandResult r =
                runner.run("blkid", "-p", "-o", "export", device.path().toString());
        if (r.exitCode() == BLKID_NOTHING) {
            String nonZero = firstNonZero(device);
            return nonZero == null
                    ? new DeviceContent.Blank()
                    : new DeviceContent.Other("no signature blkid knows, but data (" + nonZero + ")");
        }
        if (!r.ok()) {
            throw new IllegalStateException("could not probe " + device + ": " + r.describe());
        }
        Map<String, String> tags = parseExport(r.stdout());
        String type = tags.get("TYPE");
        String usage = tags.getOrDefault("USAGE", "");
        String ptType = tags.get("PTTYPE");
        if (type == null
                && ptType == null
                && tags.keySet().stream().allMatch(k -> k.startsWith("PART_ENTRY_") || k.equals("DEVNAME"))) {
            // a partition's own entry in its disk's table, and nothing inside it
            String nonZero = firstNonZero(device);
            return nonZero == null
                    ? new DeviceContent.Blank()
                    : new DeviceContent.Other("no signature blkid knows, but data (" + nonZero + ")");
        }
        if (type != null && ptType != null) {
            return new DeviceContent.Other("both a " + type + " signature and a " + ptType + " partition table");
        }
        if (ptType != null) {
            return new DeviceContent.PartitionTable(ptType);
        }
        if (type != null && usage.equals("filesystem")) {
            return new DeviceContent.Filesystem(type);
        }
        if (type != null) {
            return new DeviceContent.Other(type + (usage.isEmpty() ? "" : " (" + usage + ")") + " signature");
        }
        return new DeviceContent.Other("blkid tags " + tags.keySet() + " without a type");
    }

    static Map<String, String> parseExport(String out) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                tags.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
            }
        }
        return tags;
    }

    /** Null when the first and last MiB are zeros, else where data was seen; throws when unreadable. */
    private String firstNonZero(BlockDevice device) {
        try (FileChannel ch = FileChannel.open(device.path(), StandardOpenOption.READ)) {
            long size = devices.sizeBytes(device);
            long headEnd = Math.min(size, PROBE_BYTES);
            String head = scan(ch, 0, headEnd);
            if (head != null) {
                return head;
            }
            return scan(ch, Math.max(headEnd, size - PROBE_BYTES), size);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + device + " to confirm it is blank", e);
        }
    }

    private static String scan(FileChannel ch, long from, long to) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        long pos = from;
        while (pos < to) {
            buf.clear();
            buf.limit((int) Math.min(buf.capacity(), to - pos));
            int n = ch.read(buf, pos);
            if (n <= 0) {
                throw new IOException("short read at byte " + pos);
            }
            for (int i = 0; i < n; i++) {
                if (buf.get(i) != 0) {
                    return "non-zero byte at offset " + (pos + i);
                }
            }
            pos += n;
        }
        return null;
    }
}
