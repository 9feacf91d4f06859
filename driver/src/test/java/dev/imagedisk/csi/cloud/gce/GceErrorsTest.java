package dev.imagedisk.csi.cloud.gce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.cloud.compute.v1.Error;
import com.google.cloud.compute.v1.ErrorDetails;
import com.google.cloud.compute.v1.ErrorInfo;
import com.google.cloud.compute.v1.Errors;
import com.google.cloud.compute.v1.Operation;
import com.google.cloud.compute.v1.QuotaExceededInfo;
import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.CloudException.Kind;
import org.junit.jupiter.api.Test;

class GceErrorsTest {
    @Test
    void reasonDecidesBeforeStatus() {
        assertEquals(Kind.RATE_LIMITED, GceErrors.classify("rateLimitExceeded", 403));
        assertEquals(Kind.RATE_LIMITED, GceErrors.classify("quotaExceeded", 403));
        assertEquals(Kind.RATE_LIMITED, GceErrors.classify("RESOURCE_OPERATION_RATE_EXCEEDED", 0));
        assertEquals(Kind.RATE_LIMITED, GceErrors.classify(null, 429));
        assertEquals(Kind.IN_USE, GceErrors.classify("resourceInUseByAnotherResource", 400));
        assertEquals(Kind.IN_USE, GceErrors.classify("RESOURCE_IN_USE_BY_ANOTHER_RESOURCE", 400));
        assertEquals(Kind.ZONE_EXHAUSTED, GceErrors.classify("ZONE_RESOURCE_POOL_EXHAUSTED", 0));
        assertEquals(Kind.UNAVAILABLE, GceErrors.classify("somethingNew", 503));
        assertEquals(Kind.NOT_FOUND, GceErrors.classify("notFound", 404));
        assertEquals(Kind.ALREADY_EXISTS, GceErrors.classify("alreadyExists", 409));
        assertEquals(Kind.PERMISSION_DENIED, GceErrors.classify("forbidden", 403));
        assertEquals(Kind.INVALID, GceErrors.classify("invalid", 400));
        assertEquals(Kind.LIMIT_EXCEEDED, GceErrors.classify("limitExceeded", 400));
        assertEquals(Kind.OTHER, GceErrors.classify("", 0));
    }

    @Test
    void operationWithErrorFailsEvenWithoutHttpStatus() {
        Operation op = Operation.newBuilder()
                .setName("op-1")
                .setStatus(Operation.Status.DONE)
                .setError(Error.newBuilder()
                        .addErrors(Errors.newBuilder()
                                .setCode("ZONE_RESOURCE_POOL_EXHAUSTED")
                                .setMessage("no room")))
                .build();
        CloudException e = GceErrors.fromOperation("disks.insert", op);
        assertEquals(Kind.ZONE_EXHAUSTED, e.kind());
        assertEquals(0, e.httpStatus());
        assertEquals("ZONE_RESOURCE_POOL_EXHAUSTED", e.reason());

        assertNull(GceErrors.fromOperation(
                "x", Operation.newBuilder().setStatus(Operation.Status.DONE).build()));
        CloudException httpOnly = GceErrors.fromOperation(
                "x",
                Operation.newBuilder()
                        .setStatus(Operation.Status.DONE)
                        .setHttpErrorStatusCode(503)
                        .setHttpErrorMessage("SERVICE UNAVAILABLE")
                        .build());
        assertEquals(Kind.UNAVAILABLE, httpOnly.kind());
    }

    private static Operation failed(String zone, Errors.Builder error) {
        return Operation.newBuilder()
                .setName("op-q")
                .setZone("https://www.googleapis.com/compute/v1/projects/p/zones/" + zone)
                .setStatus(Operation.Status.DONE)
                .setHttpErrorStatusCode(403)
                .setError(Error.newBuilder().addErrors(error))
                .build();
    }

    @Test
    void capacityFailuresAreReadWithTheirPlace() {
        // stockout: the zone from errorInfo, else the message, else the operation's zone
        CloudException detailed = GceErrors.fromOperation(
                "disks.insert",
                failed(
                        "us-east1-b",
                        Errors.newBuilder()
                                .setCode("ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS")
                                .setMessage("The zone 'projects/p/zones/us-east1-c' does not have enough resources")
                                .addErrorDetails(ErrorDetails.newBuilder()
                                        .setErrorInfo(ErrorInfo.newBuilder()
                                                .setDomain("compute.googleapis.com")
                                                .putMetadatas("zone", "us-east1-d")))));
        assertEquals(Kind.ZONE_EXHAUSTED, detailed.kind());
        assertEquals("us-east1-d", detailed.location());
        CloudException byMessage = GceErrors.fromOperation(
                "disks.insert",
                failed(
                        "us-east1-b",
                        Errors.newBuilder()
                                .setCode("ZONE_RESOURCE_POOL_EXHAUSTED")
                                .setMessage("The zone 'projects/p/zones/us-east1-c' does not have enough resources")));
        assertEquals("us-east1-c", byMessage.location());
        CloudException byOperation = GceErrors.fromOperation(
                "disks.insert",
                failed(
                        "us-east1-b",
                        Errors.newBuilder()
                                .setCode("ZONE_RESOURCE_POOL_EXHAUSTED")
                                .setMessage("no room")));
        assertEquals("us-east1-b", byOperation.location());

        // quota: the quotaInfo dimension decides zonal (ZONE_EXHAUSTED) or regional (QUOTA_EXCEEDED)
        CloudException zonal = GceErrors.fromOperation(
                "disks.insert",
                failed(
                        "us-east1-b",
                        Errors.newBuilder()
                                .setCode("QUOTA_EXCEEDED")
                                .setMessage("Quota 'SSD_TOTAL_GB' exceeded.  Limit: 500.0 in zone us-east1-b.")
                                .addErrorDetails(ErrorDetails.newBuilder()
                                        .setQuotaInfo(QuotaExceededInfo.newBuilder()
                                                .setLimitName("SSD-TOTAL-GB-per-project-zone")
                                                .putDimensions("zone", "us-east1-b")))));
        assertEquals(Kind.ZONE_EXHAUSTED, zonal.kind());
        assertEquals("us-east1-b", zonal.location());
        CloudException regional = GceErrors.fromOperation(
                "disks.insert",
                failed(
                        "us-east1-b",
                        Errors.newBuilder()
                                .setCode("QUOTA_EXCEEDED")
                                .setMessage("Quota 'SSD_TOTAL_GB' exceeded.  Limit: 500.0 in region us-east1.")
                                .addErrorDetails(ErrorDetails.newBuilder()
                                        .setQuotaInfo(
                                                QuotaExceededInfo.newBuilder().putDimensions("region", "us-east1")))));
        assertEquals(Kind.QUOTA_EXCEEDED, regional.kind());
        assertEquals("us-east1", regional.location());
        // without quotaInfo the message tells; a global quota has no place
        assertEquals(
                Kind.ZONE_EXHAUSTED,
                GceErrors.place(
                                "QUOTA_EXCEEDED",
                                "Quota 'X' exceeded.  Limit: 1.0 in zone z-1-a.",
                                java.util.List.of(),
                                null,
                                true)
                        .kind());
        GceErrors.Place global = GceErrors.place(
                "QUOTA_EXCEEDED",
                "Quota 'IMAGES' exceeded.  Limit: 1000.0 globally.",
                java.util.List.of(),
                "z-1-a",
                true);
        assertEquals(Kind.QUOTA_EXCEEDED, global.kind());
        assertEquals("", global.location());
        // a call's quotaExceeded: a resource quota by its message; an API's request quota stays a rate limit
        assertEquals(
                Kind.QUOTA_EXCEEDED,
                GceErrors.place(
                                "quotaExceeded",
                                "Quota 'SSD_TOTAL_GB' exceeded.  Limit: 500.0 in region r-1.",
                                java.util.List.of(),
                                null,
                                false)
                        .kind());
        assertNull(GceErrors.place(
                "quotaExceeded",
                "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute'",
                java.util.List.of(),
                null,
                false));
        assertNull(GceErrors.place("backendError", "boom", java.util.List.of(), "z", true));
    }

    @Test
    void errorBodyIsRead() {
        var body = GceErrors.parse(
                "{\"error\":{\"code\":403,\"message\":\"Rate Limit Exceeded\",\"errors\":"
                        + "[{\"message\":\"Rate Limit Exceeded\",\"domain\":\"usageLimits\",\"reason\":\"rateLimitExceeded\"}]}}");
        assertEquals(403, body.code());
        assertEquals("rateLimitExceeded", body.reason());
        var details = GceErrors.parse("{\"error\":{\"code\":429,\"message\":\"m\",\"details\":[{\"@type\":"
                + "\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"RATE_LIMIT_EXCEEDED\"}]}}");
        assertEquals("RATE_LIMIT_EXCEEDED", details.reason());
        var junk = GceErrors.parse("<html>bad gateway</html>");
        assertEquals(0, junk.code());
        assertNull(junk.reason());
    }
}
