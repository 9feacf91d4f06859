package dev.imagedisk.csi.exec;

/** An external program could not be run to its end: it failed to start, or it ran out of time. */
public class CommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final boolean timedOut;

    public CommandException(String message, boolean timedOut, Throwable cause) {
        super(message, cause);
        this.timedOut = timedOut;
    }

    /** True when the program was killed because the call's deadline (or the command time limit) passed. */
    public boolean timedOut() {
        return timedOut;
    }
}
