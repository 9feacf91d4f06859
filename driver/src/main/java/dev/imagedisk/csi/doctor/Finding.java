package dev.imagedisk.csi.doctor;

/**
 * One row of the doctor's table: what was checked, how it came out and what was seen, and the fix when it
 * is not OK.
 */
public record Finding(String check, Outcome outcome, String result, String fix) {
    /** How a check came out; only FAIL makes the doctor exit non-zero. */
    public enum Outcome {
        OK,
        WARN,
        FAIL,
        SKIPPED
    }

    public Finding {
        fix = fix == null ? "" : fix;
    }

    public static Finding ok(String check, String result) {
        return new Finding(check, Outcome.OK, result, "");
    }

    public static Finding fail(String check, String result, String fix) {
        return new Finding(check, Outcome.FAIL, result, fix);
    }

    public static Finding warn(String check, String result, String fix) {
        return new Finding(check, Outcome.WARN, result, fix);
    }

    public static Finding skipped(String check, String why) {
        return new Finding(check, Outcome.SKIPPED, why, "");
    }
}
