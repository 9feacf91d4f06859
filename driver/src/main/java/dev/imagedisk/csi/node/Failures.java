package dev.imagedisk.csi.node;

import dev.imagedisk.csi.device.WrongDeviceException;
import dev.imagedisk.csi.exec.CommandException;
import dev.imagedisk.csi.mount.MountException;
import dev.imagedisk.csi.server.CsiErrors;
import dev.imagedisk.csi.server.CsiFailure;
import java.util.function.Supplier;

/** Turns what an adapter throws into a CSI error that says what was being done and why it failed. */
final class Failures {
    private Failures() {}

    static <T> T call(String doing, Supplier<T> action) {
        try {
            return action.get();
        } catch (CsiFailure e) {
            throw e;
        } catch (WrongDeviceException e) {
            throw CsiErrors.failedPrecondition("%s: %s", doing, e.getMessage());
        } catch (CommandException e) {
            if (e.timedOut()) {
                throw CsiErrors.deadlineExceeded("%s: %s", doing, e.getMessage());
            }
            throw CsiErrors.internal("%s: %s", doing, e.getMessage());
        } catch (MountException e) {
            if (e.busy()) {
                throw CsiErrors.unavailable(
                        "%s: the mount is in use (EBUSY); retry once it is released: %s", doing, e.getMessage());
            }
            throw CsiErrors.internal("%s: %s", doing, e.getMessage());
        } catch (RuntimeException e) {
            throw CsiErrors.internal("%s: %s", doing, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    static void run(String doing, Runnable action) {
        call(doing, () -> {
            action.run();
            return null;
        });
    }
}
