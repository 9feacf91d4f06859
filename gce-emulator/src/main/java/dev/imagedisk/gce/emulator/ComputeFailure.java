package dev.imagedisk.gce.emulator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Failures Compute Engine answers when a zone or the project runs out of something, and the "not ready yet"
 * answer of an attach, each in the two shapes it comes in: as the error of a DONE operation
 * ({@code error.errors[0]} with {@code code}, {@code message} and, where Compute Engine gives them,
 * {@code errorDetails}; {@code httpErrorStatusCode}/{@code httpErrorMessage}) and as the HTTP call's error (Google's
 * error body). Injected with {@link Faults#failNext(String, ComputeFailure, Faults.Delivery, int)}.
 *
 * <p>Shapes (the operation form is the common one; the field names are the v1 REST reference's
 * {@code Operation.error.errors[].errorDetails[]}: {@code errorInfo}, {@code quotaInfo}, {@code help},
 * {@code localizedMessage}):
 *
 * <ul>
 *   <li>stockouts: code {@code ZONE_RESOURCE_POOL_EXHAUSTED} / {@code ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS},
 *       the message of "Troubleshooting resource availability errors" naming {@code projects/P/zones/Z}, HTTP 503;
 *       the detailed one carries {@code errorInfo} (domain {@code compute.googleapis.com}, metadata {@code zone}),
 *       a localized message and the troubleshooting link. As a call error: 503 with the code as the reason (an
 *       assumption of this emulator: no public capture of a synchronous stockout body was found).
 *   <li>quota: code {@code QUOTA_EXCEEDED}, "Quota 'SSD_TOTAL_GB' exceeded.  Limit: 500.0 in zone Z." (or "in region
 *       R."), {@code quotaInfo} with the metric {@code compute.googleapis.com/ssd_total_storage}, the limit
 *       {@code SSD-TOTAL-GB-per-project-zone} (or {@code -region}) and the dimension {@code zone} (or
 *       {@code region}), HTTP 403. As a call error: 403 {@code quotaExceeded}, domain {@code usageLimits}, the same
 *       message.
 *   <li>{@code RESOURCE_NOT_READY}: "The resource 'projects/P/zones/Z/disks/D' is not ready", HTTP 400; as a call
 *       error 400 {@code resourceNotReady} (what an attach of a disk still CREATING or RESTORING answers).
 * </ul>
 */
public enum ComputeFailure {
    ZONE_RESOURCE_POOL_EXHAUSTED,
    ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS,
    ZONAL_QUOTA_EXCEEDED,
    REGIONAL_QUOTA_EXCEEDED,
    RESOURCE_NOT_READY;

    static final String RESOURCE_ERROR_DOC = "https://cloud.google.com/compute/docs/resource-error";
    static final double QUOTA_LIMIT = 500.0;

    /** What a failure names: the project, the zone (null for a global call) and the resource path. */
    record Context(String project, String zone, String resource) {
        String region() {
            return zone == null ? null : zone.substring(0, Math.max(0, zone.lastIndexOf('-')));
        }
    }

    /** The operation error code (what {@code error.errors[0].code} says). */
    public String code() {
        return switch (this) {
            case ZONE_RESOURCE_POOL_EXHAUSTED -> "ZONE_RESOURCE_POOL_EXHAUSTED";
            case ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS -> "ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS";
            case ZONAL_QUOTA_EXCEEDED, REGIONAL_QUOTA_EXCEEDED -> "QUOTA_EXCEEDED";
            case RESOURCE_NOT_READY -> "RESOURCE_NOT_READY";
        };
    }

    int httpStatus() {
        return switch (this) {
            case ZONE_RESOURCE_POOL_EXHAUSTED, ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS -> 503;
            case ZONAL_QUOTA_EXCEEDED, REGIONAL_QUOTA_EXCEEDED -> 403;
            case RESOURCE_NOT_READY -> 400;
        };
    }

    String message(Context c) {
        String zonePath = "projects/" + c.project() + "/zones/" + c.zone();
        return switch (this) {
            case ZONE_RESOURCE_POOL_EXHAUSTED ->
                "The zone '" + zonePath
                        + "' does not have enough resources available to fulfill the request.  Try a different zone,"
                        + " or try again later.";
            case ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS ->
                "The zone '" + zonePath
                        + "' does not have enough resources available to fulfill the request.  '(resource type:disk)'.";
            case ZONAL_QUOTA_EXCEEDED ->
                "Quota 'SSD_TOTAL_GB' exceeded.  Limit: " + QUOTA_LIMIT + " in zone " + c.zone() + ".";
            case REGIONAL_QUOTA_EXCEEDED ->
                "Quota 'SSD_TOTAL_GB' exceeded.  Limit: " + QUOTA_LIMIT + " in region " + c.region() + ".";
            case RESOURCE_NOT_READY -> "The resource '" + c.resource() + "' is not ready";
        };
    }

    /** The operation's {@code errorDetails}, or null when Compute Engine gives none for this code. */
    ArrayNode errorDetails(Context c) {
        ArrayNode details = Json.MAPPER.createArrayNode();
        switch (this) {
            case ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS -> {
                ObjectNode info = details.addObject().putObject("errorInfo");
                info.put("reason", "resource_availability");
                info.put("domain", "compute.googleapis.com");
                info.putObject("metadatas").put("zone", c.zone());
                ObjectNode localized = details.addObject().putObject("localizedMessage");
                localized.put("locale", "en-US");
                localized.put(
                        "message",
                        "A disk is currently unavailable in the " + c.zone() + " zone. Capacity changes frequently,"
                                + " so try your request in a different zone, or at a later time.");
                ObjectNode link =
                        details.addObject().putObject("help").putArray("links").addObject();
                link.put("description", "Troubleshooting documentation");
                link.put("url", RESOURCE_ERROR_DOC);
            }
            case ZONAL_QUOTA_EXCEEDED, REGIONAL_QUOTA_EXCEEDED -> {
                boolean zonal = this == ZONAL_QUOTA_EXCEEDED;
                ObjectNode quota = details.addObject().putObject("quotaInfo");
                quota.put("metricName", "compute.googleapis.com/ssd_total_storage");
                quota.put("limitName", zonal ? "SSD-TOTAL-GB-per-project-zone" : "SSD-TOTAL-GB-per-project-region");
                quota.putObject("dimensions").put(zonal ? "zone" : "region", zonal ? c.zone() : c.region());
                quota.put("limit", QUOTA_LIMIT);
            }
            default -> {
                return null;
            }
        }
        return details;
    }

    OperationFailure asOperation(Context c) {
        return new OperationFailure(code(), message(c), httpStatus(), errorDetails(c));
    }

    GceException asCall(Context c) {
        return switch (this) {
            case ZONE_RESOURCE_POOL_EXHAUSTED, ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS ->
                new GceException(503, code(), message(c));
            case ZONAL_QUOTA_EXCEEDED, REGIONAL_QUOTA_EXCEEDED ->
                new GceException(403, "quotaExceeded", "usageLimits", message(c));
            case RESOURCE_NOT_READY -> new GceException(400, "resourceNotReady", message(c));
        };
    }
}
