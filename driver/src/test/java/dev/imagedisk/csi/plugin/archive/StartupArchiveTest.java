package dev.imagedisk.csi.plugin.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.plugin.Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("integration")
class StartupArchiveTest {
    @TempDir
    Path dir;

    @Test
    void archiveKindFollowsTheRuntimeRelease() {
        assertEquals(StartupArchive.Kind.CDS, StartupArchive.Kind.of(17));
        assertEquals(StartupArchive.Kind.CDS, StartupArchive.Kind.of(21));
        assertEquals(StartupArchive.Kind.AOT, StartupArchive.Kind.of(25));
        assertEquals("-XX:SharedArchiveFile=/a.jsa", StartupArchive.Kind.CDS.useOption(Path.of("/a.jsa")));
        assertEquals("-XX:AOTCache=/a.aot", StartupArchive.Kind.AOT.useOption(Path.of("/a.aot")));
        assertEquals("-XX:AOTCacheOutput=/a.aot", StartupArchive.Kind.AOT.createOption(Path.of("/a.aot")));
    }

    @Test
    void trainingRunPassesOnlyTheFlagsOfItsMode() {
        List<String> node = StartupArchive.trainingArgs(Mode.node, dir);
        assertTrue(node.contains("--node-id") && !node.contains("--project"), node.toString());
        List<String> controller = StartupArchive.trainingArgs(Mode.controller, dir);
        assertTrue(controller.contains("--project") && !controller.contains("--node-id"), controller.toString());
    }

    /** The node archive made the image's way maps: a start with it loads classes from the shared archive. */
    @Test
    void nodeArchiveIsWrittenAndMaps() throws Exception {
        JavaRuntime runtime = JavaRuntime.current();
        String cp = jarredClassPath();
        Path out = dir.resolve("node.jsa");
        StartupArchive.Result r = StartupArchive.create(
                runtime,
                cp,
                Mode.node,
                out,
                List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                List.of(),
                dir.resolve("train.log"));
        assertTrue(Files.size(out) > 1 << 20, "archive of " + Files.size(out) + " bytes");
        assertEquals(out.toAbsolutePath(), r.file());
        List<String> cmd = new java.util.ArrayList<>(StartupArchive.javaCommand(
                runtime,
                cp,
                List.of(
                        "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1",
                        r.useOption(),
                        "-Xshare:on",
                        "-Xlog:class+load=info")));
        cmd.add("--version");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), output);
        assertTrue(
                output.contains("dev.imagedisk.csi.plugin.PluginCommand source: shared objects file"),
                output.lines()
                        .filter(l -> l.contains("imagedisk.csi.plugin.PluginCommand"))
                        .toList()
                        .toString());
    }

    /**
     * The image's controller archive: a dynamic archive on the node's static one holds only the classes the node's
     * lacks, and a start given it maps both (the controller's own classes from the top, the JDK's from the base).
     */
    @Test
    void archiveOnABaseHoldsOnlyWhatTheBaseLacksAndMapsWithIt() throws Exception {
        JavaRuntime runtime = JavaRuntime.current();
        org.junit.jupiter.api.Assumptions.assumeTrue(
                runtime.archiveKind() == StartupArchive.Kind.CDS, "AOT caches are always whole");
        String cp = jarredClassPath();
        List<String> options = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
        Path base = dir.resolve("node.jsa");
        StartupArchive.create(runtime, cp, Mode.node, base, options, List.of(), dir.resolve("node.log"));
        Path top = dir.resolve("controller.jsa");
        StartupArchive.create(runtime, cp, Mode.controller, base, top, options, List.of(), dir.resolve("top.log"));
        Path whole = dir.resolve("controller-whole.jsa");
        StartupArchive.create(runtime, cp, Mode.controller, whole, options, List.of(), dir.resolve("whole.log"));
        assertTrue(
                Files.size(top) < Files.size(whole) / 2,
                "top " + Files.size(top) + " bytes, whole " + Files.size(whole) + " bytes");

        List<String> cmd = new java.util.ArrayList<>(StartupArchive.javaCommand(
                runtime,
                cp,
                List.of(
                        "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1",
                        StartupArchive.Kind.CDS.useOption(top),
                        "-Xshare:on",
                        "-Xlog:cds=info",
                        "-Xlog:class+load=info")));
        cmd.add("--version");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), output);
        assertTrue(output.contains("Opened archive " + base), "the base is not mapped:\n" + output);
        assertTrue(output.contains("java.lang.Object source: shared objects file"), "JDK classes from the base");
        assertTrue(output.contains("dev.imagedisk.csi.plugin.PluginCommand source: shared objects file"));
    }

    /** The test class path with each class directory packed into a jar (CDS maps jars only). */
    private String jarredClassPath() throws java.io.IOException {
        List<String> out = new java.util.ArrayList<>();
        int n = 0;
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(e);
            if (!Files.isDirectory(p)) {
                out.add(e);
                continue;
            }
            Path jar = dir.resolve("cp" + n++ + ".jar");
            try (java.util.jar.JarOutputStream j = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
                    java.util.stream.Stream<Path> files = Files.walk(p)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    j.putNextEntry(new java.util.jar.JarEntry(
                            p.relativize(f).toString().replace('\\', '/')));
                    Files.copy(f, j);
                    j.closeEntry();
                }
            }
            out.add(jar.toString());
        }
        return String.join(java.io.File.pathSeparator, out);
    }
}
