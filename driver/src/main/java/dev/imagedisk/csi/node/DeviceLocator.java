package dev.imagedisk.csi.node;

import dev.imagedisk.csi.common.CsiErrors;
import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.DeviceFinder;
import dev.imagedisk.csi.exec.Deadlines;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The block device of an attached disk, named by the {@value #DEVICE_NAME_KEY} entry of the publish
 * context; waits up to {@code --device-wait} (and never past the call's deadline) for udev to make it.
 */
public final class DeviceLocator {
    /**
     * Publish-context key whose value is the Compute Engine device name the disk was attached with (the
     * controller attaches with deviceName = disk name). The node finds {@code google-<value>} under the
     * device directory.
     */
    public static final String DEVICE_NAME_KEY = "deviceName";

    /** Compute Engine device names: RFC 1035 labels, which also keeps them from naming other paths. */
    private static final Pattern DEVICE_NAME = Pattern.compile("[a-z]([-a-z0-9]{0,61}[a-z0-9])?");

    private final DeviceFinder finder;
    private final Duration wait;

    public DeviceLocator(DeviceFinder finder, Duration wait) {
        this.finder = finder;
        this.wait = wait;
    }

    /** Validates the device name from the publish context; INVALID_ARGUMENT when missing or malformed. */
    public static String deviceName(Map<String, String> publishContext) {
        String name = publishContext.get(DEVICE_NAME_KEY);
        if (name == null || name.isEmpty()) {
            throw CsiErrors.invalidArgument("publish_context.%s is required (the disk's device name, set by "
                    + "ControllerPublishVolume)", DEVICE_NAME_KEY);
        }
        if (!DEVICE_NAME.matcher(name).matches()) {
            throw CsiErrors.invalidArgument("publish_context.%s %s is not a Compute Engine device name "
                    + "([a-z]([-a-z0-9]{0,61}[a-z0-9])?)", DEVICE_NAME_KEY, name);
        }
        return name;
    }

    public BlockDevice locate(String deviceName) {
        Duration budget = Deadlines.remaining(wait);
        Optional<BlockDevice> device = finder.await(deviceName, budget);
        if (device.isEmpty()) {
            throw CsiErrors.notFound("no block device for disk %s after waiting %d ms: looked for %s", deviceName,
                    budget.toMillis(), String.join(" and ", finder.candidates(deviceName)));
        }
        return device.get();
    }
}
