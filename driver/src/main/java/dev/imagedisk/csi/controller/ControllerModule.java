package dev.imagedisk.csi.controller;

import csi.v1.ControllerGrpc;
import dev.imagedisk.csi.DriverConfig;
import dev.imagedisk.csi.ServicePart;
import java.util.List;

/** Builds the controller service and what it stands on. */
public final class ControllerModule {
    private ControllerModule() {}

    public static ServicePart create(DriverConfig config) {
        // Not built yet: every Controller RPC answers UNIMPLEMENTED.
        return new ServicePart(new ControllerGrpc.ControllerImplBase() {}, List.of(), () -> {});
    }
}
