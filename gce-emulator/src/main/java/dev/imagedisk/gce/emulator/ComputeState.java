package dev.imagedisk.gce.emulator;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The emulator's records and what every service needs with them. Every record is guarded by
 * {@link #lock}; storage work (file copies, losetup) runs outside it, protected by the
 * reservations an accepted operation holds until it is DONE.
 */
final class ComputeState {
    final Object lock = new Object();
    final Storage storage;
    final Faults faults;
    final Sharing sharing = new Sharing();
    final ScheduledExecutorService scheduler;
    final Path defaultDeviceDir;
    final Map<String, Model.Image> images = new LinkedHashMap<>();
    final Map<String, Model.Disk> disks = new LinkedHashMap<>();
    final Map<String, Model.Instance> instances = new LinkedHashMap<>();
    volatile Links links;
    volatile Runnable onChange = () -> {};
    volatile boolean closed;

    ComputeState(Storage storage, Faults faults, ScheduledExecutorService scheduler, Path defaultDeviceDir) {
        this.storage = storage;
        this.faults = faults;
        this.scheduler = scheduler;
        this.defaultDeviceDir = defaultDeviceDir;
    }
}
