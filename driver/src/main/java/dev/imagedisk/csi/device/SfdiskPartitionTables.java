package dev.imagedisk.csi.device;

import dev.imagedisk.csi.exec.CommandResult;
import dev.imagedisk.csi.exec.CommandRunner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link PartitionTables} with util-linux: {@code sfdisk --dump} reads a table, {@code sfdisk --relocate
 * gpt-bak-std} moves a GPT backup header to the disk's end, {@code sfdisk -N} resizes one partition to exactly the
 * sectors asked (keeping its start, never touching the others), and {@code partx --add}/{@code --update} tell the kernel through BLKPG,
 * which works on a disk whose partitions are mounted (where re-reading the whole table would not).
 */
public final class SfdiskPartitionTables implements PartitionTables {
    private static final Pattern HEADER = Pattern.compile("^([a-z-]+):\\s*(.*)$");
    private static final Pattern ENTRY = Pattern.compile("^(\\S+?)(\\d+)\\s*:\\s*(.*)$");
    private static final Pattern START = Pattern.compile("\\bstart=\\s*(\\d+)");
    private static final Pattern SIZE = Pattern.compile("\\bsize=\\s*(\\d+)");
    private static final Pattern TYPE = Pattern.compile("\\btype=\\s*([^,\\s]+)");
    private static final Pattern NAME = Pattern.compile("\\bname=\"([^\"]*)\"");

    private final CommandRunner runner;
    private final BlockDevices devices;

    public SfdiskPartitionTables(CommandRunner runner, BlockDevices devices) {
        this.runner = runner;
        this.devices = devices;
    }

    @Override
    public Optional<PartitionTable> read(BlockDevice disk) {
        CommandResult r = runner.run("sfdisk", "--dump", disk.path().toString());
        if (!r.ok()) {
            if (r.stderr().contains("does not contain a recognized partition table")) {
                return Optional.empty();
            }
            throw new IllegalStateException("reading the partition table of " + disk + " failed: " + r.describe());
        }
        return Optional.of(parse(r.stdout(), devices.sizeBytes(disk)));
    }

    /** Parses {@code sfdisk --dump} output for a disk of {@code diskBytes}. */
    static PartitionTable parse(String dump, long diskBytes) {
        Map<String, String> header = new LinkedHashMap<>();
        List<PartitionTable.Partition> parts = new ArrayList<>();
        for (String line : dump.split("\n")) {
            line = line.trim();
            Matcher entry = ENTRY.matcher(line);
            if (line.startsWith("/") && entry.matches()) {
                String fields = entry.group(3);
                long start = Long.parseLong(find(START, fields, line));
                long size = Long.parseLong(find(SIZE, fields, line));
                Matcher name = NAME.matcher(fields);
                parts.add(new PartitionTable.Partition(
                        Integer.parseInt(entry.group(2)),
                        start,
                        size,
                        find(TYPE, fields, line),
                        name.find() ? name.group(1) : ""));
                continue;
            }
            Matcher h = HEADER.matcher(line);
            if (h.matches()) {
                header.put(h.group(1), h.group(2).trim());
            }
        }
        String label = header.get("label");
        if (label == null) {
            throw new IllegalStateException("sfdisk --dump printed no label: " + dump);
        }
        int sectorSize = Integer.parseInt(header.getOrDefault("sector-size", "512"));
        long diskSectors = diskBytes / sectorSize;
        long lastUsable = label.equals("gpt") && header.containsKey("last-lba")
                ? Long.parseLong(header.get("last-lba"))
                : diskSectors - 1;
        return new PartitionTable(label, sectorSize, diskSectors, lastUsable, parts);
    }

    private static String find(Pattern p, String fields, String line) {
        Matcher m = p.matcher(fields);
        if (!m.find()) {
            throw new IllegalStateException("unexpected sfdisk --dump line: " + line);
        }
        return m.group(1);
    }

    @Override
    public PartitionTable relocateBackupHeader(BlockDevice disk, PartitionTable table) {
        check(
                disk,
                runner.run(
                        "sfdisk",
                        "--no-reread",
                        "--no-tell-kernel",
                        "--relocate",
                        "gpt-bak-std",
                        disk.path().toString()),
                "moving the GPT backup header to the end");
        return table.withBackupHeaderAtEnd();
    }

    @Override
    public PartitionTable resize(BlockDevice disk, PartitionTable table, int number, long sectors) {
        PartitionTable after = table.withSectors(number, sectors);
        check(
                disk,
                runner.run(
                        List.of(
                                "sfdisk",
                                "--no-reread",
                                "--no-tell-kernel",
                                "--force",
                                "-N",
                                Integer.toString(number),
                                disk.path().toString()),
                        "," + sectors + "\n"),
                "resizing partition " + number + " to " + sectors + " sectors");
        return after;
    }

    @Override
    public Map<Integer, BlockDevice> syncKernel(BlockDevice disk, PartitionTable table) {
        Map<Integer, BlockDevice> known = kernelPartitions(disk);
        boolean changed = false;
        for (PartitionTable.Partition p : table.partitions()) {
            BlockDevice dev = known.get(p.number());
            String nr = p.number() + ":" + p.number();
            long start512 = table.bytes(p.start()) / 512;
            if (dev != null
                    && devices.partitionOf(dev).map(PartitionOf::start512).orElse(start512) != start512) {
                // a partition left from another table (a reused loop device): it cannot be in use by this disk's
                // filesystems, so it is replaced
                check(
                        disk,
                        runner.run("partx", "--delete", "--nr", nr, disk.path().toString()),
                        "removing the kernel's stale partition " + p.number());
                dev = null;
            }
            if (dev == null) {
                check(
                        disk,
                        runner.run("partx", "--add", "--nr", nr, disk.path().toString()),
                        "adding partition " + p.number() + " to the kernel");
                changed = true;
            } else if (devices.sizeBytes(dev) != table.bytes(p.sectors())) {
                check(
                        disk,
                        runner.run("partx", "--update", "--nr", nr, disk.path().toString()),
                        "telling the kernel the new size of partition " + p.number());
                changed = true;
            }
        }
        return changed ? kernelPartitions(disk) : known;
    }

    private Map<Integer, BlockDevice> kernelPartitions(BlockDevice disk) {
        Map<Integer, BlockDevice> out = new LinkedHashMap<>();
        for (BlockDevice part : devices.partitions(disk)) {
            devices.partitionOf(part).ifPresent(of -> out.put(of.number(), part));
        }
        return out;
    }

    private static void check(BlockDevice disk, CommandResult r, String doing) {
        if (!r.ok()) {
            throw new IllegalStateException(doing + " on " + disk + " failed: " + r.describe());
        }
    }
}
