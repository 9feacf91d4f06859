package dev.imagedisk.gce.emulator;

/**
 * Thrown while an operation runs: the operation ends {@code DONE} with {@code error.errors[0] =
 * {code, message}} and, when {@code httpStatus > 0}, {@code httpErrorStatusCode}/{@code httpErrorMessage}.
 */
final class OperationFailure extends RuntimeException {
    final String code;
    final int httpStatus;

    OperationFailure(String code, String message, int httpStatus) {
        super(message);
        this.code = code;
        this.httpStatus = httpStatus;
    }
}
