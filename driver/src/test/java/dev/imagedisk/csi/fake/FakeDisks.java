package dev.imagedisk.csi.fake;

import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.BlockDeviceInspector;
import dev.imagedisk.csi.device.BlockDevices;
import dev.imagedisk.csi.device.DeviceContent;
import dev.imagedisk.csi.device.DeviceFinder;
import dev.imagedisk.csi.device.FilesystemChecker;
import dev.imagedisk.csi.device.Formatter;
import dev.imagedisk.csi.device.PartitionOf;
import dev.imagedisk.csi.device.PartitionTable;
import dev.imagedisk.csi.device.PartitionTables;
import dev.imagedisk.csi.mount.FilesystemResizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * An in-memory device layer for node logic tests, behaving like the Linux adapters (sysfs, blkid, sfdisk/partx,
 * mkfs, e2fsck, resize2fs/xfs_growfs), errors included: a partition table lives "on the disk" and the kernel
 * knows only the partitions it was told of (as on a kernel without partition parsing); resize2fs refuses an
 * offline grow of a filesystem mounted read-write since its last full check, and an online ext grow without
 * CAP_SYS_RESOURCE; a
 * device that is not there cannot be probed. Every mutation is counted so tests can assert what was (not) done.
 */
public final class FakeDisks
        implements BlockDevices,
                DeviceFinder,
                BlockDeviceInspector,
                PartitionTables,
                Formatter,
                FilesystemChecker,
                FilesystemResizer {
    public static final int SECTOR = 512;
    private static final Set<String> EXT = Set.of("ext2", "ext3", "ext4");

    /** A filesystem's state. */
    public static final class Fs {
        public final String type;
        public long bytes;
        public boolean damaged;
        /**
         * Mounted read-write since its last full check: resize2fs then asks for {@code e2fsck -f} first (the real one
         * only once a second has passed between check and mount; the fake always, the stricter case).
         */
        public boolean mountedSinceCheck;

        public final Map<String, String> files = new LinkedHashMap<>();

        public Fs(String type, long bytes) {
            this.type = type;
            this.bytes = bytes;
        }
    }

    /** A partition entry on a disk, with what it holds (null: nothing). */
    public static final class Part {
        public final int number;
        public final long start;
        public long sectors;
        public final String type;
        public Fs fs;

        Part(int number, long start, long sectors, String type, Fs fs) {
            this.number = number;
            this.start = start;
            this.sectors = sectors;
            this.type = type;
            this.fs = fs;
        }
    }

    /** A disk: its size and content (a whole-disk filesystem, a table, an unknown signature, or nothing). */
    public static final class Disk {
        public final String name;
        public final BlockDevice device;
        public long bytes;
        public Fs fs;
        public String label;
        public long lastUsable;
        public String otherSignature;
        public final TreeMap<Integer, Part> parts = new TreeMap<>();
        /** The kernel's partitions: number -> {start, sectors, minor}. */
        final TreeMap<Integer, long[]> kernel = new TreeMap<>();

        boolean attached = true;

        Disk(String name, BlockDevice device, long bytes) {
            this.name = name;
            this.device = device;
            this.bytes = bytes;
        }

        public Disk part(int number, long startSector, long sectors, String type, Fs fs) {
            parts.put(number, new Part(number, startSector, sectors, type, fs));
            return this;
        }

        /** The disk grows (ControllerExpandVolume): the table stays as it was. */
        public void grow(long newBytes) {
            bytes = newBytes;
        }

        public long sectors() {
            return bytes / SECTOR;
        }
    }

    private final Map<String, Disk> disks = new LinkedHashMap<>();
    private final Map<String, Integer> counts = new TreeMap<>();
    private int nextMajor = 8;
    public boolean capSysResource = false;
    public boolean xfsTools = true;
    /** Partition numbers the kernel is told of automatically at attach (a kernel that parses tables). */
    public boolean kernelParsesTables = false;

    private FakeMounter mounter;

    public void mounter(FakeMounter m) {
        this.mounter = m;
    }

    private void count(String what) {
        counts.merge(what, 1, Integer::sum);
    }

    /**
     * How often {@code what} (probe, readTable, format, growPartition, relocate, partxAdd, partxUpdate, fsck,
     * fsckFull, ...) ran.
     */
    public int ran(String what) {
        return counts.getOrDefault(what, 0);
    }

    public Disk disk(String name, long bytes) {
        BlockDevice dev = new BlockDevice(Path.of("/dev/fake-" + name), "fake-" + name, nextMajor++, 0);
        Disk d = new Disk(name, dev, bytes);
        disks.put(name, d);
        return d;
    }

    public Disk gpt(String name, long bytes) {
        Disk d = disk(name, bytes);
        d.label = "gpt";
        d.lastUsable = d.sectors() - PartitionTable.GPT_BACKUP_SECTORS - 1;
        return d;
    }

    public Disk mbr(String name, long bytes) {
        Disk d = disk(name, bytes);
        d.label = "dos";
        d.lastUsable = d.sectors() - 1;
        return d;
    }

    public Disk get(String name) {
        return disks.get(name);
    }

    public void detach(String name) {
        disks.get(name).attached = false;
    }

    /** Whole disk or a kernel partition device by device number. */
    private record Found(Disk disk, Integer number) {}

    private Optional<Found> lookup(int major, int minor) {
        for (Disk d : disks.values()) {
            if (d.device.major() != major) {
                continue;
            }
            if (minor == 0) {
                return Optional.of(new Found(d, null));
            }
            long[] k = d.kernel.get(minor);
            if (k != null) {
                return Optional.of(new Found(d, minor));
            }
        }
        return Optional.empty();
    }

    private Found require(BlockDevice dev) {
        return lookup(dev.major(), dev.minor())
                .orElseThrow(() -> new IllegalStateException("device " + dev + " is gone"));
    }

    private static BlockDevice partDevice(Disk d, int number) {
        return new BlockDevice(
                Path.of(d.device.path() + "p" + number), d.device.name() + "p" + number, d.device.major(), number);
    }

    // BlockDevices

    @Override
    public Optional<BlockDevice> byNumber(int major, int minor) {
        return lookup(major, minor).map(f -> f.number() == null ? f.disk().device : partDevice(f.disk(), f.number()));
    }

    @Override
    public List<BlockDevice> partitions(BlockDevice disk) {
        Disk d = require(disk).disk();
        List<BlockDevice> out = new ArrayList<>();
        d.kernel.keySet().forEach(n -> out.add(partDevice(d, n)));
        return out;
    }

    @Override
    public Optional<PartitionOf> partitionOf(BlockDevice device) {
        Found f = require(device);
        if (f.number() == null) {
            return Optional.empty();
        }
        return Optional.of(
                new PartitionOf(f.disk().device, f.number(), f.disk().kernel.get(f.number())[0]));
    }

    @Override
    public long sizeBytes(BlockDevice device) {
        Found f = require(device);
        return f.number() == null ? f.disk().bytes : f.disk().kernel.get(f.number())[1] * SECTOR;
    }

    @Override
    public long sizeBytes(int major, int minor) {
        return lookup(major, minor)
                .map(f -> f.number() == null ? f.disk().bytes : f.disk().kernel.get(f.number())[1] * SECTOR)
                .orElse(-1L);
    }

    @Override
    public void refreshSize(BlockDevice device) {
        require(device);
    }

    @Override
    public String absenceReason(int major, int minor) {
        return lookup(major, minor).isPresent() ? null : "device " + major + ":" + minor + " is gone";
    }

    // DeviceFinder

    private final Map<String, String> misLinked = new java.util.HashMap<>();

    /**
     * {@code deviceName}'s link points at disk {@code other}'s device (a stale link): the finder refuses it as
     * ByIdDeviceFinder does, naming both, before anything is done on either device.
     */
    public void misLink(String deviceName, String other) {
        misLinked.put(deviceName, other);
    }

    @Override
    public Optional<BlockDevice> find(String deviceName) {
        String other = misLinked.get(deviceName);
        if (other != null && disks.get(other) != null && disks.get(other).attached) {
            throw new dev.imagedisk.csi.device.WrongDeviceException("/dev/disk/by-id/google-" + deviceName
                    + " points at " + disks.get(other).device + ", which reports device name " + other
                    + ", not disk " + deviceName + "; refusing to use it: nothing on it was touched");
        }
        Disk d = disks.get(deviceName);
        if (d != null && d.attached && kernelParsesTables) {
            d.parts.values().forEach(p -> d.kernel.putIfAbsent(p.number, new long[] {p.start, p.sectors}));
        }
        return d == null || !d.attached ? Optional.empty() : Optional.of(d.device);
    }

    @Override
    public List<String> candidates(String deviceName) {
        return List.of("/dev/disk/by-id/google-" + deviceName);
    }

    @Override
    public Optional<BlockDevice> await(String deviceName, java.time.Duration wait) {
        return find(deviceName);
    }

    // BlockDeviceInspector

    @Override
    public DeviceContent inspect(BlockDevice device) {
        count("probe");
        Found f = require(device);
        Disk d = f.disk();
        if (f.number() == null) {
            if (d.otherSignature != null) {
                return new DeviceContent.Other(d.otherSignature);
            }
            if (d.fs != null) {
                return new DeviceContent.Filesystem(d.fs.type);
            }
            if (d.label != null) {
                return new DeviceContent.PartitionTable(d.label);
            }
            return new DeviceContent.Blank();
        }
        Fs fs = fsAt(d, f.number());
        return fs == null ? new DeviceContent.Blank() : new DeviceContent.Filesystem(fs.type);
    }

    /** The filesystem the kernel partition {@code number} shows: the one whose partition starts where it does. */
    private static Fs fsAt(Disk d, int number) {
        long start = d.kernel.get(number)[0];
        Part p = d.parts.get(number);
        return p != null && p.start == start ? p.fs : null;
    }

    // PartitionTables

    @Override
    public Optional<PartitionTable> read(BlockDevice disk) {
        count("readTable");
        Disk d = require(disk).disk();
        if (d.label == null) {
            return Optional.empty();
        }
        List<PartitionTable.Partition> parts = new ArrayList<>();
        for (Part p : d.parts.values()) {
            parts.add(new PartitionTable.Partition(p.number, p.start, p.sectors, p.type, ""));
        }
        long lastUsable = d.label.equals("gpt") ? d.lastUsable : d.sectors() - 1;
        return Optional.of(new PartitionTable(d.label, SECTOR, d.sectors(), lastUsable, parts));
    }

    @Override
    public PartitionTable relocateBackupHeader(BlockDevice disk, PartitionTable table) {
        Disk d = require(disk).disk();
        if (!"gpt".equals(d.label)) {
            throw new IllegalStateException("sfdisk: " + disk + " carries no GPT");
        }
        count("relocate");
        d.lastUsable = d.sectors() - PartitionTable.GPT_BACKUP_SECTORS - 1;
        return table.withBackupHeaderAtEnd();
    }

    @Override
    public PartitionTable resize(BlockDevice disk, PartitionTable table, int number, long sectors) {
        Disk d = require(disk).disk();
        Part p = d.parts.get(number);
        if (d.label == null || p == null) {
            throw new IllegalStateException(disk + " has no partition " + number);
        }
        long end = p.start + sectors - 1;
        long lastUsable = d.label.equals("gpt") ? d.lastUsable : d.sectors() - 1;
        if (end > lastUsable) {
            throw new IllegalStateException("partition " + number + " would end past the last usable sector");
        }
        for (Part other : d.parts.values()) {
            if (other != p && other.start > p.start && other.start <= end) {
                throw new IllegalStateException("partition " + number + " cannot grow over partition " + other.number);
            }
        }
        count("growPartition");
        p.sectors = sectors;
        return table.withSectors(number, sectors);
    }

    @Override
    public Map<Integer, BlockDevice> syncKernel(BlockDevice disk, PartitionTable table) {
        Disk d = require(disk).disk();
        for (PartitionTable.Partition p : table.partitions()) {
            long[] k = d.kernel.get(p.number());
            if (k != null && k[0] != p.start()) {
                if (mounter != null && mounter.uses(d.device.major(), p.number())) {
                    throw new IllegalStateException("partx: error deleting partition " + p.number() + ": busy");
                }
                count("partxDelete");
                d.kernel.remove(p.number());
                k = null;
            }
            if (k == null) {
                count("partxAdd");
                d.kernel.put(p.number(), new long[] {p.start(), p.sectors()});
            } else if (k[1] != p.sectors()) {
                count("partxUpdate");
                k[1] = p.sectors();
            }
        }
        Map<Integer, BlockDevice> out = new LinkedHashMap<>();
        d.kernel.keySet().forEach(n -> out.put(n, partDevice(d, n)));
        return out;
    }

    // Formatter

    @Override
    public boolean supports(String fsType) {
        return switch (fsType) {
            case "ext2", "ext3", "ext4" -> true;
            case "xfs" -> xfsTools;
            default -> false;
        };
    }

    @Override
    public String tool(String fsType) {
        return "mkfs." + fsType;
    }

    @Override
    public void format(BlockDevice device, String fsType) {
        count("format");
        Found f = require(device);
        Fs fs = new Fs(fsType, sizeBytes(device));
        if (f.number() == null) {
            f.disk().fs = fs;
            f.disk().label = null;
            f.disk().parts.clear();
        } else {
            f.disk().parts.get(f.number()).fs = fs;
        }
    }

    /** The filesystem on a device (whole disk or kernel partition), or null. */
    public Fs fs(BlockDevice device) {
        Found f = require(device);
        return f.number() == null ? f.disk().fs : fsAt(f.disk(), f.number());
    }

    // FilesystemChecker

    @Override
    public boolean handles(String fsType) {
        return EXT.contains(fsType);
    }

    @Override
    public String manualCommand(BlockDevice device, String fsType) {
        return "e2fsck -f " + device.path();
    }

    @Override
    public Result check(BlockDevice device, String fsType, boolean full) {
        count(full ? "fsckFull" : "fsck");
        Fs fs = fs(device);
        if (fs == null) {
            return new Result(
                    Outcome.FAILED, "e2fsck: Bad magic number in super-block while trying to open " + device.path());
        }
        if (fs.damaged) {
            return new Result(Outcome.DAMAGED, "e2fsck -p " + device.path() + " exited 4: UNEXPECTED INCONSISTENCY");
        }
        if (full) {
            fs.mountedSinceCheck = false;
        }
        return new Result(Outcome.OK, "clean");
    }

    // FilesystemResizer

    @Override
    public boolean growsOffline(String fsType) {
        return EXT.contains(fsType);
    }

    @Override
    public long filesystemBytes(String fsType, Path device) {
        return fs(byPath(device)).bytes;
    }

    @Override
    public void growOffline(String fsType, Path device) {
        BlockDevice dev = byPath(device);
        Fs fs = fs(dev);
        if (mounter != null && mounter.uses(dev.major(), dev.minor())) {
            throw new IllegalStateException("resize2fs: " + device + " is mounted; on-line resizing required");
        }
        if (fs.mountedSinceCheck) {
            throw new IllegalStateException("resize2fs: Please run 'e2fsck -f " + device + "' first.");
        }
        count("growFs");
        fs.bytes = sizeBytes(dev);
    }

    @Override
    public void grow(String fsType, Path device, Path mountPoint) {
        BlockDevice dev = byPath(device);
        if (mounter == null || !mounter.uses(dev.major(), dev.minor())) {
            throw new IllegalStateException("growing " + device + ": not mounted at " + mountPoint);
        }
        if (EXT.contains(fsType) && !capSysResource) {
            throw new IllegalStateException("growing the " + fsType + " filesystem on " + device + " failed: "
                    + "resize2fs: Permission denied to resize filesystem (growing a mounted ext filesystem needs "
                    + "CAP_SYS_RESOURCE)");
        }
        count("growFsOnline");
        fs(dev).bytes = sizeBytes(dev);
    }

    /** The device at a fake path. */
    public BlockDevice byPath(Path path) {
        for (Disk d : disks.values()) {
            if (d.device.path().equals(path)) {
                return d.device;
            }
            for (int n : d.kernel.keySet()) {
                if (partDevice(d, n).path().equals(path)) {
                    return partDevice(d, n);
                }
            }
        }
        throw new IllegalStateException(path + ": No such file or directory");
    }
}
