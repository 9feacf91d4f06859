package dev.imagedisk.csi.node;

import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.imagedisk.csi.contract.AccessPolicy;
import dev.imagedisk.csi.server.CsiErrors;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validates a CSI volume capability and turns it into a {@link VolumeSpec}. Which access modes are possible and
 * which are read-only is {@link AccessPolicy}'s decision, the same as the controller's.
 */
public final class CapabilityTranslator {
    /** A mount flag: one token of safe characters, never starting with '-'. */
    private static final Pattern FLAG = Pattern.compile("[A-Za-z0-9_=,.:/-]+");

    private static final Pattern FS_TYPE = Pattern.compile("[a-z0-9]{1,32}");
    /** Options that would change what kind of mount is made. */
    private static final Set<String> REFUSED = Set.of("bind", "rbind", "remount", "move", "loop");

    private CapabilityTranslator() {}

    public static VolumeSpec translate(VolumeCapability cap, String field) {
        AccessPolicy.unsupported(cap).ifPresent(reason -> {
            throw CsiErrors.invalidArgument("%s: %s", field, reason);
        });
        Mode mode = cap.getAccessMode().getMode();
        boolean readOnly = AccessPolicy.readOnly(mode);
        boolean singleTarget = AccessPolicy.singleTarget(mode);
        if (cap.getAccessTypeCase() == VolumeCapability.AccessTypeCase.BLOCK) {
            return new VolumeSpec(true, "", List.of(), readOnly, singleTarget);
        }
        VolumeCapability.MountVolume mount = cap.getMount();
        if (!mount.getVolumeMountGroup().isEmpty()) {
            throw CsiErrors.invalidArgument("%s.mount.volume_mount_group is not supported by this driver", field);
        }
        String fsType = mount.getFsType();
        if (!fsType.isEmpty() && !FS_TYPE.matcher(fsType).matches()) {
            throw CsiErrors.invalidArgument("%s.mount.fs_type %s is not a filesystem type name", field, fsType);
        }
        for (String flag : mount.getMountFlagsList()) {
            if (!FLAG.matcher(flag).matches() || flag.startsWith("-")) {
                throw CsiErrors.invalidArgument(
                        "%s.mount.mount_flags: %s is not allowed (one token of "
                                + "[A-Za-z0-9_=,.:/-], not starting with '-')",
                        field, flag);
            }
            for (String option : flag.split(",", -1)) {
                if (option.isEmpty() || option.startsWith("-")) {
                    throw CsiErrors.invalidArgument(
                            "%s.mount.mount_flags: %s has an empty option or one starting " + "with '-'", field, flag);
                }
                if (REFUSED.contains(option)) {
                    throw CsiErrors.invalidArgument("%s.mount.mount_flags: option %s is not allowed", field, option);
                }
                if (readOnly && option.equals("rw")) {
                    throw CsiErrors.invalidArgument("%s.mount.mount_flags: rw contradicts access mode %s", field, mode);
                }
            }
        }
        return new VolumeSpec(false, fsType, mount.getMountFlagsList(), readOnly, singleTarget);
    }
}
