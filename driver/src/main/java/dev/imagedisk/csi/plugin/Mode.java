package dev.imagedisk.csi.plugin;

/** Which CSI services a plugin process serves (Identity is always served). */
public enum Mode {
    controller,
    node,
    all;

    public boolean controllerService() {
        return this != node;
    }

    public boolean nodeService() {
        return this != controller;
    }
}
