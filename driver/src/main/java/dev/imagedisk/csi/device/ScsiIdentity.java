package dev.imagedisk.csi.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A SCSI disk's device name from its VPD pages in sysfs ({@code /sys/class/block/sdX/device/vpd_pg83}, then
 * {@code vpd_pg80}), read as {@code scsi_id --page=0x83} and the udev rules of Compute Engine images read them
 * ({@link ScsiVpd}).
 */
public final class ScsiIdentity implements DiskIdentity {
    private final Path sys;

    public ScsiIdentity(Path sys) {
        this.sys = sys;
    }

    @Override
    public Reading read(BlockDevice disk) {
        Path dir = sys.resolve("class/block").resolve(disk.name()).resolve("device");
        Optional<byte[]> pg83 = bytes(dir.resolve("vpd_pg83"));
        Optional<String> name = pg83.flatMap(ScsiVpd::deviceNameFromPage83);
        if (name.isPresent()) {
            return Reading.named(name.get(), "SCSI VPD page 0x83 of " + disk.name());
        }
        Optional<byte[]> pg80 = bytes(dir.resolve("vpd_pg80"));
        name = pg80.flatMap(ScsiVpd::serialFromPage80);
        if (name.isPresent()) {
            return Reading.named(name.get(), "SCSI serial, VPD page 0x80 of " + disk.name());
        }
        if (pg83.isEmpty() && pg80.isEmpty()) {
            return Reading.unreadable(disk.name() + " has no SCSI VPD pages 0x83/0x80 in " + dir);
        }
        return Reading.unreadable("the VPD pages of " + disk.name() + " name no device");
    }

    private static Optional<byte[]> bytes(Path file) {
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.readAllBytes(file)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
