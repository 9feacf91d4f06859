package dev.imagedisk.csi.doctor;

import dev.imagedisk.csi.exec.Executables;
import dev.imagedisk.csi.node.NodeToolsCheck;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** What the node plugin needs of its host and container: the tools, the by-id directory, its capabilities. */
final class NodeChecks {
    static final int CAP_SYS_ADMIN = 21;
    static final int CAP_SYS_RESOURCE = 24;
    static final List<String> OPTIONAL_TOOLS = List.of("mkfs.xfs", "xfs_growfs", "udevadm");

    private NodeChecks() {}

    static Finding tools(Executables executables) {
        String check = "node tools";
        List<String> missing = NodeToolsCheck.REQUIRED.stream()
                .filter(t -> !executables.has(t))
                .toList();
        if (!missing.isEmpty()) {
            return Finding.fail(
                    check,
                    "missing " + String.join(", ", missing),
                    "run the node plugin from the imagedisk-csi image (it has them), or install util-linux (mount, "
                            + "umount, blkid, sfdisk, partx), e2fsprogs (mkfs.ext4, e2fsck, resize2fs) and coreutils "
                            + "(stat)");
        }
        List<String> optional =
                OPTIONAL_TOOLS.stream().filter(t -> !executables.has(t)).toList();
        if (!optional.isEmpty()) {
            return Finding.warn(
                    check,
                    "all required present; missing optional " + String.join(", ", optional),
                    "install xfsprogs for xfs volumes and udev's udevadm to remake missing disk links");
        }
        return Finding.ok(
                check, String.join(", ", NodeToolsCheck.REQUIRED) + " and " + String.join(", ", OPTIONAL_TOOLS));
    }

    static Finding deviceDir(Path dir) {
        String check = "disk links";
        if (!Files.isDirectory(dir)) {
            return Finding.fail(
                    check,
                    dir + " does not exist in this container",
                    "mount the host's /dev into the node container (hostPath /dev at /dev, as manifests/node.yaml "
                            + "does); udev on the host makes the google-NAME links");
        }
        long links;
        try (Stream<Path> s = Files.list(dir)) {
            links = s.filter(p -> p.getFileName().toString().startsWith("google-"))
                    .count();
        } catch (IOException e) {
            return Finding.fail(check, "cannot list " + dir + ": " + e.getMessage(), "run the node container as root");
        }
        return Finding.ok(check, dir + " present, " + links + " google-* link(s)");
    }

    static Finding capabilities(Path procStatus) {
        String check = "capabilities";
        BigInteger effective;
        try {
            effective = capEff(Files.readString(procStatus));
        } catch (IOException | RuntimeException e) {
            return Finding.fail(
                    check,
                    "cannot read CapEff from " + procStatus + ": " + e.getMessage(),
                    "run the doctor on Linux, in the node container");
        }
        boolean admin = effective.testBit(CAP_SYS_ADMIN);
        boolean resource = effective.testBit(CAP_SYS_RESOURCE);
        String seen = "CapEff " + effective.toString(16) + ": CAP_SYS_ADMIN " + (admin ? "yes" : "NO")
                + ", CAP_SYS_RESOURCE " + (resource ? "yes" : "NO");
        if (admin && resource) {
            return Finding.ok(check, seen);
        }
        StringBuilder why = new StringBuilder();
        if (!admin) {
            why.append("CAP_SYS_ADMIN (mount, BLKPG partition changes, the NVMe identify ioctl)");
        }
        if (!resource) {
            why.append(why.length() > 0 ? " and " : "").append("CAP_SYS_RESOURCE (online ext4 growth by resize2fs)");
        }
        return Finding.fail(
                check,
                seen,
                "run the node container privileged (securityContext.privileged: true, as manifests/node.yaml "
                        + "does); it needs " + why);
    }

    /** The CapEff mask of a /proc/PID/status text. */
    static BigInteger capEff(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("CapEff:")) {
                return new BigInteger(line.substring("CapEff:".length()).trim(), 16);
            }
        }
        throw new IllegalArgumentException("no CapEff line");
    }
}
