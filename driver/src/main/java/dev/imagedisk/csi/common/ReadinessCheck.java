package dev.imagedisk.csi.common;

/** One dependency the plugin needs before it can serve (the cloud API, the node's tools, ...). */
public interface ReadinessCheck {
    /** What is checked, for logs. */
    String name();

    /** Returns null when ready, else why not. Must be cheap: Probe is called every few seconds. */
    String notReadyReason();
}
