package dev.imagedisk.gce.emulator;

/**
 * A Compute Engine API error: rendered as Google's JSON error body
 * {@code {"error":{"code":N,"message":"...","errors":[{"reason":"...","domain":"global","message":"..."}]}}}
 * with HTTP status {@code N}.
 */
public final class GceException extends RuntimeException {
    private final int httpStatus;
    private final String reason;
    private final String domain;

    public GceException(int httpStatus, String reason, String message) {
        this(httpStatus, reason, "global", message);
    }

    public GceException(int httpStatus, String reason, String domain, String message) {
        super(message);
        this.httpStatus = httpStatus;
        this.reason = reason;
        this.domain = domain;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public String reason() {
        return reason;
    }

    public String domain() {
        return domain;
    }

    static GceException notFound(String resourcePath) {
        return new GceException(404, "notFound", "The resource '" + resourcePath + "' was not found");
    }

    static GceException alreadyExists(String resourcePath) {
        return new GceException(409, "alreadyExists", "The resource '" + resourcePath + "' already exists");
    }

    static GceException inUse(String diskPath, String instancePath) {
        return new GceException(
                400,
                "resourceInUseByAnotherResource",
                "The disk resource '" + diskPath + "' is already being used by '" + instancePath + "'");
    }

    static GceException notReady(String resourcePath) {
        return new GceException(400, "resourceNotReady", "The resource '" + resourcePath + "' is not ready");
    }

    static GceException invalid(String message) {
        return new GceException(400, "invalid", message);
    }

    static GceException invalidField(String field, Object value, String detail) {
        return new GceException(400, "invalid", "Invalid value for field '" + field + "': '" + value + "'. " + detail);
    }

    static GceException required(String field) {
        return new GceException(400, "required", "Required field '" + field + "' not specified");
    }

    /** Default message Compute Engine uses for a given reason, for injected errors. */
    static String defaultMessage(int status, String reason) {
        switch (reason) {
            case "rateLimitExceeded":
                return "Rate Limit Exceeded";
            case "backendError":
                return "Internal error. Please try again or contact Google Support.";
            case "internalError":
                return "Internal Error";
            case "quotaExceeded":
                return "Quota exceeded";
            case "notFound":
                return "The resource was not found";
            case "forbidden":
                return "Required permission is missing";
            case "resourceNotReady":
                return "The resource is not ready";
            default:
                return "Injected error " + status + " " + reason;
        }
    }

    static String domainFor(String reason) {
        switch (reason) {
            case "rateLimitExceeded":
            case "userRateLimitExceeded":
            case "quotaExceeded":
                return "usageLimits";
            default:
                return "global";
        }
    }
}
