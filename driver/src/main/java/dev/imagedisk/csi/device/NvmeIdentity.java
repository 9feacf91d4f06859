package dev.imagedisk.csi.device;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * An NVMe namespace's device name from Google's vendor-specific Identify Namespace data ({@link NvmeVendorData}),
 * read with the admin command {@code google_nvme_id} sends ({@link IdentifyNamespace}: ioctl NVME_IOCTL_ADMIN_CMD
 * on the namespace's block device).
 */
public final class NvmeIdentity implements DiskIdentity {
    /** Sends Identify (CNS 0) for the namespace of a block device and returns the 4096-byte answer. */
    @FunctionalInterface
    public interface IdentifyNamespace {
        byte[] identify(Path namespaceDevice);
    }

    private final Supplier<IdentifyNamespace> commands;

    /** {@code command} null: the ioctl cannot be made here (libc not bound); every read is unreadable. */
    public NvmeIdentity(IdentifyNamespace command) {
        this(() -> command);
    }

    /**
     * The command found at the first read, not at construction: binding libc (jnr-ffi: ~570 classes, some
     * generated) is left to the first NVMe disk instead of the node's start. The supplier returns null where the
     * ioctl cannot be made here; every read is then unreadable.
     */
    public NvmeIdentity(Supplier<IdentifyNamespace> commands) {
        this.commands = commands;
    }

    @Override
    public Reading read(BlockDevice disk) {
        IdentifyNamespace command = commands.get();
        if (command == null) {
            return Reading.unreadable("NVMe identify cannot be sent here (libc is not bound)");
        }
        byte[] data;
        try {
            data = command.identify(disk.path());
        } catch (RuntimeException e) {
            return Reading.unreadable("NVMe identify namespace of " + disk.path() + " failed: " + e.getMessage());
        }
        Optional<String> name = NvmeVendorData.deviceName(data);
        return name.map(n -> Reading.named(n, "NVMe identify-namespace vendor data of " + disk.name()))
                .orElseGet(() -> Reading.unreadable(
                        "the NVMe identify-namespace vendor data of " + disk.name() + " names no device"));
    }
}
