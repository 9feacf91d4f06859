package dev.imagedisk.csi.device;

/** Makes a filesystem on a blank device. */
public interface Formatter {
    /** Whether {@code fsType} can be made here (known type, tool installed). */
    boolean supports(String fsType);

    /** The program that makes {@code fsType}, for messages. */
    String tool(String fsType);

    void format(BlockDevice device, String fsType);
}
