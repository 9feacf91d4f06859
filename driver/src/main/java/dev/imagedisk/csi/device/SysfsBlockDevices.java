package dev.imagedisk.csi.device;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@link BlockDevices} from sysfs ({@code /sys/class/block}, {@code /sys/dev/block}) and the device
 * nodes under {@code /dev}.
 */
public final class SysfsBlockDevices implements BlockDevices {
    private final Path sys;
    private final Path dev;

    public SysfsBlockDevices(Path sys, Path dev) {
        this.sys = sys;
        this.dev = dev;
    }

    public SysfsBlockDevices() {
        this(Path.of("/sys"), Path.of("/dev"));
    }

    @Override
    public Optional<BlockDevice> byNumber(int major, int minor) {
        Path link = sys.resolve("dev/block").resolve(major + ":" + minor);
        if (!Files.isDirectory(link)) {
            return Optional.empty();
        }
        try {
            String name = link.toRealPath().getFileName().toString();
            return DeviceNodes.blockDevice(dev.resolve(name)).filter(d -> d.sameDevice(major, minor));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<BlockDevice> partitions(BlockDevice disk) {
        Path dir = sys.resolve("class/block").resolve(disk.name());
        List<Path> parts = new ArrayList<>();
        try (Stream<Path> children = Files.list(dir)) {
            children.filter(p -> Files.isRegularFile(p.resolve("partition"))).forEach(parts::add);
        } catch (IOException e) {
            throw new UncheckedIOException("listing partitions of " + disk + " in " + dir, e);
        }
        parts.sort(Comparator.comparingInt(p -> Integer.parseInt(read(p.resolve("partition")))));
        List<BlockDevice> out = new ArrayList<>();
        for (Path part : parts) {
            String name = part.getFileName().toString();
            String number = read(part.resolve("dev"));
            Optional<BlockDevice> node = DeviceNodes.blockDevice(dev.resolve(name));
            if (node.isEmpty() || !node.get().number().equals(number)) {
                throw new IllegalStateException("the kernel shows partition " + name + " (" + number + ") of " + disk
                        + " but " + dev.resolve(name) + " is not that block device");
            }
            out.add(node.get());
        }
        return out;
    }

    @Override
    public Optional<PartitionOf> partitionOf(BlockDevice device) {
        Path dir = sys.resolve("dev/block").resolve(device.major() + ":" + device.minor());
        if (!Files.exists(dir.resolve("partition"))) {
            return Optional.empty();
        }
        int number = Integer.parseInt(read(dir.resolve("partition")));
        try {
            Path parent = dir.toRealPath().getParent();
            String number2 = read(parent.resolve("dev"));
            String[] mm = number2.split(":");
            return DeviceNodes.blockDevice(dev.resolve(parent.getFileName().toString()))
                    .filter(d -> d.sameDevice(Integer.parseInt(mm[0]), Integer.parseInt(mm[1])))
                    .map(d -> new PartitionOf(d, number, Long.parseLong(read(dir.resolve("start")))));
        } catch (IOException e) {
            throw new UncheckedIOException("finding the disk of partition " + device, e);
        }
    }

    @Override
    public long sizeBytes(BlockDevice device) {
        long size = sizeBytes(device.major(), device.minor());
        if (size < 0) {
            throw new IllegalStateException("device " + device + " is gone from " + sys.resolve("dev/block"));
        }
        return size;
    }

    @Override
    public long sizeBytes(int major, int minor) {
        Path size = sys.resolve("dev/block").resolve(major + ":" + minor).resolve("size");
        if (!Files.exists(size)) {
            return -1;
        }
        return Long.parseLong(read(size)) * 512L;
    }

    @Override
    public void refreshSize(BlockDevice device) {
        Path rescan = sys.resolve("class/block").resolve(device.name()).resolve("device/rescan");
        if (Files.exists(rescan)) {
            try {
                Files.writeString(rescan, "1");
            } catch (IOException e) {
                throw new UncheckedIOException("rescanning " + device + " through " + rescan, e);
            }
        }
    }

    @Override
    public String absenceReason(int major, int minor) {
        Path dir = sys.resolve("dev/block").resolve(major + ":" + minor);
        if (!Files.isDirectory(dir)) {
            return "device " + major + ":" + minor + " is gone";
        }
        Path loop = dir.resolve("loop");
        if (Files.isDirectory(loop)) {
            // A loop device detached while in use lingers until its last user closes it, marked autoclear.
            String backing = Files.exists(loop.resolve("backing_file")) ? read(loop.resolve("backing_file")) : "";
            if (backing.isEmpty()) {
                return "loop device " + major + ":" + minor + " has no backing file";
            }
            if (Files.exists(loop.resolve("autoclear"))
                    && read(loop.resolve("autoclear")).equals("1")) {
                return "loop device " + major + ":" + minor + " is detached from " + backing
                        + " (it goes away at its last close)";
            }
            if (backing.endsWith(" (deleted)")) {
                return "loop device " + major + ":" + minor + " backing file " + backing;
            }
        }
        return null;
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }
}
