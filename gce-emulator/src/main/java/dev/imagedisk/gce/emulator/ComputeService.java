package dev.imagedisk.gce.emulator;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;

/**
 * Compute Engine's behaviour, one service per resource sharing one {@link ComputeState}:
 * {@link ImageService}, {@link DiskService}, {@link InstanceService} and
 * {@link OperationService}. This class wires them and holds the emulator-side calls (state file,
 * introspection, close).
 */
final class ComputeService {
    final Object lock;
    final ComputeState state;
    final OperationService operations;
    final ImageService images;
    final DiskService disks;
    final InstanceService instances;
    final IamService iam;

    ComputeService(
            Storage storage,
            Faults faults,
            ScheduledExecutorService scheduler,
            Path defaultDeviceDir,
            Duration waitTimeout) {
        this.state = new ComputeState(storage, faults, scheduler, defaultDeviceDir);
        this.lock = state.lock;
        this.operations = new OperationService(state, waitTimeout);
        this.images = new ImageService(state, operations);
        this.disks = new DiskService(state, operations, images);
        this.instances = new InstanceService(state, operations);
        this.iam = new IamService(state, operations);
    }

    void setLinks(Links links) {
        state.links = links;
    }

    Links links() {
        return state.links;
    }

    void setOnChange(Runnable onChange) {
        state.onChange = onChange;
    }

    void setWaitTimeout(Duration waitTimeout) {
        operations.setWaitTimeout(waitTimeout);
    }

    Sharing sharing() {
        return state.sharing;
    }

    Storage storage() {
        return state.storage;
    }

    Model.Image registerImage(String project, String name, String family, Path file, Long diskSizeGb)
            throws IOException {
        return images.registerImage(project, name, family, file, diskSizeGb);
    }

    void deprecateImage(String project, String name, String state) {
        images.deprecateImage(project, name, state);
    }

    Model.Instance addInstance(String project, String zone, String name, String machineType, Path deviceDir) {
        return instances.addInstance(project, zone, name, machineType, deviceDir);
    }

    Model.Instance findInstance(String project, String zone, String name) {
        return instances.findInstance(project, zone, name);
    }

    Model.Disk findDisk(String project, String zone, String name) {
        return disks.findDisk(project, zone, name);
    }

    Model.Attachment findAttachment(String project, String zone, String instance, String deviceName) {
        return instances.findAttachment(project, zone, instance, deviceName);
    }

    /** Marks the service closed and releases every waiter. */
    void close() {
        operations.close();
    }

    /** Applies {@code f} to the records under the lock (state file, snapshots). */
    <T> T withRecords(Function<Records, T> f) {
        synchronized (lock) {
            return f.apply(new Records(state.images, state.disks, state.instances));
        }
    }

    record Records(
            Map<String, Model.Image> images, Map<String, Model.Disk> disks, Map<String, Model.Instance> instances) {}

    void restore(List<Model.Image> imgs, List<Model.Disk> ds, List<Model.Instance> insts) {
        synchronized (lock) {
            for (Model.Image i : imgs) {
                state.images.put(i.key(), i);
                images.restoreSequence(i.sequence);
            }
            for (Model.Disk d : ds) {
                state.disks.put(d.key(), d);
            }
            for (Model.Instance i : insts) {
                state.instances.put(i.key(), i);
            }
            for (Iterator<Model.Disk> it = state.disks.values().iterator(); it.hasNext(); ) {
                Model.Disk d = it.next();
                d.users.removeIf(u -> !state.instances.containsKey(u));
            }
        }
    }
}
