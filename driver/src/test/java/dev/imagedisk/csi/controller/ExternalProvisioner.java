package dev.imagedisk.csi.controller;

import io.grpc.Status;

/**
 * What external-provisioner does with a failed CreateVolume, restated from its source for the tests that check
 * the driver's answers lead where they should: {@code checkError(err error, mayReschedule bool)} in
 * {@code pkg/controller/controller.go} of kubernetes-csi/external-provisioner (read at commit 0688604, 2026-08),
 * called from {@code (*csiProvisioner).Provision} with
 * {@code mayReschedule := p.supportsTopology() && len(options.SelectedNodeName) > 0}: the driver advertises
 * VOLUME_ACCESSIBILITY_CONSTRAINTS, and a WaitForFirstConsumer claim carries the scheduler's selected node.
 */
final class ExternalProvisioner {
    private ExternalProvisioner() {}

    /** external-provisioner's {@code controller.ProvisioningState} after a failed CreateVolume. */
    enum Decision {
        /** ProvisioningReschedule: the selected-node annotation is dropped; the scheduler picks a node again. */
        RESCHEDULE,
        /** ProvisioningInBackground: the CreateVolume may still be running; it is called again, same request. */
        RETRY_IN_BACKGROUND,
        /** ProvisioningFinished: nothing is in progress; the claim's event shows the error, retried with backoff. */
        FINAL
    }

    /**
     * {@code checkError}: RESOURCE_EXHAUSTED reschedules when it may, else is final; CANCELLED, DEADLINE_EXCEEDED,
     * UNAVAILABLE and ABORTED mean the operation may still be in progress; every other code is final.
     */
    static Decision decide(Status.Code code, boolean mayReschedule) {
        return switch (code) {
            case RESOURCE_EXHAUSTED -> mayReschedule ? Decision.RESCHEDULE : Decision.FINAL;
            case CANCELLED, DEADLINE_EXCEEDED, UNAVAILABLE, ABORTED -> Decision.RETRY_IN_BACKGROUND;
            default -> Decision.FINAL;
        };
    }
}
