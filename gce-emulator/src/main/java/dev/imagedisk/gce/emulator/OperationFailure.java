package dev.imagedisk.gce.emulator;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Thrown while an operation runs: the operation ends {@code DONE} with {@code error.errors[0] =
 * {code, message[, errorDetails]}} and, when {@code httpStatus > 0}, {@code httpErrorStatusCode}/{@code httpErrorMessage}.
 */
final class OperationFailure extends RuntimeException {
    final String code;
    final int httpStatus;
    /** {@code errorDetails} of the error (an array), or null. */
    final JsonNode details;

    OperationFailure(String code, String message, int httpStatus) {
        this(code, message, httpStatus, null);
    }

    OperationFailure(String code, String message, int httpStatus, JsonNode details) {
        super(message);
        this.code = code;
        this.httpStatus = httpStatus;
        this.details = details;
    }
}
