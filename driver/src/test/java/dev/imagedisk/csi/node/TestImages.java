package dev.imagedisk.csi.node;

import static dev.imagedisk.csi.node.DeviceLab.sh;
import static dev.imagedisk.csi.node.DeviceLab.shIn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Disk images made the way users make them, written straight into image files (no loop device needed): sfdisk
 * writes the table, mkfs writes each filesystem at its partition's offset.
 */
final class TestImages {
    static final long MIB = 1L << 20;
    static final String LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
    static final String EFI = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
    static final String BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649";
    /** The EFI system partition's size in sectors (100 MiB). */
    static final long EFI_SECTORS = 100 * MIB / 512;

    private TestImages() {}

    /**
     * A Compute Engine boot disk's layout: p14 BIOS boot (1 MiB), p15 EFI system (vfat), p1 ext4 after them to the
     * image's end, holding {@code tree} (the runtime).
     */
    static void bootDisk(Path image, long bytes, Path tree) throws IOException {
        sh("truncate", "-s", Long.toString(bytes), image.toString());
        String n = image.toString();
        shIn(
                "label: gpt\n"
                        + n + "14 : start=2048, size=2048, type=" + BIOS_BOOT + ", name=\"BIOS boot\"\n"
                        + n + "15 : start=4096, size=" + EFI_SECTORS + ", type=" + EFI + ", name=\"EFI System\"\n"
                        + n + "1 : start=" + (4096 + EFI_SECTORS) + ", type=" + LINUX + ", name=\"root\"\n",
                "sfdisk",
                "-q",
                image.toString());
        sh("mkfs.vfat", "-F", "16", "-n", "EFI", "--offset", "4096", image.toString(), Long.toString(EFI_SECTORS / 2));
        ext4At(image, 1, tree);
    }

    /** An MBR disk with one Linux partition (type 83) from 1 MiB to the image's end, ext4 holding {@code tree}. */
    static void mbr(Path image, long bytes, Path tree) throws IOException {
        sh("truncate", "-s", Long.toString(bytes), image.toString());
        shIn("label: dos\nstart=2048, type=83\n", "sfdisk", "-q", image.toString());
        ext4At(image, 1, tree);
    }

    /** A GPT disk whose ext4 partition (p1, {@code ext4Bytes}) is followed by a data partition p2 with no filesystem. */
    static void gptNotLast(Path image, long bytes, long ext4Bytes, Path tree) throws IOException {
        sh("truncate", "-s", Long.toString(bytes), image.toString());
        shIn(
                "label: gpt\nstart=2048, size=" + ext4Bytes / 512 + ", type=" + LINUX + "\n,\n",
                "sfdisk",
                "-q",
                image.toString());
        ext4At(image, 1, tree);
    }

    /** Makes an ext4 filesystem holding {@code tree} in partition {@code number} of the image file. */
    static void ext4At(Path image, int number, Path tree) throws IOException {
        long[] part = partition(image, number);
        sh(
                "mkfs.ext4",
                "-F",
                "-q",
                "-m",
                "0",
                "-E",
                "offset=" + part[0] * 512,
                "-d",
                tree.toString(),
                image.toString(),
                (part[1] / 2) + "k");
    }

    /** {start, sectors} of partition {@code number} in the image's table. */
    static long[] partition(Path image, int number) throws IOException {
        String dump = sh("sfdisk", "--dump", image.toString());
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(image.toString()) + number
                        + "\\s*:\\s*start=\\s*(\\d+),\\s*size=\\s*(\\d+)")
                .matcher(dump);
        if (!m.find()) {
            throw new IOException("no partition " + number + " in " + dump);
        }
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }
}
