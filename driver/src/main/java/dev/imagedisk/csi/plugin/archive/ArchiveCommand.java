package dev.imagedisk.csi.plugin.archive;

import dev.imagedisk.csi.plugin.Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code imagedisk archive --mode node|controller --out FILE}: writes the start-up archive of one plugin mode
 * exactly as the image build does, with this JVM's runtime and the JAVA_TOOL_OPTIONS of the environment (or of a
 * manifest). The Dockerfile runs it from the plugin artifact itself ({@link #main}: {@code java -cp
 * /opt/imagedisk/imagedisk-csi.jar dev.imagedisk.csi.plugin.archive.ArchiveCommand ...}), so the image's own
 * runtime trains and dumps the archive for the image's own class path.
 */
@Command(
        name = "archive",
        mixinStandardHelpOptions = true,
        description = {
            "Write the start-up archive of a plugin mode: a training run of the plugin in that mode records"
                    + " the classes serving needs; JDK 25+ writes an AOT cache (-XX:AOTCache=FILE maps it), older JDKs"
                    + " a dynamic AppCDS archive (-XX:SharedArchiveFile=FILE).",
            "The archive serves JVMs of the same runtime, started the same way (java -jar on the same jar path)."
        })
public final class ArchiveCommand implements Callable<Integer> {
    @Option(
            names = "--mode",
            required = true,
            paramLabel = "node|controller|all",
            description = "The plugin mode the archive is trained for (the image makes one per mode).")
    Mode mode;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the archive.")
    Path out;

    @Option(
            names = "--manifest",
            paramLabel = "FILE",
            description = "Train with the JAVA_TOOL_OPTIONS (and -XX:MaxRAM = the memory limit) of this manifest's"
                    + " imagedisk container, as it will run, instead of the environment's.")
    Path manifest;

    @Option(
            names = "--base",
            paramLabel = "FILE",
            description = "A static archive of another mode (same runtime and jars) to build on: a JDK 17 runtime"
                    + " writes a dynamic archive of only the classes it lacks, mapped together with it (the image's"
                    + " controller archive sits on the node's).")
    Path base;

    @Option(
            names = "--jvm-option",
            paramLabel = "OPTION",
            description = "Extra JVM option for the training run (repeatable); JAVA_TOOL_OPTIONS is inherited.")
    List<String> jvmOptions = new ArrayList<>();

    /** The image build's entry point (the plugin jar's Main-Class is the plugin command). */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ArchiveCommand())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path log = Files.createTempFile("imagedisk-archive-", ".log");
        try {
            List<String> toolOptions =
                    manifest == null ? null : ManifestJvm.of(manifest).options();
            StartupArchive.Result r = StartupArchive.create(
                    JavaRuntime.current(),
                    System.getProperty("java.class.path"),
                    mode,
                    base,
                    out,
                    toolOptions,
                    jvmOptions,
                    log);
            System.out.printf(
                    "%s archive for --mode %s: %s (%.1f MiB, %d ms); map it with %s%n",
                    r.kind(), mode, r.file(), r.bytes() / 1048576.0, r.nanos() / 1_000_000, r.useOption());
            Files.deleteIfExists(log);
            return 0;
        } catch (java.io.IOException e) {
            System.err.println("imagedisk archive: " + e.getMessage());
            System.err.println("imagedisk archive: the training run's output is in " + log);
            return 1;
        }
    }
}
