package dev.imagedisk.csi.node;

import dev.imagedisk.csi.server.CsiErrors;
import java.util.ArrayList;
import java.util.List;

/**
 * What NodeStageVolume does to a chosen device, decided in one place from what was found ({@link #decide}) and
 * then carried out by {@link Stager}: format a blank device; check an existing filesystem before a writable
 * mount (fully when it is about to be grown offline); grow it before mounting (ext) or once mounted (xfs);
 * mount it with the request's flags, read-only for a read-only volume. A read-only volume is never checked,
 * repaired or grown, and its journal is never replayed ({@link #journalReplayOff}).
 */
public record StagePlan(
        boolean format, Check check, boolean growOffline, boolean growOnline, List<String> mountOptions) {
    /** resize2fs may leave a tail too small for a block group's metadata; smaller differences are not growth. */
    static final long GROWTH_SLACK_BYTES = 4L << 20;

    public enum Check {
        NONE,
        PREEN,
        FULL
    }

    public StagePlan {
        mountOptions = List.copyOf(mountOptions);
    }

    /**
     * What was found about the device.
     *
     * @param fsType its filesystem (or the one it will be formatted with)
     * @param format whether it is blank and will be formatted
     * @param checkable whether a checker handles {@code fsType}
     * @param resizable whether {@code fsType} can be grown here (tool installed)
     * @param growsOffline whether {@code fsType} is grown unmounted (ext) rather than mounted (xfs)
     * @param sizes the device's and the filesystem's sizes, read only when {@link #decide} needs them
     */
    public record Facts(
            String fsType, boolean format, boolean checkable, boolean resizable, boolean growsOffline, Sizes sizes) {}

    /** Sizes that cost a read (a sysfs file, dumpe2fs); asked only for an existing filesystem that could grow. */
    public interface Sizes {
        long deviceBytes();

        long filesystemBytes();
    }

    /**
     * The mount option that keeps a read-only mount from replaying the filesystem's journal, or null when it has
     * none: an image may come from a disk captured while mounted (a dirty journal), and a read-only attached disk
     * cannot take the replay's writes, so ext3/ext4 mount with {@code noload} and xfs with {@code norecovery}.
     */
    static String journalReplayOff(String fsType) {
        return switch (fsType) {
            case "ext3", "ext4" -> "noload";
            case "xfs" -> "norecovery";
            default -> null;
        };
    }

    public static StagePlan decide(String volumeId, String device, VolumeSpec spec, Facts f) {
        boolean writable = !spec.readOnly();
        boolean existing = writable && !f.format();
        if (existing && !f.growsOffline() && !f.resizable() && f.fsType().equals("xfs")) {
            throw CsiErrors.failedPrecondition(
                    "volume %s: device %s holds xfs, but xfs_growfs is not installed on " + "this node",
                    volumeId, device);
        }
        boolean growOffline = existing
                && f.checkable()
                && f.growsOffline()
                && f.resizable()
                && f.sizes().deviceBytes() - f.sizes().filesystemBytes() > GROWTH_SLACK_BYTES;
        Check check = !existing || !f.checkable() ? Check.NONE : growOffline ? Check.FULL : Check.PREEN;
        boolean growOnline = existing && !f.growsOffline() && f.resizable();
        List<String> options = new ArrayList<>(spec.mountFlags());
        if (spec.readOnly()) {
            options.add("ro");
            String noReplay = journalReplayOff(f.fsType());
            if (noReplay != null && !options.contains(noReplay)) {
                options.add(noReplay);
            }
        }
        return new StagePlan(f.format(), check, growOffline, growOnline, options);
    }
}
