package dev.imagedisk.csi.device;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Finds the block device of an attached disk by its Compute Engine device name. */
public interface DeviceFinder {
    /** The device now, or empty when it has not appeared (yet). */
    Optional<BlockDevice> find(String deviceName);

    /** The paths looked at for {@code deviceName}, for error messages. */
    List<String> candidates(String deviceName);

    /** Polls {@link #find} until the device appears or {@code wait} has passed. */
    default Optional<BlockDevice> await(String deviceName, Duration wait) {
        long end = System.nanoTime() + wait.toNanos();
        long pause = 20;
        while (true) {
            Optional<BlockDevice> device = find(deviceName);
            if (device.isPresent() || System.nanoTime() >= end) {
                return device;
            }
            try {
                Thread.sleep(Math.min(pause, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
            pause = Math.min(pause * 2, 200);
        }
    }
}
