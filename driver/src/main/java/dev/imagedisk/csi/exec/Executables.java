package dev.imagedisk.csi.exec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Finds programs the way a process started from this one would: on PATH, plus the sbin directories. */
public final class Executables {
    private final List<Path> dirs;

    public Executables(String path) {
        Set<Path> found = new LinkedHashSet<>();
        if (path != null) {
            for (String dir : path.split(":")) {
                if (!dir.isBlank()) {
                    found.add(Path.of(dir));
                }
            }
        }
        this.dirs = new ArrayList<>(found);
    }

    public static Executables fromEnvironment() {
        return new Executables(System.getenv("PATH"));
    }

    public Optional<Path> find(String program) {
        for (Path dir : dirs) {
            Path candidate = dir.resolve(program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    public boolean has(String program) {
        return find(program).isPresent();
    }
}
