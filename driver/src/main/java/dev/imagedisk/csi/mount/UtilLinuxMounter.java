package dev.imagedisk.csi.mount;

import dev.imagedisk.csi.exec.CommandResult;
import dev.imagedisk.csi.exec.CommandRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link Mounter} over util-linux {@code mount} and {@code umount}, run with argument arrays, and the
 * kernel's {@code /proc/self/mountinfo} for what is mounted.
 */
public final class UtilLinuxMounter implements Mounter {
    /** umount's exit code for a failed unmount (with "target is busy" on stderr for EBUSY). */
    private static final int UMOUNT_FAILED = 32;

    private final CommandRunner runner;
    private final Path mountInfo;

    public UtilLinuxMounter(CommandRunner runner, Path mountInfo) {
        this.runner = runner;
        this.mountInfo = mountInfo;
    }

    public UtilLinuxMounter(CommandRunner runner) {
        this(runner, Path.of("/proc/self/mountinfo"));
    }

    @Override
    public void mount(Path device, Path target, String fsType, List<String> options) {
        List<String> cmd = new ArrayList<>(List.of("mount"));
        if (fsType != null && !fsType.isEmpty()) {
            cmd.add("-t");
            cmd.add(fsType);
        }
        if (!options.isEmpty()) {
            cmd.add("-o");
            cmd.add(String.join(",", options));
        }
        cmd.add(device.toString());
        cmd.add(target.toString());
        CommandResult r = runner.run(cmd);
        if (!r.ok()) {
            throw new MountException("mounting " + device + " at " + target + " failed: " + r.describe(), false);
        }
    }

    @Override
    public void bindMount(Path source, Path target, boolean readOnly) {
        CommandResult r = runner.run("mount", "--bind", source.toString(), target.toString());
        if (!r.ok()) {
            throw new MountException("bind-mounting " + source + " at " + target + " failed: " + r.describe(), false);
        }
        if (!readOnly) {
            return;
        }
        // A bind mount takes "ro" only from a remount of the bind (MS_REMOUNT|MS_BIND|MS_RDONLY).
        CommandResult remount = runner.run("mount", "-o", "remount,bind,ro", target.toString());
        boolean ro = remount.ok() && mountAt(target).map(MountInfo::readOnly).orElse(false);
        if (!ro) {
            runner.run("umount", target.toString());
            throw new MountException(
                    "could not make the bind mount of " + source + " at " + target + " read-only"
                            + (remount.ok() ? ": the mount is still writable" : ": " + remount.describe()),
                    false);
        }
    }

    @Override
    public void unmount(Path target) {
        CommandResult r = runner.run("umount", target.toString());
        if (!r.ok()) {
            boolean busy = r.exitCode() == UMOUNT_FAILED && r.stderr().contains("busy");
            throw new MountException("unmounting " + target + " failed: " + r.describe(), busy);
        }
    }

    @Override
    public List<MountInfo> mounts() {
        try {
            return MountInfoParser.parse(new String(Files.readAllBytes(mountInfo), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + mountInfo, e);
        }
    }
}
