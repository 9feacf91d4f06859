package dev.imagedisk.csisanity;

import static org.junit.jupiter.api.Assertions.fail;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Arrays;
import java.util.function.Supplier;

/** gRPC status assertions. */
final class Codes {
    private Codes() {}

    /** The status code a call ends with (OK when it returns). */
    static Status.Code codeOf(Supplier<?> call) {
        try {
            call.get();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    /** Asserts that {@code call} fails with {@code expected}; returns the failure. */
    static StatusRuntimeException assertCode(Status.Code expected, Supplier<?> call, String what) {
        return assertCodeIn(what, call, expected);
    }

    /** Asserts that {@code call} fails with one of {@code allowed}. */
    static StatusRuntimeException assertCodeIn(String what, Supplier<?> call, Status.Code... allowed) {
        Object response;
        try {
            response = call.get();
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (Arrays.asList(allowed).contains(code)) {
                return e;
            }
            return fail(
                    what + ": expected " + describe(allowed) + ", got " + code + ": "
                            + e.getStatus().getDescription(),
                    e);
        }
        return fail(what + ": expected " + describe(allowed) + ", but the call succeeded"
                + (response == null ? "" : " with " + oneLine(response)));
    }

    /** Asserts the call succeeds (or fails with one of {@code alsoAllowed}); returns its code. */
    static Status.Code assertOkOr(String what, Supplier<?> call, Status.Code... alsoAllowed) {
        try {
            call.get();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (Arrays.asList(alsoAllowed).contains(code)) {
                return code;
            }
            return fail(
                    what + ": expected OK" + (alsoAllowed.length > 0 ? " or " + describe(alsoAllowed) : "") + ", got "
                            + code + ": " + e.getStatus().getDescription(),
                    e);
        }
    }

    static String oneLine(Object message) {
        String s = String.valueOf(message).replace('\n', ' ').trim();
        return s.isEmpty() ? "{}" : "{" + s + "}";
    }

    private static String describe(Status.Code... codes) {
        return codes.length == 1 ? codes[0].toString() : Arrays.toString(codes);
    }
}
