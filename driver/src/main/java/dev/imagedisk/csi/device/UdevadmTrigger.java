package dev.imagedisk.csi.device;

import dev.imagedisk.csi.exec.CommandException;
import dev.imagedisk.csi.exec.CommandResult;
import dev.imagedisk.csi.exec.CommandRunner;
import dev.imagedisk.csi.exec.Executables;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code udevadm trigger --action=change --property-match=DEVNAME=/dev/X} with the runner's time limit, from an
 * argument array. Without udevadm (a container without udev), it does nothing and says so.
 */
public final class UdevadmTrigger implements UdevTrigger {
    private final CommandRunner runner;
    private final Executables executables;

    public UdevadmTrigger(CommandRunner runner, Executables executables) {
        this.runner = runner;
        this.executables = executables;
    }

    @Override
    public String trigger(BlockDevice device) {
        Optional<Path> udevadm = executables.find("udevadm");
        if (udevadm.isEmpty()) {
            return "udevadm is not installed; no trigger";
        }
        List<String> command = List.of(
                udevadm.get().toString(), "trigger", "--action=change", "--property-match=DEVNAME=" + device.path());
        try {
            CommandResult r = runner.run(command);
            return r.ok() ? "udevadm trigger ran for " + device.path() : "udevadm trigger failed: " + r.describe();
        } catch (CommandException e) {
            return "udevadm trigger failed: " + e.getMessage();
        }
    }
}
