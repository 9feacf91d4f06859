package dev.imagedisk.csi.fake;

import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.mount.MountException;
import dev.imagedisk.csi.mount.MountInfo;
import dev.imagedisk.csi.mount.Mounter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An in-memory mount table over {@link FakeDisks}, behaving like mount(2)/umount2(2): the target must be an
 * existing directory, the device must hold a filesystem of the given type, a bind mount copies the source
 * mount's device and root, unmounting a path with nothing mounted fails, and a mount marked busy refuses to go.
 */
public final class FakeMounter implements Mounter {
    private final FakeDisks disks;
    private final List<MountInfo> table = new ArrayList<>();
    private final List<Path> busy = new ArrayList<>();
    private int nextId = 100;

    public FakeMounter(FakeDisks disks) {
        this.disks = disks;
        disks.mounter(this);
    }

    /** Makes unmounts of {@code path} fail with EBUSY (a process holds it open). */
    public void busy(Path path) {
        busy.add(path);
    }

    boolean uses(int major, int minor) {
        return table.stream().anyMatch(m -> m.major() == major && m.minor() == minor);
    }

    @Override
    public void mount(Path device, Path target, String fsType, List<String> options) {
        if (!Files.isDirectory(target)) {
            throw new MountException("mount " + device + " at " + target + ": No such file or directory", false);
        }
        BlockDevice dev;
        try {
            dev = disks.byPath(device);
        } catch (IllegalStateException e) {
            throw new MountException("mount " + device + ": special device does not exist", false);
        }
        FakeDisks.Fs fs = disks.fs(dev);
        if (fs == null || (fsType != null && !fsType.equals(fs.type))) {
            throw new MountException(
                    "mount " + device + " at " + target + ": wrong fs type, bad option, bad " + "superblock", false);
        }
        boolean ro = options.contains("ro");
        if (!ro) {
            fs.mountedSinceCheck = true;
        }
        table.add(new MountInfo(
                nextId++,
                1,
                dev.major(),
                dev.minor(),
                "/",
                target,
                List.of(ro ? "ro" : "rw"),
                fs.type,
                device.toString(),
                List.of(ro ? "ro" : "rw")));
    }

    @Override
    public void bindMount(Path source, Path target, boolean readOnly) {
        MountInfo src = mountAt(source)
                .orElseThrow(() -> new MountException("bind " + source + ": not a mount point of a volume", false));
        table.add(new MountInfo(
                nextId++,
                1,
                src.major(),
                src.minor(),
                src.root(),
                target,
                List.of(readOnly ? "ro" : "rw"),
                src.fsType(),
                src.source(),
                src.superOptions()));
    }

    @Override
    public void unmount(Path target) {
        if (busy.contains(target)) {
            throw new MountException("umount " + target + ": target is busy", true);
        }
        for (int i = table.size() - 1; i >= 0; i--) {
            if (table.get(i).mountPoint().equals(target)) {
                table.remove(i);
                return;
            }
        }
        throw new MountException("umount " + target + ": not mounted", false);
    }

    @Override
    public List<MountInfo> mounts() {
        return List.copyOf(table);
    }
}
