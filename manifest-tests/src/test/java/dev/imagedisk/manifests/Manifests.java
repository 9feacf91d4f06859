package dev.imagedisk.manifests;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Where the manifests are, and what they hold, read strictly. */
final class Manifests {
    private Manifests() {}

    /** manifests/kustomization.yaml, and the shape of the examples' one: only the fields we use. */
    record Kustomization(
            String apiVersion,
            String kind,
            String namespace,
            List<String> resources,
            List<Image> images,
            List<Map<String, Object>> labels,
            List<Map<String, Object>> patches) {
        record Image(String name, String newName, String newTag, String digest) {}

        List<String> resourcesOrEmpty() {
            return resources == null ? List.of() : resources;
        }
    }

    /** A custom role in gcloud's role-definition YAML (gcloud iam roles create --file). */
    record IamRole(String title, String description, String stage, List<String> includedPermissions) {}

    /** The repository root: the nearest directory up from the working directory with manifests/kustomization.yaml. */
    static Path repoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("manifests/kustomization.yaml"))) {
                return p;
            }
        }
        throw new IllegalStateException("no manifests/kustomization.yaml above " + dir);
    }

    static Path base() {
        return repoRoot().resolve("manifests");
    }

    static Path examples() {
        return base().resolve("examples");
    }

    static Path iamRole() {
        return base().resolve("iam/imagedisk-controller-role.yaml");
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** YAML files directly in dir (not in subdirectories), sorted. */
    static List<Path> yamlFilesIn(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().matches(".*\\.ya?ml"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every YAML file under manifests/, recursively, sorted. */
    static List<Path> allYamlFiles() {
        try (Stream<Path> s = Files.walk(base())) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().matches(".*\\.ya?ml"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean isKustomization(Path file) {
        return file.getFileName().toString().matches("kustomization\\.ya?ml");
    }

    static String relative(Path file) {
        return repoRoot().relativize(file).toString();
    }

    static Kustomization kustomization(Path dir) {
        Path file = dir.resolve("kustomization.yaml");
        return StrictYaml.plain(read(file), Kustomization.class, relative(file));
    }

    static IamRole readIamRole() {
        return StrictYaml.plain(read(iamRole()), IamRole.class, relative(iamRole()));
    }

    /** The objects of the files a kustomization lists, read from the files themselves (not rendered). */
    static List<HasMetadata> objectsOf(Path dir) {
        List<HasMetadata> all = new ArrayList<>();
        for (String resource : kustomization(dir).resourcesOrEmpty()) {
            Path file = dir.resolve(resource);
            all.addAll(StrictYaml.kubernetes(read(file), relative(file)));
        }
        return all;
    }

    /** The base's objects and the examples' objects together. */
    static List<HasMetadata> everything() {
        List<HasMetadata> all = new ArrayList<>(objectsOf(base()));
        all.addAll(objectsOf(examples()));
        return all;
    }
}
