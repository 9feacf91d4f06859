package dev.imagedisk.csi.device;

import dev.imagedisk.csi.exec.CommandResult;
import dev.imagedisk.csi.exec.CommandRunner;
import dev.imagedisk.csi.exec.Executables;
import java.util.List;

/**
 * {@code mkfs.ext4}/{@code mkfs.ext3} with lazy inode-table and journal initialisation and no reserved
 * blocks, and {@code mkfs.xfs}. Callers format only devices they have found blank.
 */
public final class MkfsFormatter implements Formatter {
    private final CommandRunner runner;
    private final Executables executables;

    public MkfsFormatter(CommandRunner runner, Executables executables) {
        this.runner = runner;
        this.executables = executables;
    }

    @Override
    public boolean supports(String fsType) {
        return switch (fsType) {
            case "ext3", "ext4", "xfs" -> executables.has(tool(fsType));
            default -> false;
        };
    }

    @Override
    public String tool(String fsType) {
        return "mkfs." + fsType;
    }

    @Override
    public void format(BlockDevice device, String fsType) {
        String dev = device.path().toString();
        List<String> cmd = switch (fsType) {
            case "ext3", "ext4" ->
                List.of(tool(fsType), "-F", "-q", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1", dev);
            case "xfs" -> List.of("mkfs.xfs", "-q", dev);
            default -> throw new IllegalArgumentException("cannot make a " + fsType + " filesystem");
        };
        CommandResult r = runner.run(cmd);
        if (!r.ok()) {
            throw new IllegalStateException("formatting " + device + " as " + fsType + " failed: " + r.describe());
        }
    }
}
