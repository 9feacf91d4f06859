package dev.imagedisk.csi.cloud.gce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.api.client.http.HttpResponseException;
import com.google.api.gax.rpc.ApiException;
import com.google.cloud.compute.v1.Errors;
import com.google.cloud.compute.v1.Operation;
import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.CloudException.Kind;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;

/**
 * Reads Compute Engine failures and sorts them into {@link CloudException.Kind}s.
 *
 * <p>A failed call: the client's {@link ApiException} carries only a gRPC-style code; the HTTP status and
 * the JSON error body ({@code {"error":{"code":403,"errors":[{"reason":"rateLimitExceeded",...}]}}})
 * are on its cause, a {@link HttpResponseException}. A failed operation: DONE with {@code error.errors[].code}
 * set ({@code ZONE_RESOURCE_POOL_EXHAUSTED}, ...), with or without {@code httpErrorStatusCode}. The reason
 * or code decides first; the HTTP status only when it says nothing we know.
 */
public final class GceErrors {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reasons and operation error codes, lower-cased with underscores removed, to kinds. */
    private static final Map<String, Kind> REASONS = Map.ofEntries(
            Map.entry("notfound", Kind.NOT_FOUND),
            Map.entry("resourcenotfound", Kind.NOT_FOUND),
            Map.entry("alreadyexists", Kind.ALREADY_EXISTS),
            Map.entry("resourcealreadyexists", Kind.ALREADY_EXISTS),
            Map.entry("resourceinusebyanotherresource", Kind.IN_USE),
            Map.entry("resourcenotready", Kind.NOT_READY),
            Map.entry("ratelimitexceeded", Kind.RATE_LIMITED),
            Map.entry("userratelimitexceeded", Kind.RATE_LIMITED),
            Map.entry("quotaexceeded", Kind.RATE_LIMITED),
            Map.entry("resourceoperationrateexceeded", Kind.RATE_LIMITED),
            Map.entry("operationratelimitexceeded", Kind.RATE_LIMITED),
            Map.entry("zoneresourcepoolexhausted", Kind.UNAVAILABLE),
            Map.entry("zoneresourcepoolexhaustedwithdetails", Kind.UNAVAILABLE),
            Map.entry("backenderror", Kind.UNAVAILABLE),
            Map.entry("internalerror", Kind.UNAVAILABLE),
            Map.entry("serviceunavailable", Kind.UNAVAILABLE),
            Map.entry("limitexceeded", Kind.LIMIT_EXCEEDED),
            Map.entry("invalid", Kind.INVALID),
            Map.entry("required", Kind.INVALID),
            Map.entry("badrequest", Kind.INVALID),
            Map.entry("invalidparameter", Kind.INVALID),
            Map.entry("invalidfieldvalue", Kind.INVALID),
            Map.entry("invalidusage", Kind.INVALID),
            Map.entry("forbidden", Kind.PERMISSION_DENIED),
            Map.entry("insufficientpermissions", Kind.PERMISSION_DENIED),
            Map.entry("accessnotconfigured", Kind.PERMISSION_DENIED),
            Map.entry("unauthorized", Kind.UNAUTHENTICATED),
            Map.entry("autherror", Kind.UNAUTHENTICATED));

    private GceErrors() {}

    /** Maps a failure of one call of {@code method} ({@code disks.insert}, ...). */
    public static CloudException fromCall(String method, Throwable t) {
        if (t instanceof CloudException c) {
            return c;
        }
        HttpResponseException http = find(t, HttpResponseException.class);
        if (http != null) {
            Body body = parse(http.getContent());
            int status = body.code > 0 ? body.code : http.getStatusCode();
            String message = body.message != null ? body.message : http.getStatusMessage();
            Kind kind = classify(body.reason, status);
            return new CloudException(
                    kind,
                    status,
                    body.reason,
                    method + ": HTTP " + status + (body.reason == null ? "" : " " + body.reason) + ": " + message,
                    t);
        }
        if (find(t, SocketTimeoutException.class) != null) {
            return new CloudException(Kind.DEADLINE, 0, null, method + ": timed out: " + rootMessage(t), t);
        }
        if (find(t, InterruptedException.class) != null
                || find(t, CancellationException.class) != null
                || (find(t, InterruptedIOException.class) != null
                        && Thread.currentThread().isInterrupted())) {
            return new CloudException(Kind.CANCELLED, 0, null, method + ": cancelled", t);
        }
        if (find(t, ConnectException.class) != null || find(t, UnknownHostException.class) != null) {
            return new CloudException(
                    Kind.UNAVAILABLE, 0, null, method + ": cannot reach Compute Engine: " + rootMessage(t), t);
        }
        ApiException api = find(t, ApiException.class);
        if (api != null) {
            Kind kind = switch (api.getStatusCode().getCode()) {
                case DEADLINE_EXCEEDED -> Kind.DEADLINE;
                case UNAVAILABLE, INTERNAL -> Kind.UNAVAILABLE;
                case NOT_FOUND -> Kind.NOT_FOUND;
                case ALREADY_EXISTS -> Kind.ALREADY_EXISTS;
                case RESOURCE_EXHAUSTED -> Kind.RATE_LIMITED;
                case PERMISSION_DENIED -> Kind.PERMISSION_DENIED;
                case UNAUTHENTICATED -> Kind.UNAUTHENTICATED;
                case INVALID_ARGUMENT -> Kind.INVALID;
                case CANCELLED -> Kind.CANCELLED;
                default -> Kind.OTHER;
            };
            return new CloudException(
                    kind,
                    0,
                    api.getReason(),
                    method + ": " + api.getStatusCode().getCode() + ": " + rootMessage(t),
                    t);
        }
        return new CloudException(Kind.OTHER, 0, null, method + ": " + t, t);
    }

    /** Whether the operation ended in failure (it carries errors or an HTTP error status). */
    public static boolean failed(Operation op) {
        return (op.hasError() && op.getError().getErrorsCount() > 0) || op.getHttpErrorStatusCode() >= 400;
    }

    /**
     * Maps a DONE operation that failed; null when it succeeded. An operation whose {@code error} is set is
     * a failure even when its {@code httpErrorStatusCode} is absent (0).
     */
    public static CloudException fromOperation(String what, Operation op) {
        if (!failed(op)) {
            return null;
        }
        boolean hasErrors = op.hasError() && op.getError().getErrorsCount() > 0;
        int status = op.getHttpErrorStatusCode();
        String code = null;
        StringBuilder message = new StringBuilder();
        if (hasErrors) {
            for (Errors e : op.getError().getErrorsList()) {
                if (code == null && !e.getCode().isEmpty()) {
                    code = e.getCode();
                }
                if (message.length() > 0) {
                    message.append("; ");
                }
                message.append(e.getCode()).append(": ").append(e.getMessage());
            }
        } else {
            message.append(op.getHttpErrorMessage());
        }
        Kind kind = classify(code, status);
        return new CloudException(
                kind,
                status,
                code,
                what + ": operation " + op.getName() + " failed" + (status > 0 ? " (HTTP " + status + ")" : "") + ": "
                        + message,
                null);
    }

    /** The kind for a reason (or operation error code) and an HTTP status, either of which may be missing. */
    public static Kind classify(String reason, int httpStatus) {
        if (reason != null && !reason.isEmpty()) {
            Kind k = REASONS.get(reason.toLowerCase(Locale.ROOT).replace("_", ""));
            if (k != null) {
                return k;
            }
        }
        if (httpStatus == 404) {
            return Kind.NOT_FOUND;
        }
        if (httpStatus == 409) {
            return Kind.ALREADY_EXISTS;
        }
        if (httpStatus == 429) {
            return Kind.RATE_LIMITED;
        }
        if (httpStatus >= 500) {
            return Kind.UNAVAILABLE;
        }
        if (httpStatus == 401) {
            return Kind.UNAUTHENTICATED;
        }
        if (httpStatus == 403) {
            return Kind.PERMISSION_DENIED;
        }
        if (httpStatus == 412) {
            return Kind.NOT_READY;
        }
        if (httpStatus == 400) {
            return Kind.INVALID;
        }
        return Kind.OTHER;
    }

    record Body(int code, String reason, String message) {}

    /** Reads Google's JSON error body; tolerates anything else. */
    static Body parse(String content) {
        if (content == null || content.isBlank()) {
            return new Body(0, null, null);
        }
        try {
            JsonNode error = JSON.readTree(content).path("error");
            int code = error.path("code").asInt(0);
            String message = error.hasNonNull("message") ? error.get("message").asText() : null;
            String reason = null;
            JsonNode errors = error.path("errors");
            if (errors.isArray() && errors.size() > 0 && errors.get(0).hasNonNull("reason")) {
                reason = errors.get(0).get("reason").asText();
            }
            if (reason == null) {
                for (JsonNode d : error.path("details")) {
                    if (d.hasNonNull("reason")) {
                        reason = d.get("reason").asText();
                        break;
                    }
                }
            }
            return new Body(code, reason, message);
        } catch (java.io.IOException | RuntimeException e) {
            String shortened = content.length() > 200 ? content.substring(0, 200) + "..." : content;
            return new Body(0, null, shortened.strip());
        }
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() != null ? c.getMessage() : c.toString();
    }
}
