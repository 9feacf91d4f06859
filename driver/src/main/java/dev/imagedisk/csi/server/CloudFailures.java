package dev.imagedisk.csi.server;

import dev.imagedisk.csi.cloud.CloudException;

/** The CSI code a Compute Engine failure is answered with, and the failure that carries it. */
public final class CloudFailures {
    private CloudFailures() {}

    public static CsiFailure.Code code(CloudException.Kind kind) {
        return switch (kind) {
            case NOT_FOUND -> CsiFailure.Code.NOT_FOUND;
            case ALREADY_EXISTS -> CsiFailure.Code.ALREADY_EXISTS;
            case IN_USE -> CsiFailure.Code.FAILED_PRECONDITION;
            case NOT_READY -> CsiFailure.Code.ABORTED;
            case RATE_LIMITED, LIMIT_EXCEEDED, ZONE_EXHAUSTED, QUOTA_EXCEEDED -> CsiFailure.Code.RESOURCE_EXHAUSTED;
            case UNAVAILABLE -> CsiFailure.Code.UNAVAILABLE;
            case DEADLINE -> CsiFailure.Code.DEADLINE_EXCEEDED;
            case INVALID -> CsiFailure.Code.INVALID_ARGUMENT;
            case PERMISSION_DENIED -> CsiFailure.Code.PERMISSION_DENIED;
            case UNAUTHENTICATED -> CsiFailure.Code.UNAUTHENTICATED;
            case CANCELLED -> CsiFailure.Code.CANCELLED;
            case OTHER -> CsiFailure.Code.INTERNAL;
        };
    }

    /** {@code e} as the driver failure the RPC layer answers with. */
    public static CsiFailure of(CloudException e) {
        return new CsiFailure(code(e.kind()), message(e), e);
    }

    /**
     * The message the caller reads. A capacity failure says where and whether moving helps: RESOURCE_EXHAUSTED on
     * a WaitForFirstConsumer claim makes external-provisioner give the claim back to the scheduler, which helps for
     * a zone that is out of capacity or out of its zonal quota, and not for a region-wide quota.
     */
    public static String message(CloudException e) {
        String why = e.reason().isEmpty() ? "" : " (" + e.reason() + ")";
        return switch (e.kind()) {
            case ZONE_EXHAUSTED ->
                (e.location().isEmpty() ? "the zone" : "zone " + e.location()) + " cannot take the disk now" + why
                        + ": another zone may; " + e.getMessage();
            case QUOTA_EXCEEDED ->
                "quota used up"
                        + (e.location().isEmpty() ? " for the project" : " in region " + e.location()) + why
                        + ": moving the volume to another zone"
                        + (e.location().isEmpty() ? "" : " of " + e.location())
                        + " will not help; raise the quota or free some of it: " + e.getMessage();
            default -> e.getMessage();
        };
    }
}
