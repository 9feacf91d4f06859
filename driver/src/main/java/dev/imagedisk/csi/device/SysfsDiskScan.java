package dev.imagedisk.csi.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The whole disks in {@code /sys/block} that can be Compute Engine disks: SCSI ({@code sd*}), NVMe namespaces
 * ({@code nvme*n*}), and loop devices whose backing file lies under one of the given directories (the emulator's
 * attachment directory; none in production, where a loop device is never an attached disk).
 */
public final class SysfsDiskScan implements DiskScan {
    private static final Pattern DISK = Pattern.compile("sd[a-z]+|nvme\\d+n\\d+");
    private static final Pattern LOOP = Pattern.compile("loop\\d+");

    private final Path sys;
    private final Path dev;
    private final List<Path> loopDirs;
    private final LoopIdentity loops;

    public SysfsDiskScan(Path sys, Path dev, List<Path> loopDirs) {
        this.sys = sys;
        this.dev = dev;
        this.loopDirs =
                loopDirs.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        this.loops = new LoopIdentity(sys);
    }

    @Override
    public List<BlockDevice> disks() {
        List<BlockDevice> out = new ArrayList<>();
        try (Stream<Path> entries = Files.list(sys.resolve("block"))) {
            for (Path entry : entries.sorted().toList()) {
                String name = entry.getFileName().toString();
                boolean loop = LOOP.matcher(name).matches();
                if (!DISK.matcher(name).matches() && !(loop && !loopDirs.isEmpty())) {
                    continue;
                }
                Optional<BlockDevice> device = DeviceNodes.blockDevice(dev.resolve(name));
                if (device.isEmpty()) {
                    continue;
                }
                if (loop && !underLoopDirs(device.get())) {
                    continue;
                }
                out.add(device.get());
            }
        } catch (IOException e) {
            return out; // no sysfs here: nothing to scan
        }
        return out;
    }

    @Override
    public boolean stillOneOfUs(BlockDevice disk) {
        if (LOOP.matcher(disk.name()).matches()) {
            return !loopDirs.isEmpty() && underLoopDirs(disk);
        }
        return DISK.matcher(disk.name()).matches();
    }

    /**
     * True when the loop's backing file is an absolute, already normal path (no {@code .} or {@code ..}) lying
     * strictly inside one of the directories, compared by path components ({@code /a/attached} does not hold
     * {@code /a/attached-2/x}).
     */
    private boolean underLoopDirs(BlockDevice device) {
        Path file = loops.backingFile(device);
        return file != null && isInside(file, loopDirs);
    }

    static boolean isInside(Path file, List<Path> dirs) {
        if (!file.isAbsolute() || !file.normalize().equals(file)) {
            return false;
        }
        return dirs.stream().anyMatch(d -> file.getNameCount() > d.getNameCount() && file.startsWith(d));
    }
}
