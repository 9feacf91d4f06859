package dev.imagedisk.csi.device;

import dev.imagedisk.csi.exec.CommandResult;
import dev.imagedisk.csi.exec.CommandRunner;

/**
 * {@code e2fsck -p} (preen: repairs what is safe without asking, skips a clean filesystem quickly), with
 * {@code -f} for a full check.
 * Exit codes (e2fsck(8)): 0 no errors, 1 errors corrected, 2 corrected and the system should be rebooted
 * (matters only for a mounted root), 4 errors left uncorrected, 8 operational error, 16 usage, 32
 * cancelled, 128 shared-library error; values are OR-ed.
 */
public final class E2fsckChecker implements FilesystemChecker {
    private final CommandRunner runner;

    public E2fsckChecker(CommandRunner runner) {
        this.runner = runner;
    }

    @Override
    public boolean handles(String fsType) {
        return fsType.equals("ext2") || fsType.equals("ext3") || fsType.equals("ext4");
    }

    @Override
    public String manualCommand(BlockDevice device, String fsType) {
        return "e2fsck -f " + device.path();
    }

    @Override
    public Result check(BlockDevice device, String fsType, boolean full) {
        CommandResult r = full
                ? runner.run("e2fsck", "-f", "-p", device.path().toString())
                : runner.run("e2fsck", "-p", device.path().toString());
        int code = r.exitCode();
        if (code <= 2) {
            return new Result(Outcome.OK, r.describe());
        }
        if ((code & 4) != 0 && (code & ~7) == 0) {
            return new Result(Outcome.DAMAGED, r.describe());
        }
        return new Result(Outcome.FAILED, r.describe());
    }
}
