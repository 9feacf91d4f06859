package dev.imagedisk.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The local stack binds loop devices and mounts filesystems: it needs root and the loop driver. */
public final class RootCheck {
    private RootCheck() {}

    /** Null when this process can run the stack, else why not. */
    public static String whyNot() {
        try {
            String status = Files.readString(Path.of("/proc/self/status"));
            boolean root = status.lines().anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[2].equals("0"));
            if (!root) {
                return "it needs root: it binds loop devices and mounts filesystems (run it with sudo)";
            }
        } catch (IOException e) {
            return "cannot read /proc/self/status: " + e.getMessage();
        }
        if (!Files.exists(Path.of("/dev/loop-control"))) {
            return "there is no /dev/loop-control: load the loop driver (modprobe loop)";
        }
        return null;
    }
}
