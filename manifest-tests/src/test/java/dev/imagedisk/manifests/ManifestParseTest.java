package dev.imagedisk.manifests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every file under manifests/ reads into typed objects, with nothing unrecognised in it. */
class ManifestParseTest {

    @TestFactory
    Stream<DynamicTest> everyManifestFileParsesIntoTypedObjects() {
        List<Path> files = Manifests.allYamlFiles();
        assertFalse(files.isEmpty(), "no YAML under " + Manifests.base());
        return files.stream()
                .map(file -> DynamicTest.dynamicTest(Manifests.relative(file), () -> {
                    String text = Manifests.read(file);
                    String where = Manifests.relative(file);
                    if (Manifests.isKustomization(file)) {
                        Manifests.Kustomization k = StrictYaml.plain(text, Manifests.Kustomization.class, where);
                        assertEquals("kustomize.config.k8s.io/v1beta1", k.apiVersion(), where);
                        assertEquals("Kustomization", k.kind(), where);
                    } else if (file.equals(Manifests.iamRole())) {
                        Manifests.IamRole role = StrictYaml.plain(text, Manifests.IamRole.class, where);
                        assertFalse(role.includedPermissions().isEmpty(), where);
                    } else {
                        List<HasMetadata> objects = StrictYaml.kubernetes(text, where);
                        assertFalse(objects.isEmpty(), where + " holds no object");
                        for (HasMetadata o : objects) {
                            assertTrue(
                                    o.getMetadata() != null && o.getMetadata().getName() != null,
                                    where + ": a " + o.getKind() + " without metadata.name");
                        }
                    }
                }));
    }

    @Test
    void multiDocumentFilesYieldEveryDocument() {
        Path rbac = Manifests.base().resolve("rbac-controller.yaml");
        List<HasMetadata> objects = StrictYaml.kubernetes(Manifests.read(rbac), "rbac-controller.yaml");
        assertEquals(11, objects.size(), "ServiceAccount, 4 ClusterRoles, 4 ClusterRoleBindings, Role, RoleBinding");
    }

    // --- the reader must refuse what Kubernetes would refuse or silently drop ---

    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: d
            spec:
              replicas: 1
              selector:
                matchLabels: {app: d}
              template:
                metadata:
                  labels: {app: d}
                spec:
                  containers:
                    - name: c
                      image: busybox:1.36
                      imagePullPolicy: IfNotPresent
            """;

    @Test
    void aWellFormedDeploymentReadsAsADeployment() {
        List<HasMetadata> objects = StrictYaml.kubernetes(DEPLOYMENT, "inline");
        Deployment d = assertInstanceOf(Deployment.class, objects.get(0));
        assertEquals(
                "IfNotPresent",
                d.getSpec().getTemplate().getSpec().getContainers().get(0).getImagePullPolicy());
    }

    @Test
    void aMisspeltFieldDeepInsideIsRefusedWithItsPath() {
        String typo = DEPLOYMENT.replace("imagePullPolicy:", "imagePullPolcy:");
        var e = assertThrows(StrictYaml.ManifestException.class, () -> StrictYaml.kubernetes(typo, "inline"));
        assertTrue(e.getMessage().contains("imagePullPolcy"), e.getMessage());
        assertTrue(e.getMessage().contains("containers"), "the error names where: " + e.getMessage());
    }

    @Test
    void failOnUnknownPropertiesAloneWouldNotCatchTheTypo() {
        // Why StrictYaml removes fabric8's any-setter: with only FAIL_ON_UNKNOWN_PROPERTIES, the model files
        // the misspelt field under additionalProperties and the manifest "parses".
        var lenient = tools.jackson.dataformat.yaml.YAMLMapper.builder()
                .enable(tools.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
        Deployment d = lenient.readValue(DEPLOYMENT.replace("imagePullPolicy:", "imagePullPolcy:"), Deployment.class);
        var container = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals(null, container.getImagePullPolicy());
        assertTrue(container.getAdditionalProperties().containsKey("imagePullPolcy"));
    }

    @Test
    void aMisspeltTopLevelSpecFieldIsRefused() {
        String typo = DEPLOYMENT.replace("  replicas: 1", "  replica: 1");
        var e = assertThrows(StrictYaml.ManifestException.class, () -> StrictYaml.kubernetes(typo, "inline"));
        assertTrue(e.getMessage().contains("replica"), e.getMessage());
    }

    @Test
    void aBrokenCopyOfARealManifestIsRefused() {
        Path node = Manifests.base().resolve("node.yaml");
        String broken =
                Manifests.read(node).replace("mountPropagation: Bidirectional", "mountPropogation: Bidirectional");
        assertTrue(!broken.equals(Manifests.read(node)), "node.yaml no longer has the line this test breaks");
        var e = assertThrows(StrictYaml.ManifestException.class, () -> StrictYaml.kubernetes(broken, "node.yaml"));
        assertTrue(e.getMessage().contains("mountPropogation"), e.getMessage());
    }

    @Test
    void anUnknownKindOrApiVersionIsRefused() {
        String kind = DEPLOYMENT.replace("kind: Deployment", "kind: Deploymnet");
        assertThrows(StrictYaml.ManifestException.class, () -> StrictYaml.kubernetes(kind, "inline"));
        String api = DEPLOYMENT.replace("apiVersion: apps/v1", "apiVersion: app/v1");
        assertThrows(StrictYaml.ManifestException.class, () -> StrictYaml.kubernetes(api, "inline"));
    }

    @Test
    void aDuplicateKeyIsRefused() {
        String dup = DEPLOYMENT.replace("  replicas: 1", "  replicas: 1\n  replicas: 2");
        assertThrows(StrictYaml.ManifestException.class, () -> StrictYaml.kubernetes(dup, "inline"));
    }

    @Test
    void aValueOfTheWrongTypeIsRefused() {
        String wrong = DEPLOYMENT.replace("  replicas: 1", "  replicas: [1]");
        assertThrows(StrictYaml.ManifestException.class, () -> StrictYaml.kubernetes(wrong, "inline"));
    }

    @Test
    void anUnknownFieldInTheIamRoleOrAKustomizationIsRefused() {
        String role = Manifests.read(Manifests.iamRole()).replace("includedPermissions:", "includedPermission:");
        assertThrows(StrictYaml.ManifestException.class, () -> StrictYaml.plain(role, Manifests.IamRole.class, "role"));
        String k =
                Manifests.read(Manifests.base().resolve("kustomization.yaml")).replace("resources:", "resource:");
        assertThrows(
                StrictYaml.ManifestException.class,
                () -> StrictYaml.plain(k, Manifests.Kustomization.class, "kustomization"));
    }
}
