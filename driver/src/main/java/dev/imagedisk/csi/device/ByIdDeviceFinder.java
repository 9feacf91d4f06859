package dev.imagedisk.csi.device;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds an attached Compute Engine disk and confirms it is that disk before anyone uses it.
 *
 * <ul>
 *   <li>The links udev makes under the device directory (normally {@code /dev/disk/by-id}): {@code google-NAME},
 *       then {@code scsi-0Google_PersistentDisk_NAME}. The device a link resolves to must report the device name
 *       itself ({@link DiskIdentity}); when it reports another (a stale link left on a reused device node) or
 *       none, udev is triggered for it and the link read once more, and if it still is not the disk,
 *       {@link WrongDeviceException} names both and nothing is touched.
 *   <li>No link: the disks of the {@link DiskScan} are asked for their device names; the one disk reporting the
 *       name is used (and udev triggered for it, so its link is made). Several reporting it is a
 *       {@link WrongDeviceException}; none is "not there (yet)".
 * </ul>
 */
public final class ByIdDeviceFinder implements DeviceFinder {
    private static final Logger LOG = LoggerFactory.getLogger(ByIdDeviceFinder.class);

    private final Path deviceDir;
    private final DiskIdentity identity;
    private final DiskScan scan;
    private final UdevTrigger udev;

    public ByIdDeviceFinder(Path deviceDir, DiskIdentity identity, DiskScan scan, UdevTrigger udev) {
        this.deviceDir = deviceDir;
        this.identity = identity;
        this.scan = scan;
        this.udev = udev;
    }

    @Override
    public Optional<BlockDevice> find(String deviceName) {
        for (String candidate : candidates(deviceName)) {
            Path link = Path.of(candidate);
            Optional<BlockDevice> device = DeviceNodes.blockDevice(link);
            if (device.isPresent()) {
                return Optional.of(confirm(deviceName, link, device.get()));
            }
        }
        return byIdentity(deviceName);
    }

    private BlockDevice confirm(String deviceName, Path link, BlockDevice device) {
        DiskIdentity.Reading reading = identity.read(device);
        if (deviceName.equals(reading.deviceName())) {
            return device;
        }
        String udevSaid = udev.trigger(device);
        Optional<BlockDevice> again = DeviceNodes.blockDevice(link);
        if (again.isPresent() && !again.get().equals(device)) {
            DiskIdentity.Reading second = identity.read(again.get());
            if (deviceName.equals(second.deviceName())) {
                LOG.warn(
                        "link {} pointed at {} ({}) and after a udev trigger points at {}, which is disk {}",
                        link,
                        device,
                        reading.describe(),
                        again.get(),
                        deviceName);
                return again.get();
            }
        }
        String right = matches(deviceName).stream()
                .map(BlockDevice::toString)
                .reduce((a, b) -> a + ", " + b)
                .map(d -> "; the device reporting " + deviceName + " is " + d)
                .orElse("; no device here reports " + deviceName);
        throw new WrongDeviceException(String.format(
                "%s points at %s, which reports %s, not disk %s (%s)%s; refusing to use %s: nothing on it was "
                        + "touched",
                link, device, reading.describe(), deviceName, udevSaid, right, device));
    }

    private Optional<BlockDevice> byIdentity(String deviceName) {
        List<BlockDevice> found = matches(deviceName);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        if (found.size() > 1) {
            throw new WrongDeviceException(String.format(
                    "no link for disk %s in %s, and %d devices report device name %s (%s); refusing to pick one",
                    deviceName, deviceDir, found.size(), deviceName, found));
        }
        BlockDevice device = found.get(0);
        LOG.warn(
                "no link for disk {} in {}; {} reports it ({}); {}",
                deviceName,
                deviceDir,
                device,
                identity.read(device).source(),
                udev.trigger(device));
        return Optional.of(device);
    }

    private List<BlockDevice> matches(String deviceName) {
        // the name is read after the scan chose the disk, and the scan asked again after the name: a loop device
        // released and rebound to another run's file of the same name in between is never taken for this disk
        return scan.disks().stream()
                .filter(d -> deviceName.equals(identity.read(d).deviceName()))
                .filter(scan::stillOneOfUs)
                .toList();
    }

    @Override
    public List<String> candidates(String deviceName) {
        return List.of(
                deviceDir.resolve("google-" + deviceName).toString(),
                deviceDir.resolve("scsi-0Google_PersistentDisk_" + deviceName).toString());
    }
}
