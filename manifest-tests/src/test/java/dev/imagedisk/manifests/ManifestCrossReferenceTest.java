package dev.imagedisk.manifests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.manifests.ManifestChecks.Permission;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The manifests agree with each other and with the driver: one driver name everywhere, one socket
 * between the driver and its sidecars, flags the real CLI accepts, ServiceAccounts that exist and are
 * bound, pinned images, named metrics ports. Each check is also shown failing on a broken copy.
 */
class ManifestCrossReferenceTest {

    private static List<HasMetadata> everything() {
        return Manifests.everything();
    }

    private static List<HasMetadata> base() {
        return Manifests.objectsOf(Manifests.base());
    }

    private static void assertNone(List<String> problems) {
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    private static void assertReported(List<String> problems, String fragment) {
        assertTrue(
                problems.stream().anyMatch(p -> p.contains(fragment)),
                "expected a problem mentioning '" + fragment + "', got " + problems);
    }

    private static Container container(List<HasMetadata> objects, Class<?> owner, String name) {
        return ManifestChecks.workloads(objects).stream()
                .filter(w -> owner.isInstance(w.owner()))
                .flatMap(w -> w.pod().getContainers().stream())
                .filter(c -> c.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no container " + name + " in a " + owner.getSimpleName()));
    }

    private static List<String> replaceArg(Container c, String prefix, String replacement) {
        List<String> args = new ArrayList<>(c.getArgs());
        int i = args.indexOf(args.stream()
                .filter(a -> a.startsWith(prefix))
                .findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + " has no arg " + prefix)));
        if (replacement == null) {
            args.remove(i);
        } else {
            args.set(i, replacement);
        }
        c.setArgs(args);
        return args;
    }

    // ---------------------------------------------------------------- driver flags

    @Test
    void everyFlagPassedToTheDriverIsAcceptedByItsCli() {
        assertNone(ManifestChecks.driverFlags(everything()));
        long drivers = ManifestChecks.workloads(everything()).stream()
                .flatMap(w -> w.pod().getContainers().stream())
                .filter(ManifestChecks::isDriver)
                .count();
        assertEquals(2, drivers, "the controller and the node plugin");
    }

    @Test
    void anUnknownDriverFlagIsCaught() {
        List<HasMetadata> objects = everything();
        Container node = container(objects, DaemonSet.class, "imagedisk");
        node.getArgs().add("--metrics-adress=:9889");
        assertReported(ManifestChecks.driverFlags(objects), "--metrics-adress");
    }

    @Test
    void aBadDriverFlagValueIsCaught() {
        List<HasMetadata> objects = everything();
        replaceArg(
                container(objects, Deployment.class, "imagedisk"), "--operation-timeout", "--operation-timeout=4m30s");
        assertReported(ManifestChecks.driverFlags(objects), "4m30s");

        objects = everything();
        replaceArg(container(objects, DaemonSet.class, "imagedisk"), "--mode", "--mode=nodes");
        assertReported(ManifestChecks.driverFlags(objects), "nodes");

        objects = everything();
        replaceArg(container(objects, DaemonSet.class, "imagedisk"), "--endpoint", "--endpoint=tcp://0.0.0.0:10000");
        assertReported(ManifestChecks.driverFlags(objects), "tcp://");
    }

    @Test
    void aCommandThatReplacesTheImageEntrypointIsCaught() {
        List<HasMetadata> objects = everything();
        container(objects, Deployment.class, "imagedisk").setCommand(List.of("/bin/sh"));
        assertReported(ManifestChecks.driverFlags(objects), "sets command");
    }

    @Test
    void theControllerRunsControllerModeAndTheNodePluginNodeMode() {
        assertNone(ManifestChecks.driverModes(base()));
        List<HasMetadata> objects = base();
        replaceArg(container(objects, DaemonSet.class, "imagedisk"), "--mode", "--mode=controller");
        assertReported(ManifestChecks.driverModes(objects), "DaemonSet imagedisk-node");
    }

    // ---------------------------------------------------------------- driver name

    @Test
    void oneDriverNameInTheCsiDriverStorageClassesRegistrarAndDriverFlags() {
        assertNone(ManifestChecks.driverName(everything()));
    }

    @Test
    void aStorageClassWithAnotherProvisionerIsCaught() {
        List<HasMetadata> objects = everything();
        ManifestChecks.ofType(objects, StorageClass.class).get(0).setProvisioner("imagedisk.csi.io");
        assertReported(ManifestChecks.driverName(objects), "imagedisk.csi.io");
    }

    @Test
    void aSnapshotClassOrContentOfAnotherDriverIsCaught() {
        List<HasMetadata> objects = everything();
        ManifestChecks.ofType(objects, SnapshotKinds.VolumeSnapshotClass.class).get(0).driver = "pd.csi.storage.gke.io";
        assertReported(ManifestChecks.driverName(objects), "pd.csi.storage.gke.io");
        objects = everything();
        ManifestChecks.ofType(objects, SnapshotKinds.VolumeSnapshotContent.class)
                .get(0)
                .spec
                .driver = "other.csi.dev";
        assertReported(ManifestChecks.driverName(objects), "other.csi.dev");
    }

    // ---------------------------------------------------------------- claims and classes

    @Test
    void everyClassAndClaimIsOneTheControllerAccepts() {
        List<HasMetadata> objects = everything();
        assertTrue(
                ManifestChecks.claims(objects).stream()
                        .anyMatch(c -> c.spec().getAccessModes().equals(List.of("ReadOnlyMany"))),
                "a ReadOnlyMany example");
        assertNone(ManifestChecks.claimsAndClasses(objects));
    }

    @Test
    void aSharedClassOrClaimTheControllerRefusesIsCaught() {
        List<HasMetadata> objects = everything();
        StorageClass shared = sharedClass(objects);
        shared.getParameters().put("type", "pd-extreme");
        assertReported(ManifestChecks.claimsAndClasses(objects), "cannot be shared read-only");

        objects = everything();
        sharedClass(objects).getParameters().put("replicas", "2");
        assertReported(ManifestChecks.claimsAndClasses(objects), "replicas");

        objects = everything();
        sharedClass(objects).setAllowVolumeExpansion(true);
        assertReported(ManifestChecks.claimsAndClasses(objects), "never expanded");

        objects = everything();
        ManifestChecks.ofType(objects, io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class).stream()
                .filter(c -> c.getSpec().getAccessModes().equals(List.of("ReadOnlyMany")))
                .findFirst()
                .orElseThrow()
                .getSpec()
                .setAccessModes(List.of("ReadWriteOnce"));
        assertReported(ManifestChecks.claimsAndClasses(objects), "read-only");

        objects = everything();
        for (ManifestChecks.Workload w : ManifestChecks.workloads(objects)) {
            for (io.fabric8.kubernetes.api.model.Volume v : w.pod().getVolumes() == null
                    ? List.<io.fabric8.kubernetes.api.model.Volume>of()
                    : w.pod().getVolumes()) {
                if (v.getPersistentVolumeClaim() != null) {
                    v.getPersistentVolumeClaim().setReadOnly(null);
                    w.pod().getContainers().forEach(c -> c.getVolumeMounts().forEach(m -> m.setReadOnly(null)));
                }
            }
        }
        assertReported(ManifestChecks.claimsAndClasses(objects), "without readOnly");
    }

    private static StorageClass sharedClass(List<HasMetadata> objects) {
        return ManifestChecks.ofType(objects, StorageClass.class).stream()
                .filter(sc -> "on-demand".equals(sc.getParameters().get("replicas")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no StorageClass with replicas: on-demand"));
    }

    // ---------------------------------------------------------------- volume attributes classes

    @Test
    void theVolumeAttributesClassExampleIsOneTheDriverTakes() {
        List<HasMetadata> objects = everything();
        assertEquals(
                1,
                ManifestChecks.ofType(objects, io.fabric8.kubernetes.api.model.storage.VolumeAttributesClass.class)
                        .size());
        assertNone(ManifestChecks.volumeAttributesClasses(objects));
        assertNone(ManifestChecks.driverName(objects));
    }

    @Test
    void aVolumeAttributesClassTheDriverRefusesIsCaught() {
        List<HasMetadata> objects = everything();
        var vac = ManifestChecks.ofType(objects, io.fabric8.kubernetes.api.model.storage.VolumeAttributesClass.class)
                .get(0);
        vac.getParameters().put("iops", "3000");
        assertReported(ManifestChecks.volumeAttributesClasses(objects), "unknown parameter \"iops\"");
        vac.getParameters().remove("iops");
        vac.setDriverName("pd.csi.storage.gke.io");
        assertReported(ManifestChecks.driverName(objects), "pd.csi.storage.gke.io");
        // without a Hyperdisk StorageClass, nothing could take the class's values
        objects.removeIf(o -> o instanceof io.fabric8.kubernetes.api.model.storage.StorageClass sc
                && "hyperdisk-balanced".equals(sc.getParameters().get("type")));
        assertReported(ManifestChecks.volumeAttributesClasses(objects), "no StorageClass makes a disk type");
    }

    // ---------------------------------------------------------------- snapshots

    @Test
    void theSnapshotExamplesFitTogetherAndTheDriverAcceptsThem() {
        List<HasMetadata> objects = everything();
        assertTrue(
                ManifestChecks.ofType(objects, SnapshotKinds.VolumeSnapshot.class)
                                .size()
                        >= 2,
                "a VolumeSnapshot of replica 0 and a pre-provisioned one");
        assertNone(ManifestChecks.snapshots(objects));
    }

    @Test
    void aBadSnapshotParameterHandleOrReferenceIsCaught() {
        List<HasMetadata> objects = everything();
        ManifestChecks.ofType(objects, SnapshotKinds.VolumeSnapshotClass.class)
                .get(0)
                .parameters
                .put("snapshot-type", "snapshots");
        assertReported(ManifestChecks.snapshots(objects), "snapshot-type");
        objects = everything();
        ManifestChecks.ofType(objects, SnapshotKinds.VolumeSnapshotClass.class)
                .get(0)
                .parameters
                .put("image-familly", "x");
        assertReported(ManifestChecks.snapshots(objects), "image-familly");
        objects = everything();
        ManifestChecks.ofType(objects, SnapshotKinds.VolumeSnapshotContent.class)
                .get(0)
                .spec
                .source
                .snapshotHandle = "projects/PROJECT/global/snapshots/s";
        assertReported(ManifestChecks.snapshots(objects), "snapshotHandle");
        objects = everything();
        ManifestChecks.ofType(objects, SnapshotKinds.VolumeSnapshotContent.class)
                .get(0)
                .spec
                .volumeSnapshotRef
                .setName("someone-else");
        assertReported(ManifestChecks.snapshots(objects), "does not point back");
        objects = everything();
        ManifestChecks.ofType(objects, SnapshotKinds.VolumeSnapshot.class)
                .forEach(s -> s.spec.volumeSnapshotClassName = "missing-class");
        assertReported(ManifestChecks.snapshots(objects), "missing-class");
    }

    @Test
    void aDriverNameFlagThatDiffersFromTheCsiDriverIsCaught() {
        List<HasMetadata> objects = everything();
        replaceArg(container(objects, DaemonSet.class, "imagedisk"), "--driver-name", "--driver-name=other.csi.dev");
        assertReported(ManifestChecks.driverName(objects), "other.csi.dev");
    }

    @Test
    void aRegistrationPathUnderAnotherDriverNameIsCaught() {
        List<HasMetadata> objects = everything();
        replaceArg(
                container(objects, DaemonSet.class, "node-driver-registrar"),
                "--kubelet-registration-path",
                "--kubelet-registration-path=/var/lib/kubelet/plugins/pd.csi.storage.gke.io/csi.sock");
        assertReported(ManifestChecks.driverName(objects), "pd.csi.storage.gke.io");
    }

    // ---------------------------------------------------------------- sockets

    @Test
    void theDriverAndItsSidecarsShareOneSocket() {
        assertNone(ManifestChecks.sockets(base()));
    }

    @Test
    void aSidecarPointedAtAnotherSocketIsCaught() {
        List<HasMetadata> objects = base();
        replaceArg(
                container(objects, Deployment.class, "csi-attacher"), "--csi-address", "--csi-address=/run/csi/socket");
        assertReported(ManifestChecks.sockets(objects), "csi-attacher");
    }

    @Test
    void aDriverEndpointTheSidecarsDoNotSeeIsCaught() {
        List<HasMetadata> objects = base();
        replaceArg(container(objects, DaemonSet.class, "imagedisk"), "--endpoint", "--endpoint=unix:///tmp/csi.sock");
        assertReported(ManifestChecks.sockets(objects), "/tmp/csi.sock");
    }

    @Test
    void aRegistrationPathThatIsNotTheSocketOnTheHostIsCaught() {
        List<HasMetadata> objects = base();
        replaceArg(
                container(objects, DaemonSet.class, "node-driver-registrar"),
                "--kubelet-registration-path",
                "--kubelet-registration-path=/var/lib/kubelet/plugins/imagedisk.csi.dev/socket");
        assertReported(ManifestChecks.sockets(objects), "kubelet-registration-path");
    }

    @Test
    void aSidecarWithoutTheSocketVolumeIsCaught() {
        List<HasMetadata> objects = base();
        container(objects, Deployment.class, "csi-resizer").setVolumeMounts(List.of());
        assertReported(ManifestChecks.sockets(objects), "does not mount");
    }

    // ---------------------------------------------------------------- service accounts and RBAC

    @Test
    void serviceAccountsExistAndAreBoundToRolesThatExist() {
        assertNone(ManifestChecks.serviceAccounts(everything()));
    }

    @Test
    void aMissingServiceAccountOrRoleIsCaught() {
        List<HasMetadata> objects = base();
        ManifestChecks.workloads(objects).stream()
                .filter(w -> w.owner() instanceof Deployment)
                .findFirst()
                .orElseThrow()
                .pod()
                .setServiceAccountName("imagedisk-controler");
        assertReported(ManifestChecks.serviceAccounts(objects), "imagedisk-controler");

        List<HasMetadata> noRole = base();
        ManifestChecks.ofType(noRole, ClusterRoleBinding.class)
                .get(0)
                .getRoleRef()
                .setName("external-provisioner-runner");
        assertReported(ManifestChecks.serviceAccounts(noRole), "external-provisioner-runner");
    }

    @Test
    void aServiceAccountWithATokenButNoBindingIsCaught() {
        List<HasMetadata> objects = base();
        objects.removeIf(
                o -> o instanceof ClusterRoleBinding || o instanceof io.fabric8.kubernetes.api.model.rbac.RoleBinding);
        assertReported(ManifestChecks.serviceAccounts(objects), "bound to no role");
        // the node plugin has no token, so it needs no binding
        assertTrue(ManifestChecks.serviceAccounts(objects).stream().noneMatch(p -> p.contains("imagedisk-node")));
    }

    /** What the sidecar releases in controller.yaml read and write (from their upstream RBAC). */
    static final List<Permission> CONTROLLER_NEEDS = List.of(
            // csi-provisioner v5.3
            new Permission("", "persistentvolumes", "get"),
            new Permission("", "persistentvolumes", "list"),
            new Permission("", "persistentvolumes", "watch"),
            new Permission("", "persistentvolumes", "create"),
            new Permission("", "persistentvolumes", "patch"),
            new Permission("", "persistentvolumes", "delete"),
            new Permission("", "persistentvolumeclaims", "get"),
            new Permission("", "persistentvolumeclaims", "list"),
            new Permission("", "persistentvolumeclaims", "watch"),
            new Permission("", "persistentvolumeclaims", "update"),
            new Permission("storage.k8s.io", "storageclasses", "get"),
            new Permission("storage.k8s.io", "storageclasses", "list"),
            new Permission("storage.k8s.io", "storageclasses", "watch"),
            new Permission("", "events", "create"),
            new Permission("", "events", "patch"),
            new Permission("", "nodes", "get"),
            new Permission("", "nodes", "list"),
            new Permission("", "nodes", "watch"),
            new Permission("storage.k8s.io", "csinodes", "get"),
            new Permission("storage.k8s.io", "csinodes", "list"),
            new Permission("storage.k8s.io", "csinodes", "watch"),
            new Permission("storage.k8s.io", "volumeattachments", "list"),
            new Permission("storage.k8s.io", "volumeattachments", "watch"),
            // csi-attacher v4.9
            new Permission("storage.k8s.io", "volumeattachments", "patch"),
            new Permission("storage.k8s.io", "volumeattachments/status", "patch"),
            // csi-resizer v1.14
            new Permission("", "persistentvolumeclaims/status", "patch"),
            new Permission("storage.k8s.io", "volumeattributesclasses", "get"),
            new Permission("storage.k8s.io", "volumeattributesclasses", "list"),
            new Permission("storage.k8s.io", "volumeattributesclasses", "watch"),
            new Permission("snapshot.storage.k8s.io", "volumesnapshots", "get"),
            new Permission("snapshot.storage.k8s.io", "volumesnapshotcontents", "get"),
            // csi-snapshotter v8.2
            new Permission("snapshot.storage.k8s.io", "volumesnapshotclasses", "get"),
            new Permission("snapshot.storage.k8s.io", "volumesnapshotclasses", "list"),
            new Permission("snapshot.storage.k8s.io", "volumesnapshotclasses", "watch"),
            new Permission("snapshot.storage.k8s.io", "volumesnapshotcontents", "list"),
            new Permission("snapshot.storage.k8s.io", "volumesnapshotcontents", "watch"),
            new Permission("snapshot.storage.k8s.io", "volumesnapshotcontents", "update"),
            new Permission("snapshot.storage.k8s.io", "volumesnapshotcontents", "patch"),
            new Permission("snapshot.storage.k8s.io", "volumesnapshotcontents/status", "update"),
            new Permission("snapshot.storage.k8s.io", "volumesnapshotcontents/status", "patch"),
            // leader election
            new Permission("coordination.k8s.io", "leases", "get"),
            new Permission("coordination.k8s.io", "leases", "create"),
            new Permission("coordination.k8s.io", "leases", "update"));

    @Test
    void theControllerMayDoWhatItsSidecarsDoAndNoMore() {
        List<HasMetadata> objects = base();
        assertNone(ManifestChecks.missing(objects, "imagedisk-system", "imagedisk-controller", CONTROLLER_NEEDS));
        assertNone(ManifestChecks.leastPrivilege(objects));
        // the resizer's pod watch is off, and the RBAC relies on it
        Container resizer = container(objects, Deployment.class, "csi-resizer");
        assertEquals(
                "false",
                ManifestChecks.flag(resizer, "handle-volume-inuse-error").orElse("true"),
                "without --handle-volume-inuse-error=false the resizer watches pods, which the RBAC does not allow");
        assertTrue(ManifestChecks.granted(objects, "imagedisk-system", "imagedisk-controller").stream()
                .noneMatch(p -> p.resource().equals("pods")));
    }

    @Test
    void aMissingPermissionOrAWildcardIsCaught() {
        List<HasMetadata> objects = base();
        ManifestChecks.ofType(objects, io.fabric8.kubernetes.api.model.rbac.ClusterRole.class).stream()
                .filter(r -> r.getMetadata().getName().equals("imagedisk-attacher"))
                .findFirst()
                .orElseThrow()
                .getRules()
                .removeIf(r -> r.getResources().contains("volumeattachments/status"));
        assertReported(
                ManifestChecks.missing(objects, "imagedisk-system", "imagedisk-controller", CONTROLLER_NEEDS),
                "volumeattachments/status");

        objects = base();
        ManifestChecks.ofType(objects, io.fabric8.kubernetes.api.model.rbac.ClusterRole.class)
                .get(0)
                .getRules()
                .get(0)
                .setVerbs(List.of("*"));
        assertReported(ManifestChecks.leastPrivilege(objects), "wildcard");
    }

    // ---------------------------------------------------------------- images and ports

    @Test
    void everyImageIsPinnedToATag() {
        assertNone(ManifestChecks.imagesPinned(everything()));
    }

    @Test
    void latestOrUntaggedImagesAreCaught() {
        Function<String, List<String>> with = image -> {
            List<HasMetadata> objects = everything();
            container(objects, Deployment.class, "csi-provisioner").setImage(image);
            return ManifestChecks.imagesPinned(objects);
        };
        assertReported(with.apply("registry.k8s.io/sig-storage/csi-provisioner:latest"), ":latest");
        assertReported(with.apply("registry.k8s.io/sig-storage/csi-provisioner"), "not pinned");
        assertReported(with.apply("localhost:5000/csi-provisioner"), "not pinned");
        assertNone(with.apply("registry.k8s.io/sig-storage/csi-provisioner@sha256:" + "0".repeat(64)));
    }

    @Test
    void metricsAndHealthPortsAreNamedAndMatchTheFlags() {
        assertNone(ManifestChecks.ports(base()));
    }

    @Test
    void aMetricsPortThatDiffersFromTheFlagIsCaught() {
        List<HasMetadata> objects = base();
        replaceArg(container(objects, Deployment.class, "imagedisk"), "--metrics-address", "--metrics-address=:9810");
        assertReported(ManifestChecks.ports(objects), ":9810");

        objects = base();
        replaceArg(container(objects, DaemonSet.class, "imagedisk"), "--metrics-address", null);
        assertReported(ManifestChecks.ports(objects), "no --metrics-address");

        objects = base();
        replaceArg(container(objects, DaemonSet.class, "liveness-probe"), "--http-endpoint", "--http-endpoint=:9808");
        assertReported(ManifestChecks.ports(objects), "healthz");

        objects = base();
        replaceArg(container(objects, Deployment.class, "liveness-probe"), "--http-endpoint", "--http-endpoint=:9809");
        assertReported(ManifestChecks.ports(objects), "9809");
    }

    // ---------------------------------------------------------------- node plugin, controller, resources

    @Test
    void theNodePluginHasItsHostMountsPrivilegeTolerationsAndPriority() {
        assertNone(ManifestChecks.nodePlugin(base()));
        List<HasMetadata> objects = base();
        container(objects, DaemonSet.class, "imagedisk").getVolumeMounts().forEach(m -> m.setMountPropagation(null));
        assertReported(ManifestChecks.nodePlugin(objects), "Bidirectional");
        objects = base();
        ManifestChecks.workloads(objects).stream()
                .filter(w -> w.owner() instanceof DaemonSet)
                .findFirst()
                .orElseThrow()
                .pod()
                .setTolerations(List.of());
        assertReported(ManifestChecks.nodePlugin(objects), "tolerate");
    }

    @Test
    void theControllerIsNonRootAndItsSidecarsHaveTheirFlags() {
        assertNone(ManifestChecks.controller(base()));
        List<HasMetadata> objects = base();
        replaceArg(container(objects, Deployment.class, "csi-provisioner"), "--extra-create-metadata", null);
        assertReported(ManifestChecks.controller(objects), "extra-create-metadata");
        objects = base();
        ManifestChecks.workloads(objects).stream()
                .filter(w -> w.owner() instanceof Deployment)
                .findFirst()
                .orElseThrow()
                .pod()
                .getSecurityContext()
                .setRunAsNonRoot(false);
        assertReported(ManifestChecks.controller(objects), "runAsNonRoot");
    }

    @Test
    void everyContainerHasRequestsAndLimits() {
        assertNone(ManifestChecks.resources(base()));
        List<HasMetadata> objects = base();
        container(objects, DaemonSet.class, "node-driver-registrar")
                .getResources()
                .setLimits(null);
        assertReported(ManifestChecks.resources(objects), "node-driver-registrar: no cpu limits");
    }

    @Test
    void criticalPriorityPodsHaveTheirGkeQuota() {
        assertNone(ManifestChecks.criticalPriorityQuota(base()));
        List<HasMetadata> objects = base();
        objects.removeIf(o -> o instanceof io.fabric8.kubernetes.api.model.ResourceQuota);
        assertReported(ManifestChecks.criticalPriorityQuota(objects), "system-node-critical");
    }
}
