package dev.imagedisk.csi.exec;

import java.util.List;

/** How an external program ended: its exit code and what it printed. */
public record CommandResult(List<String> command, int exitCode, String stdout, String stderr) {
    public CommandResult {
        command = List.copyOf(command);
    }

    public boolean ok() {
        return exitCode == 0;
    }

    /** One line for error messages: the program, its exit code and the gist of its stderr. */
    public String describe() {
        String err = stderr.strip();
        if (err.isEmpty()) {
            err = stdout.strip();
        }
        if (err.length() > 600) {
            err = err.substring(0, 600) + "...";
        }
        return String.join(" ", command) + " exited " + exitCode + (err.isEmpty() ? "" : ": " + err.replace('\n', ' '));
    }
}
