package dev.imagedisk.csi.device;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A loop device's device name: the file name of its backing file ({@code /sys/block/loopN/loop/backing_file}).
 * The Compute Engine emulator binds an attached disk through a hard link named after its device name, so the
 * name is the device's own (the kernel keeps the path the loop was bound to), as a real disk's serial is.
 */
public final class LoopIdentity implements DiskIdentity {
    private static final String DELETED = " (deleted)";

    private final Path sys;

    public LoopIdentity(Path sys) {
        this.sys = sys;
    }

    @Override
    public Reading read(BlockDevice disk) {
        Path file = backingFile(disk);
        if (file == null) {
            return Reading.unreadable("loop device " + disk.name() + " has no backing file");
        }
        return Reading.named(file.getFileName().toString(), "backing file " + file + " of " + disk.name());
    }

    /** The loop's backing file, or null when it has none (unbound) or it was deleted. */
    public Path backingFile(BlockDevice disk) {
        Path backing = sys.resolve("class/block").resolve(disk.name()).resolve("loop/backing_file");
        try {
            String text = new String(Files.readAllBytes(backing), StandardCharsets.UTF_8).strip();
            if (text.isEmpty() || text.endsWith(DELETED)) {
                return null;
            }
            Path file = Path.of(text);
            return file.getFileName() == null ? null : file;
        } catch (IOException e) {
            return null;
        }
    }
}
