package dev.imagedisk.csi.plugin.archive;

import csi.v1.ControllerGetCapabilitiesRequest;
import csi.v1.ControllerGrpc;
import csi.v1.GetPluginCapabilitiesRequest;
import csi.v1.GetPluginInfoRequest;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGetCapabilitiesRequest;
import csi.v1.NodeGetInfoRequest;
import csi.v1.NodeGrpc;
import csi.v1.ProbeRequest;
import dev.imagedisk.csi.plugin.Mode;
import dev.imagedisk.csi.plugin.PluginCommand;
import dev.imagedisk.csi.server.CsiChannels;
import io.grpc.StatusRuntimeException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The start-up archive of one plugin mode, made the one way the image build, {@code imagedisk archive} and the
 * benchmarks make it: a training run of {@code plugin --mode MODE} (the plugin starts with the flags its
 * container passes, answers the sidecars' first calls, made from this JVM over its socket, and exits on
 * SIGTERM) in a child JVM of
 * the runtime that will map it, launched exactly as the container launches the plugin. On JDK 25 and later the run
 * writes an AOT cache ({@code -XX:AOTCacheOutput}, mapped with {@code -XX:AOTCache=FILE}); before, it writes the
 * list of the classes it loaded ({@code -XX:DumpLoadedClassList}) and a second JVM dumps a static AppCDS archive
 * of exactly those, JDK classes included ({@code -Xshare:dump}, mapped with {@code -XX:SharedArchiveFile=FILE}
 * in place of the JDK's default archive).
 *
 * <p>An archive only serves a JVM of the same build, the same class path and compatible options: the child
 * gets the caller's {@code JAVA_TOOL_OPTIONS} (the manifest's, in the image build and the bench) unless told
 * otherwise.
 */
public final class StartupArchive {
    /** JDK feature release from which the AOT cache (JEP 483/514) replaces the dynamic CDS archive. */
    static final int AOT_CACHE_FEATURE = 25;

    private StartupArchive() {}

    /** What kind of archive this JVM's runtime makes. */
    public enum Kind {
        CDS,
        AOT;

        public static Kind of(int javaFeature) {
            return javaFeature >= AOT_CACHE_FEATURE ? AOT : CDS;
        }

        /**
         * The JVM option that writes the archive from a training run: an AOT cache at exit; for CDS a dynamic
         * archive at exit (not used: {@link #create} dumps a static one from the run's class list instead).
         */
        public String createOption(Path out) {
            return (this == AOT ? "-XX:AOTCacheOutput=" : "-XX:ArchiveClassesAtExit=") + out;
        }

        /** The JVM option that maps the archive at start. */
        public String useOption(Path archive) {
            return (this == AOT ? "-XX:AOTCache=" : "-XX:SharedArchiveFile=") + archive;
        }
    }

    /**
     * The command prefix that starts the plugin on this JVM's runtime and class path: {@code java -jar JAR plugin}
     * when this JVM runs from a jar (as the image and ./imagedisk do), else {@code java -cp CP PluginCommand}. An
     * archive is valid only for starts with the same class path, so the training run and the starts that map the
     * archive both use this.
     */
    public static List<String> javaCommand(JavaRuntime runtime, List<String> jvmArgs) {
        return javaCommand(runtime, System.getProperty("java.class.path"), jvmArgs);
    }

    /**
     * As {@link #javaCommand(JavaRuntime, List)} with the class path {@code cp} (CDS takes jars only, no
     * class directories).
     */
    public static List<String> javaCommand(JavaRuntime runtime, String cp, List<String> jvmArgs) {
        List<String> cmd = new ArrayList<>();
        cmd.add(runtime.java().toString());
        cmd.addAll(jvmArgs);
        if (cp.endsWith(".jar") && !cp.contains(File.pathSeparator)) {
            cmd.add("-jar");
            cmd.add(cp);
            cmd.add("plugin");
        } else {
            cmd.add("-cp");
            cmd.add(cp);
            cmd.add(PluginCommand.class.getName());
        }
        return cmd;
    }

    /**
     * The plugin flags of the training run: the mode, a socket and directories under {@code work}, endpoints
     * that answer nothing, and the logging and metrics flags the manifests pass (so their classes are in the
     * archive).
     */
    static List<String> trainingArgs(Mode mode, Path work) {
        List<String> a = new ArrayList<>(List.of(
                "--mode",
                mode.name(),
                "--endpoint",
                "unix://" + work.resolve("csi.sock"),
                "--driver-name",
                "imagedisk.csi.dev",
                "--log-format",
                "json",
                "--log-level",
                "warn",
                "--metrics-address",
                "127.0.0.1:0",
                "--metadata-endpoint",
                "http://127.0.0.1:9"));
        if (mode.controllerService()) {
            a.addAll(List.of("--project", "archive", "--compute-endpoint", "http://127.0.0.1:9"));
        }
        if (mode.nodeService()) {
            a.addAll(List.of(
                    "--node-id",
                    "projects/archive/zones/archive-a/instances/archive",
                    "--kubelet-dir",
                    work.toString(),
                    "--device-dir",
                    work.toString()));
        }
        a.addAll(List.of("--zone", "archive-a"));
        return a;
    }

    /** What a training run made. */
    public record Result(Kind kind, Path file, long bytes, long nanos, String useOption) {}

    /**
     * Runs the training run and writes the archive to {@code out} (replacing it).
     *
     * @param runtime the Java runtime that will map the archive (an archive serves only its own build)
     * @param toolOptions the child's JAVA_TOOL_OPTIONS; null to inherit this process's
     * @param log where the child's output goes
     * @throws IOException when the run fails or writes no archive (the message holds the end of its output)
     */
    public static Result create(
            JavaRuntime runtime, Mode mode, Path out, List<String> toolOptions, List<String> extraJvmArgs, Path log)
            throws IOException, InterruptedException {
        return create(runtime, System.getProperty("java.class.path"), mode, out, toolOptions, extraJvmArgs, log);
    }

    /** As {@link #create(JavaRuntime, Mode, Path, List, List, Path)}, for starts with the class path {@code cp}. */
    public static Result create(
            JavaRuntime runtime,
            String cp,
            Mode mode,
            Path out,
            List<String> toolOptions,
            List<String> extraJvmArgs,
            Path log)
            throws IOException, InterruptedException {
        return create(runtime, cp, mode, null, out, toolOptions, extraJvmArgs, log);
    }

    /**
     * As {@link #create(JavaRuntime, String, Mode, Path, List, List, Path)}; with a {@code base} (a static CDS
     * archive made here for another mode, same runtime and class path) a JDK 17 runtime writes a dynamic archive
     * on top of it: only the classes the base lacks (the image's controller archive over the node's is 14 MiB
     * instead of 47). A JVM given the top archive maps the base from the path recorded in it. Ignored for AOT
     * caches, which are always whole.
     */
    public static Result create(
            JavaRuntime runtime,
            String cp,
            Mode mode,
            Path base,
            Path out,
            List<String> toolOptions,
            List<String> extraJvmArgs,
            Path log)
            throws IOException, InterruptedException {
        Kind kind = runtime.archiveKind();
        boolean onTop = base != null && kind == Kind.CDS;
        if (onTop && !Files.isRegularFile(base)) {
            throw new IOException("the base archive " + base + " does not exist");
        }
        Path file = out.toAbsolutePath();
        Files.createDirectories(file.getParent());
        Files.deleteIfExists(file);
        Path work = Files.createTempDirectory("imagedisk-archive-");
        try {
            Path classList = work.resolve("classes.lst");
            List<String> jvmArgs = new ArrayList<>(extraJvmArgs);
            if (onTop) {
                jvmArgs.add(kind.useOption(base.toAbsolutePath()));
                jvmArgs.add(kind.createOption(file));
            } else {
                jvmArgs.add(kind == Kind.AOT ? kind.createOption(file) : "-XX:DumpLoadedClassList=" + classList);
            }
            jvmArgs.add(kind == Kind.AOT ? "-Xlog:aot=error,cds=error" : "-Xlog:cds=error");
            List<String> cmd = javaCommand(runtime, cp, jvmArgs);
            cmd.addAll(trainingArgs(mode, work));
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().remove("JDK_JAVA_OPTIONS");
            pb.environment().remove("_JAVA_OPTIONS");
            if (toolOptions != null) {
                List<String> opts = new ArrayList<>(toolOptions);
                opts.removeIf(o -> o.startsWith("-XX:SharedArchiveFile=") || o.startsWith("-XX:AOTCache="));
                if (opts.isEmpty()) {
                    pb.environment().remove("JAVA_TOOL_OPTIONS");
                } else {
                    pb.environment().put("JAVA_TOOL_OPTIONS", String.join(" ", opts));
                }
            } else {
                String inherited = pb.environment().get("JAVA_TOOL_OPTIONS");
                if (inherited != null) {
                    // an archive is not made while another one is mapped
                    pb.environment()
                            .put(
                                    "JAVA_TOOL_OPTIONS",
                                    inherited
                                            .replaceAll("-XX:(SharedArchiveFile|AOTCache)=\\S+", "")
                                            .trim());
                }
            }
            long t0 = System.nanoTime();
            Process p = pb.start();
            try {
                firstCalls(mode, work.resolve("csi.sock"), p);
            } catch (IOException e) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new IOException(e.getMessage() + "; end of its output:\n" + tail(log), e);
            }
            p.destroy(); // SIGTERM: the plugin drains and exits, and the JVM writes the archive on its way out
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new IOException("the training run did not end within 5 minutes of SIGTERM; see " + log);
            }
            if (kind == Kind.CDS && !onTop) {
                // one static archive of exactly the classes the run loaded, JDK classes included: it replaces the
                // JDK's default archive, so a start maps (and, relocating it, touches) one archive, not two
                if (p.exitValue() != 0 || !Files.isRegularFile(classList)) {
                    throw new IOException("the training run exited " + p.exitValue() + " and wrote "
                            + (Files.isRegularFile(classList) ? "its class list" : "no class list")
                            + "; end of its output:\n" + tail(log));
                }
                List<String> dumpArgs = new ArrayList<>(extraJvmArgs);
                dumpArgs.addAll(List.of(
                        "-Xshare:dump",
                        "-XX:SharedClassListFile=" + classList,
                        "-XX:SharedArchiveFile=" + file,
                        "-Xlog:cds=error"));
                ProcessBuilder dump = new ProcessBuilder(javaCommand(runtime, cp, dumpArgs))
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                dump.environment().clear();
                dump.environment().putAll(pb.environment());
                p = dump.start();
                if (!p.waitFor(5, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    throw new IOException("the archive dump did not end within 5 minutes; see " + log);
                }
                cmd = dump.command();
            }
            long nanos = System.nanoTime() - t0;
            if (p.exitValue() != 0 || !Files.isRegularFile(file) || Files.size(file) == 0) {
                throw new IOException("the archive run (" + String.join(" ", cmd) + ") exited " + p.exitValue()
                        + " and wrote " + (Files.isRegularFile(file) ? Files.size(file) + " bytes" : "no archive")
                        + "; end of its output:\n" + tail(log));
            }
            return new Result(kind, file, Files.size(file), nanos, kind.useOption(file));
        } finally {
            deleteTree(work);
        }
    }

    /**
     * The sidecars' first calls, made from this JVM over the plugin's socket (so the gRPC client's classes, which
     * the plugin never uses, stay out of its archive): Probe until the plugin answers (ready or not: the
     * training run reaches no Compute Engine), plugin info, capabilities, and the mode's capabilities and node
     * info.
     */
    static void firstCalls(Mode mode, Path socket, Process plugin) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (true) {
            if (!plugin.isAlive()) {
                throw new IOException("the training run exited with " + plugin.exitValue() + " before serving");
            }
            if (Files.exists(socket)) {
                try (CsiChannels.Client c = CsiChannels.connect(socket)) {
                    IdentityGrpc.IdentityBlockingStub identity =
                            IdentityGrpc.newBlockingStub(c.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
                    // answered at all is enough: a controller without a reachable Compute Engine answers "not ready"
                    identity.probe(ProbeRequest.getDefaultInstance());
                    identity.getPluginInfo(GetPluginInfoRequest.getDefaultInstance());
                    identity.getPluginCapabilities(GetPluginCapabilitiesRequest.getDefaultInstance());
                    if (mode.controllerService()) {
                        ControllerGrpc.newBlockingStub(c.channel())
                                .withDeadlineAfter(30, TimeUnit.SECONDS)
                                .controllerGetCapabilities(ControllerGetCapabilitiesRequest.getDefaultInstance());
                    }
                    if (mode.nodeService()) {
                        NodeGrpc.NodeBlockingStub node =
                                NodeGrpc.newBlockingStub(c.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
                        node.nodeGetCapabilities(NodeGetCapabilitiesRequest.getDefaultInstance());
                        node.nodeGetInfo(NodeGetInfoRequest.getDefaultInstance());
                    }
                    return;
                } catch (StatusRuntimeException e) {
                    // not serving yet
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the training run did not answer Probe within 2 minutes");
            }
            Thread.sleep(20);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temp dir
        }
    }
}
