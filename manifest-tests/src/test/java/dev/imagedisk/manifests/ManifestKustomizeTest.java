package dev.imagedisk.manifests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.common.Version;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The kustomizations list exactly the files beside them, kubectl renders them, the rendered objects pass
 * the same checks, and the release version is the same in the pom, the kustomization and the Dockerfile.
 */
class ManifestKustomizeTest {

    private static Set<String> filesBeside(Path dir) {
        return Manifests.yamlFilesIn(dir).stream()
                .filter(p -> !Manifests.isKustomization(p))
                .map(p -> p.getFileName().toString())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static List<String> listingProblems(Path dir, Manifests.Kustomization k) {
        List<String> problems = new ArrayList<>();
        Set<String> listed = new TreeSet<>(k.resourcesOrEmpty());
        if (listed.size() != k.resourcesOrEmpty().size()) {
            problems.add(dir + ": a resource is listed twice");
        }
        for (String f : filesBeside(dir)) {
            if (!listed.contains(f)) {
                problems.add(dir + ": " + f + " is not listed in kustomization.yaml");
            }
        }
        for (String r : listed) {
            if (!Files.isRegularFile(dir.resolve(r))) {
                problems.add(dir + ": kustomization.yaml lists " + r + ", which does not exist");
            } else if (r.contains("/")) {
                problems.add(dir + ": " + r + " is outside this directory");
            }
        }
        return problems;
    }

    @Test
    void theBaseListsEveryFileInManifestsAndNothingElse() {
        Manifests.Kustomization k = Manifests.kustomization(Manifests.base());
        List<String> problems = listingProblems(Manifests.base(), k);
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        assertTrue(
                k.resourcesOrEmpty().stream().noneMatch(r -> r.startsWith("examples") || r.startsWith("iam")),
                "examples/ and iam/ are not part of the base");
    }

    @Test
    void theDoctorListsEveryFileBesideItAndUsesTheBasesImage() {
        Path doctor = Manifests.base().resolve("doctor");
        List<String> problems = listingProblems(doctor, Manifests.kustomization(doctor));
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        assertEquals(
                Manifests.kustomization(Manifests.base()).images(),
                Manifests.kustomization(doctor).images(),
                "the doctor Jobs run the image the base installs");
    }

    @Test
    void theExamplesListEveryFileBesideThem() {
        List<String> problems = listingProblems(Manifests.examples(), Manifests.kustomization(Manifests.examples()));
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void anUnlistedOrMissingFileIsCaught() {
        Manifests.Kustomization k = Manifests.kustomization(Manifests.base());
        List<String> fewer = new ArrayList<>(k.resourcesOrEmpty());
        String dropped = fewer.remove(fewer.size() - 1);
        Manifests.Kustomization missingOne = new Manifests.Kustomization(
                k.apiVersion(), k.kind(), k.namespace(), fewer, k.images(), k.labels(), k.patches());
        assertTrue(listingProblems(Manifests.base(), missingOne).stream().anyMatch(p -> p.contains(dropped)));
        List<String> more = new ArrayList<>(k.resourcesOrEmpty());
        more.add("storageclass.yaml");
        Manifests.Kustomization extra = new Manifests.Kustomization(
                k.apiVersion(), k.kind(), k.namespace(), more, k.images(), k.labels(), k.patches());
        assertTrue(listingProblems(Manifests.base(), extra).stream().anyMatch(p -> p.contains("does not exist")));
    }

    @Test
    void noOtherDirectoriesUnderManifests() throws IOException {
        try (Stream<Path> s = Files.list(Manifests.base())) {
            Set<String> dirs = s.filter(Files::isDirectory)
                    .map(p -> p.getFileName().toString())
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(Set.of("doctor", "examples", "iam"), dirs);
        }
        assertEquals(
                List.of(Manifests.iamRole()),
                Manifests.yamlFilesIn(Manifests.base().resolve("iam")));
    }

    // ---------------------------------------------------------------- kubectl kustomize

    private static Optional<Path> kubectl() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator))
                .map(d -> Path.of(d, "kubectl"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    private static String render(Path dir) throws Exception {
        Path kubectl = kubectl().orElse(null);
        Assumptions.assumeTrue(
                kubectl != null,
                "kubectl is not on PATH: skipping `kubectl kustomize` (the file checks above still ran)");
        Path err = Files.createTempFile("kustomize", ".err");
        try {
            Process p = new ProcessBuilder(kubectl.toString(), "kustomize", dir.toString())
                    .redirectError(err.toFile())
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize did not finish");
            assertEquals(0, p.exitValue(), "kubectl kustomize " + dir + " failed:\n" + Files.readString(err));
            return out;
        } finally {
            Files.deleteIfExists(err);
        }
    }

    @Test
    void kubectlRendersTheBaseAndTheRenderedObjectsPassTheChecks() throws Exception {
        List<HasMetadata> rendered = StrictYaml.kubernetes(render(Manifests.base()), "kubectl kustomize manifests/");
        assertEquals(Manifests.objectsOf(Manifests.base()).size(), rendered.size());
        List<String> problems = new ArrayList<>();
        problems.addAll(ManifestChecks.imagesPinned(rendered));
        problems.addAll(ManifestChecks.driverFlags(rendered));
        problems.addAll(ManifestChecks.driverModes(rendered));
        problems.addAll(ManifestChecks.driverName(rendered));
        problems.addAll(ManifestChecks.sockets(rendered));
        problems.addAll(ManifestChecks.ports(rendered));
        problems.addAll(ManifestChecks.serviceAccounts(rendered));
        problems.addAll(ManifestChecks.nodePlugin(rendered));
        problems.addAll(ManifestChecks.controller(rendered));
        problems.addAll(ManifestChecks.resources(rendered));
        problems.addAll(ManifestChecks.criticalPriorityQuota(rendered));
        assertTrue(problems.isEmpty(), String.join("\n", problems));

        Manifests.Kustomization.Image image =
                Manifests.kustomization(Manifests.base()).images().get(0);
        List<String> driverImages = ManifestChecks.workloads(rendered).stream()
                .flatMap(w -> w.pod().getContainers().stream())
                .filter(ManifestChecks::isDriver)
                .map(Container::getImage)
                .distinct()
                .toList();
        assertEquals(
                List.of(image.newName() + ":" + image.newTag()),
                driverImages,
                "kustomize sets the driver image of both workloads");
    }

    @Test
    void kubectlRendersTheExamples() throws Exception {
        List<HasMetadata> rendered =
                StrictYaml.kubernetes(render(Manifests.examples()), "kubectl kustomize manifests/examples/");
        assertEquals(Manifests.objectsOf(Manifests.examples()).size(), rendered.size());
        assertTrue(
                ManifestChecks.imagesPinned(rendered).isEmpty(),
                ManifestChecks.imagesPinned(rendered).toString());
    }

    // ---------------------------------------------------------------- one version everywhere

    @Test
    void theDriverImageTagIsTheProjectVersion() {
        Manifests.Kustomization k = Manifests.kustomization(Manifests.base());
        assertEquals(1, k.images().size());
        Manifests.Kustomization.Image image = k.images().get(0);
        assertEquals(ManifestChecks.DRIVER_IMAGE, image.name());
        assertEquals(ManifestChecks.DRIVER_IMAGE, ManifestChecks.repositoryName(image.newName()));
        assertEquals(Version.get(), image.newTag(), "manifests/kustomization.yaml images[].newTag");
    }

    @Test
    void theDockerfileRunsThePluginJarOfThePluginArtifactAtTheProjectVersion() {
        String dockerfile = Manifests.read(Manifests.repoRoot().resolve("Dockerfile"));
        Matcher version = Pattern.compile("(?m)^ARG VERSION=(\\S+)$").matcher(dockerfile);
        assertTrue(version.find(), "Dockerfile has no ARG VERSION=<default>");
        assertEquals(Version.get(), version.group(1), "Dockerfile ARG VERSION default");
        assertTrue(dockerfile.contains("org.opencontainers.image.version=\"${VERSION}\""), "OCI version label");
        assertTrue(
                Pattern.compile("(?m)^ARG BASE=debian:bookworm-slim$")
                        .matcher(dockerfile)
                        .find(),
                "the base is an argument defaulting to the official Debian image");
        Matcher entrypoint = Pattern.compile("(?m)^ENTRYPOINT (\\[.*])$").matcher(dockerfile);
        assertTrue(entrypoint.find(), "Dockerfile has no exec-form ENTRYPOINT");
        assertEquals("[\"/opt/java/bin/java\", \"-jar\", \"/opt/imagedisk/imagedisk-csi.jar\"]", entrypoint.group(1));
        // what `mvn package` built, no Maven stage
        assertTrue(dockerfile.contains(
                "COPY plugin-dist/target/plugin/imagedisk-csi.jar /opt/imagedisk/imagedisk-csi.jar"));
        assertTrue(
                dockerfile.contains("COPY plugin-dist/target/plugin/lib/ /opt/imagedisk/lib/"),
                "the jar's Class-Path names lib/ beside it");
        String instructions = dockerfile.replaceAll("(?m)^\\s*#.*$", "");
        assertFalse(instructions.contains("mvn ") || instructions.contains("maven"), "the image build runs no Maven");
        // docker build, podman build and buildah bud alike: no BuildKit-only syntax
        assertFalse(Pattern.compile("(?m)^# *syntax=").matcher(dockerfile).find(), "a BuildKit frontend directive");
        assertFalse(dockerfile.contains("--mount="), "RUN --mount is BuildKit-only");
        assertFalse(dockerfile.contains("--link"), "COPY --link is BuildKit-only");
        assertFalse(dockerfile.contains("<<"), "heredocs are BuildKit-only");
        // the archives the manifests map are the ones the build makes
        for (String archive : new String[] {"/opt/imagedisk/node.jsa", "/opt/imagedisk/controller.jsa"}) {
            assertTrue(dockerfile.contains("--out " + archive), "the build makes " + archive);
        }
        assertFalse(Pattern.compile("(?m)^USER (0|root)").matcher(dockerfile).find(), "the image defaults to non-root");
    }
}
