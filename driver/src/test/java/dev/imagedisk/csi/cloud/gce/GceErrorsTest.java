package dev.imagedisk.csi.cloud.gce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.cloud.compute.v1.Error;
import com.google.cloud.compute.v1.Errors;
import com.google.cloud.compute.v1.Operation;
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
        assertEquals(Kind.UNAVAILABLE, GceErrors.classify("ZONE_RESOURCE_POOL_EXHAUSTED", 0));
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
        assertEquals(Kind.UNAVAILABLE, e.kind());
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
