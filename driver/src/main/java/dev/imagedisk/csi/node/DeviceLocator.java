package dev.imagedisk.csi.node;

import dev.imagedisk.csi.contract.GceNames;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.DeviceFinder;
import dev.imagedisk.csi.device.WrongDeviceException;
import dev.imagedisk.csi.exec.Deadlines;
import dev.imagedisk.csi.server.CsiErrors;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The block device of an attached disk, named by the {@value Keys#PUBLISH_DEVICE_NAME} entry of the publish
 * context (the Compute Engine device name the controller attached the disk with; the node finds
 * {@code google-<value>} under the device directory, and confirms that the device reports that name); waits up to
 * {@code --device-wait} (and never past the call's deadline) for it to appear.
 */
public final class DeviceLocator {
    private final DeviceFinder finder;
    private final Duration wait;

    public DeviceLocator(DeviceFinder finder, Duration wait) {
        this.finder = finder;
        this.wait = wait;
    }

    /** Validates the device name from the publish context; INVALID_ARGUMENT when missing or malformed. */
    public static String deviceName(Map<String, String> publishContext) {
        String name = publishContext.get(Keys.PUBLISH_DEVICE_NAME);
        if (name == null || name.isEmpty()) {
            throw CsiErrors.invalidArgument(
                    "publish_context.%s is required (the disk's device name, set by " + "ControllerPublishVolume)",
                    Keys.PUBLISH_DEVICE_NAME);
        }
        // device names are RFC 1035 labels, which also keeps them from naming other paths
        if (!GceNames.isName(name)) {
            throw CsiErrors.invalidArgument(
                    "publish_context.%s %s is not a Compute Engine device name (%s)",
                    Keys.PUBLISH_DEVICE_NAME, name, GceNames.NAME_REGEX);
        }
        return name;
    }

    /**
     * The disk's device, confirmed to be that disk (it reports the device name itself); FAILED_PRECONDITION when
     * the link points at another disk or the device cannot be confirmed, NOT_FOUND when none appears within {@code --device-wait}, DEADLINE_EXCEEDED when the call's deadline
     * ends the wait first.
     */
    public BlockDevice locate(String deviceName) {
        Duration budget = Deadlines.remaining(wait);
        Optional<BlockDevice> device;
        try {
            device = finder.await(deviceName, budget);
        } catch (WrongDeviceException e) {
            throw CsiErrors.failedPrecondition("disk %s: %s", deviceName, e.getMessage());
        }
        if (device.isEmpty() && budget.compareTo(wait) < 0) {
            // the call's deadline, not --device-wait, ended the wait: the device may still come, so the answer is the
            // deadline's (a retry waits again), never NOT_FOUND, whichever of the two ends reaches the caller first
            throw CsiErrors.deadlineExceeded(
                    "the call's deadline ended the wait for disk %s after %d ms (--device-wait is %d ms): looked for %s",
                    deviceName,
                    budget.toMillis(),
                    wait.toMillis(),
                    String.join(" and ", finder.candidates(deviceName)));
        }
        if (device.isEmpty()) {
            throw CsiErrors.notFound(
                    "no block device for disk %s after waiting %d ms: looked for %s, and no disk reports device "
                            + "name %s",
                    deviceName, budget.toMillis(), String.join(" and ", finder.candidates(deviceName)), deviceName);
        }
        return device.get();
    }
}
