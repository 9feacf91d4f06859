package dev.imagedisk.csi.device;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Picks the identity source by the device's type: a loop device (sysfs {@code loop/}) by its backing file, an
 * NVMe namespace ({@code nvme*}) by its identify data, any other disk by its SCSI VPD pages.
 */
public final class IdentityByType implements DiskIdentity {
    private final Path sys;
    private final DiskIdentity scsi;
    private final DiskIdentity nvme;
    private final DiskIdentity loop;

    public IdentityByType(Path sys, DiskIdentity scsi, DiskIdentity nvme, DiskIdentity loop) {
        this.sys = sys;
        this.scsi = scsi;
        this.nvme = nvme;
        this.loop = loop;
    }

    /**
     * The Linux sources: sysfs under {@code sys}, the NVMe identify ioctl through libc where it is bound. Libc is
     * bound at the first NVMe read, not here: the node's start does not load jnr-ffi for it (B4).
     */
    public static IdentityByType linux(Path sys) {
        return new IdentityByType(
                sys, new ScsiIdentity(sys), new NvmeIdentity(IdentityByType::linuxIdentify), new LoopIdentity(sys));
    }

    private static NvmeIdentity.IdentifyNamespace linuxIdentify() {
        dev.imagedisk.csi.sys.LinuxSystem system = dev.imagedisk.csi.sys.LinuxSystem.get();
        return system == null ? null : system::nvmeIdentifyNamespace;
    }

    @Override
    public Reading read(BlockDevice disk) {
        return sourceFor(disk).read(disk);
    }

    DiskIdentity sourceFor(BlockDevice disk) {
        if (Files.isDirectory(sys.resolve("class/block").resolve(disk.name()).resolve("loop"))) {
            return loop;
        }
        if (disk.name().startsWith("nvme")) {
            return nvme;
        }
        return scsi;
    }
}
