package dev.imagedisk.csi.device;

/**
 * What a block device says it is: the Compute Engine device name it reports, read from the device itself (not
 * from a udev link). Adapters: {@link ScsiIdentity} (VPD pages), {@link NvmeIdentity} (Google's identify-namespace
 * vendor data), {@link LoopIdentity} (the loop's backing file name, for the emulator); {@link IdentityByType}
 * picks one by the device's type.
 */
public interface DiskIdentity {
    /** The device name {@code disk} (a whole disk) reports, or why none could be read. */
    Reading read(BlockDevice disk);

    /** A device's answer: its device name and where it came from, or (name null) why there is none. */
    record Reading(String deviceName, String source) {
        public static Reading named(String deviceName, String source) {
            return new Reading(deviceName, source);
        }

        public static Reading unreadable(String why) {
            return new Reading(null, why);
        }

        public boolean known() {
            return deviceName != null;
        }

        /** "device name X (source)" or "no device name (why)". */
        public String describe() {
            return known() ? "device name " + deviceName + " (" + source + ")" : "no device name (" + source + ")";
        }
    }
}
