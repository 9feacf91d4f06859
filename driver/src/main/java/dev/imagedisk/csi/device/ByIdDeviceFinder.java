package dev.imagedisk.csi.device;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Looks for the links udev makes for a Compute Engine disk under the device directory (normally
 * {@code /dev/disk/by-id}): {@code google-NAME}, then {@code scsi-0Google_PersistentDisk_NAME}; the link
 * must resolve to a block device.
 */
public final class ByIdDeviceFinder implements DeviceFinder {
    private final Path deviceDir;

    public ByIdDeviceFinder(Path deviceDir) {
        this.deviceDir = deviceDir;
    }

    @Override
    public Optional<BlockDevice> find(String deviceName) {
        for (String candidate : candidates(deviceName)) {
            Optional<BlockDevice> device = DeviceNodes.blockDevice(Path.of(candidate));
            if (device.isPresent()) {
                return device;
            }
        }
        return Optional.empty();
    }

    @Override
    public List<String> candidates(String deviceName) {
        return List.of(
                deviceDir.resolve("google-" + deviceName).toString(),
                deviceDir.resolve("scsi-0Google_PersistentDisk_" + deviceName).toString());
    }
}
