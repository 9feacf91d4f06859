package dev.imagedisk.csi.node;

/** A volume's condition as NodeGetVolumeStats reports it. */
public record VolumeHealth(boolean abnormal, String message) {
    static VolumeHealth normal() {
        return new VolumeHealth(false, "volume is mounted and its device is present");
    }

    static VolumeHealth abnormal(String message) {
        return new VolumeHealth(true, message);
    }
}
