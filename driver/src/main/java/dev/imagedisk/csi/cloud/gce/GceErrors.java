package dev.imagedisk.csi.cloud.gce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.api.client.http.HttpResponseException;
import com.google.api.gax.rpc.ApiException;
import com.google.cloud.compute.v1.ErrorDetails;
import com.google.cloud.compute.v1.Errors;
import com.google.cloud.compute.v1.Operation;
import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.CloudException.Kind;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
            Map.entry("zoneresourcepoolexhausted", Kind.ZONE_EXHAUSTED),
            Map.entry("zoneresourcepoolexhaustedwithdetails", Kind.ZONE_EXHAUSTED),
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
            String text = method + ": HTTP " + status + (body.reason == null ? "" : " " + body.reason) + ": " + message;
            Place place = place(body.reason, message, List.of(), null, false);
            if (place != null) {
                return new CloudException(place.kind(), status, body.reason, text, t, place.location());
            }
            return new CloudException(classify(body.reason, status), status, body.reason, text, t);
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
        String text = what + ": operation " + op.getName() + " failed" + (status > 0 ? " (HTTP " + status + ")" : "")
                + ": " + message;
        if (hasErrors) {
            for (Errors e : op.getError().getErrorsList()) {
                Place place =
                        place(e.getCode(), e.getMessage(), e.getErrorDetailsList(), lastSegment(op.getZone()), true);
                if (place != null) {
                    return new CloudException(place.kind(), status, e.getCode(), text, null, place.location());
                }
            }
        }
        return new CloudException(classify(code, status), status, code, text, null);
    }

    /** Where a capacity failure is, and which kind it is. */
    record Place(Kind kind, String location) {}

    private static final Pattern ZONE_PATH = Pattern.compile("zones/([a-z0-9-]+)");
    private static final Pattern IN_ZONE = Pattern.compile("\\bin zone ([a-z0-9-]+)");
    private static final Pattern IN_REGION = Pattern.compile("\\bin region ([a-z0-9-]+)");
    /** A resource quota's message ("Quota 'SSD_TOTAL_GB' exceeded.  Limit: ..."), not an API rate quota's. */
    private static final Pattern RESOURCE_QUOTA = Pattern.compile("Quota '[A-Za-z0-9_-]+' exceeded");

    /**
     * A stockout or a resource quota, or null for any other failure. Stockouts
     * ({@code ZONE_RESOURCE_POOL_EXHAUSTED[_WITH_DETAILS]}) are about a zone: the one in {@code errorInfo.metadatas},
     * else in the message ({@code projects/P/zones/Z}), else {@code fallbackZone} (the operation's). A resource
     * quota ({@code QUOTA_EXCEEDED}, or a {@code quotaExceeded} call whose message names a quota) is about the
     * dimension of its {@code quotaInfo} (zone or region), else the message's "in zone Z" / "in region R"; with
     * neither it is project-wide. {@code quotaExceeded} with any other message (an API's request quota) is no
     * capacity failure.
     *
     * @param operation whether this is an operation's error (whose {@code QUOTA_EXCEEDED} is always a resource quota)
     */
    static Place place(
            String code, String message, List<ErrorDetails> details, String fallbackZone, boolean operation) {
        if (code == null || code.isEmpty()) {
            return null;
        }
        String c = code.toLowerCase(Locale.ROOT).replace("_", "");
        String text = message == null ? "" : message;
        if (c.equals("zoneresourcepoolexhausted") || c.equals("zoneresourcepoolexhaustedwithdetails")) {
            for (ErrorDetails d : details) {
                String zone = d.getErrorInfo().getMetadatasMap().get("zone");
                if (zone != null && !zone.isEmpty()) {
                    return new Place(Kind.ZONE_EXHAUSTED, zone);
                }
            }
            Matcher m = ZONE_PATH.matcher(text);
            return new Place(Kind.ZONE_EXHAUSTED, m.find() ? m.group(1) : fallbackZone == null ? "" : fallbackZone);
        }
        if (c.equals("quotaexceeded")) {
            for (ErrorDetails d : details) {
                if (d.hasQuotaInfo()) {
                    Map<String, String> dims = d.getQuotaInfo().getDimensionsMap();
                    if (dims.containsKey("zone")) {
                        return new Place(Kind.ZONE_EXHAUSTED, dims.get("zone"));
                    }
                    return new Place(Kind.QUOTA_EXCEEDED, dims.getOrDefault("region", ""));
                }
            }
            Matcher zone = IN_ZONE.matcher(text);
            if (zone.find()) {
                return new Place(Kind.ZONE_EXHAUSTED, zone.group(1));
            }
            Matcher region = IN_REGION.matcher(text);
            if (region.find()) {
                return new Place(Kind.QUOTA_EXCEEDED, region.group(1));
            }
            if (operation || RESOURCE_QUOTA.matcher(text).find()) {
                return new Place(Kind.QUOTA_EXCEEDED, "");
            }
        }
        return null;
    }

    private static String lastSegment(String link) {
        if (link == null || link.isEmpty()) {
            return null;
        }
        return link.substring(link.lastIndexOf('/') + 1);
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
