package dev.imagedisk.manifests;

import dev.imagedisk.csi.contract.ImageId;
import dev.imagedisk.csi.controller.MutableParameters;
import dev.imagedisk.csi.controller.SnapshotParameters;
import dev.imagedisk.csi.controller.StorageClassParameters;
import dev.imagedisk.csi.plugin.DriverConfig;
import dev.imagedisk.csi.plugin.Mode;
import dev.imagedisk.csi.plugin.PluginCommand;
import dev.imagedisk.csi.server.CsiFailure;
import dev.imagedisk.launcher.Main;
import dev.imagedisk.manifests.SnapshotKinds.VolumeSnapshot;
import dev.imagedisk.manifests.SnapshotKinds.VolumeSnapshotClass;
import dev.imagedisk.manifests.SnapshotKinds.VolumeSnapshotContent;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ScopedResourceSelectorRequirement;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.api.model.storage.CSIDriver;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.api.model.storage.VolumeAttributesClass;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * Cross-reference checks over a set of manifests. Each returns the problems it found, empty when all
 * holds, so a test can feed it a deliberately broken copy and see the problem reported.
 */
final class ManifestChecks {
    /** The driver's image, by repository name (the registry in front is set by kustomize). */
    static final String DRIVER_IMAGE = "imagedisk-csi";

    private ManifestChecks() {}

    /** A pod template and what owns it. */
    record Workload(HasMetadata owner, PodSpec pod) {
        String name() {
            return owner.getKind() + " " + owner.getMetadata().getName();
        }

        String namespace() {
            return Objects.requireNonNullElse(owner.getMetadata().getNamespace(), "");
        }

        List<Container> allContainers() {
            List<Container> all = new ArrayList<>(pod.getContainers());
            if (pod.getInitContainers() != null) {
                all.addAll(pod.getInitContainers());
            }
            return all;
        }

        Optional<Volume> volume(String name) {
            return pod.getVolumes() == null
                    ? Optional.empty()
                    : pod.getVolumes().stream()
                            .filter(v -> v.getName().equals(name))
                            .findFirst();
        }
    }

    static List<Workload> workloads(List<HasMetadata> objects) {
        List<Workload> out = new ArrayList<>();
        for (HasMetadata o : objects) {
            if (o instanceof Deployment d) {
                out.add(new Workload(d, d.getSpec().getTemplate().getSpec()));
            } else if (o instanceof DaemonSet d) {
                out.add(new Workload(d, d.getSpec().getTemplate().getSpec()));
            } else if (o instanceof StatefulSet s) {
                out.add(new Workload(s, s.getSpec().getTemplate().getSpec()));
            }
        }
        return out;
    }

    static <T> List<T> ofType(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    // ---------------------------------------------------------------- images

    /** The repository part of an image reference, without registry, tag or digest. */
    static String repositoryName(String image) {
        String ref = image.contains("@") ? image.substring(0, image.indexOf('@')) : image;
        String last = ref.substring(ref.lastIndexOf('/') + 1);
        return last.contains(":") ? last.substring(0, last.indexOf(':')) : last;
    }

    static boolean isDriver(Container c) {
        return c.getImage() != null && repositoryName(c.getImage()).equals(DRIVER_IMAGE);
    }

    /** Every image names a tag other than latest, or a digest. */
    static List<String> imagesPinned(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        for (Workload w : workloads(objects)) {
            for (Container c : w.allContainers()) {
                String image = c.getImage();
                if (image == null || image.isBlank()) {
                    problems.add(w.name() + "/" + c.getName() + ": no image");
                    continue;
                }
                if (image.contains("@sha256:")) {
                    continue;
                }
                String last = image.substring(image.lastIndexOf('/') + 1);
                int colon = last.indexOf(':');
                if (colon < 0) {
                    problems.add(w.name() + "/" + c.getName() + ": image " + image + " is not pinned to a tag");
                } else if (last.substring(colon + 1).equals("latest")) {
                    problems.add(w.name() + "/" + c.getName() + ": image " + image + " uses :latest");
                }
            }
        }
        return problems;
    }

    // ---------------------------------------------------------------- driver flags

    /** The driver's configuration as its real CLI parser reads the container's args (nothing is run). */
    static DriverConfig parseDriverArgs(List<String> args) {
        List<String> argv = new ArrayList<>();
        argv.add("plugin");
        argv.addAll(args == null ? List.of() : args);
        CommandLine.ParseResult result = Main.commandLine().parseArgs(argv.toArray(String[]::new));
        if (!result.hasSubcommand()) {
            throw new IllegalStateException("plugin subcommand not recognised");
        }
        PluginCommand plugin = (PluginCommand) result.subcommand().commandSpec().userObject();
        return plugin.config();
    }

    /** Every flag the manifests pass to the driver is accepted by its CLI; the image's entrypoint is used. */
    static List<String> driverFlags(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        for (Workload w : workloads(objects)) {
            for (Container c : w.allContainers()) {
                if (!isDriver(c)) {
                    continue;
                }
                String where = w.name() + "/" + c.getName();
                if (c.getCommand() != null && !c.getCommand().isEmpty()) {
                    problems.add(where + ": sets command; the image's entrypoint (java -jar ... plugin) must run");
                }
                List<String> args = c.getArgs() == null ? List.of() : c.getArgs();
                for (String a : args) {
                    if (a.contains("$(")) {
                        problems.add(where + ": arg " + a + " depends on Kubernetes variable expansion");
                    }
                }
                try {
                    parseDriverArgs(args);
                } catch (CommandLine.ParameterException | IllegalStateException e) {
                    problems.add(where + ": the plugin CLI rejects " + args + ": " + e.getMessage());
                }
            }
        }
        return problems;
    }

    /** The controller Deployment runs the driver in controller mode, the node DaemonSet in node mode. */
    static List<String> driverModes(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        for (Workload w : workloads(objects)) {
            for (Container c : w.pod().getContainers()) {
                if (!isDriver(c)) {
                    continue;
                }
                Mode expected = w.owner() instanceof DaemonSet ? Mode.node : Mode.controller;
                Mode mode = config(c).map(DriverConfig::mode).orElse(null);
                if (mode != expected) {
                    problems.add(w.name() + "/" + c.getName() + ": --mode is " + mode + ", expected " + expected);
                }
            }
        }
        return problems;
    }

    private static Optional<DriverConfig> config(Container c) {
        try {
            return Optional.of(parseDriverArgs(c.getArgs()));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    // ---------------------------------------------------------------- sidecar flags

    /** The value of a Go-style flag: --name=value, -name=value, or --name value. */
    static Optional<String> flag(Container c, String name) {
        List<String> args = c.getArgs() == null ? List.of() : c.getArgs();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            for (String prefix : List.of("--" + name, "-" + name)) {
                if (a.startsWith(prefix + "=")) {
                    return Optional.of(a.substring(prefix.length() + 1));
                }
                if (a.equals(prefix) && i + 1 < args.size() && !args.get(i + 1).startsWith("-")) {
                    return Optional.of(args.get(i + 1));
                }
            }
        }
        return Optional.empty();
    }

    static boolean hasFlag(Container c, String name) {
        List<String> args = c.getArgs() == null ? List.of() : c.getArgs();
        return args.stream()
                .anyMatch(a -> a.equals("--" + name)
                        || a.startsWith("--" + name + "=")
                        || a.equals("-" + name)
                        || a.startsWith("-" + name + "="));
    }

    static boolean isSidecar(Container c, String name) {
        return c.getImage() != null && repositoryName(c.getImage()).equals(name);
    }

    // ---------------------------------------------------------------- sockets

    /** Where a path lies on a container's mounts: the volume and the path inside it. */
    record OnVolume(String volume, String relative) {}

    static Optional<OnVolume> onVolume(Container c, String path) {
        VolumeMount best = null;
        for (VolumeMount m : c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
            Path mount = Path.of(m.getMountPath());
            if (Path.of(path).startsWith(mount)
                    && (best == null
                            || mount.getNameCount()
                                    > Path.of(best.getMountPath()).getNameCount())) {
                best = m;
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        String rel = Path.of(best.getMountPath()).relativize(Path.of(path)).toString();
        if (best.getSubPath() != null && !best.getSubPath().isEmpty()) {
            rel = Path.of(best.getSubPath()).resolve(rel).toString();
        }
        return Optional.of(new OnVolume(best.getName(), rel));
    }

    static Optional<String> pathOn(Container c, OnVolume where) {
        for (VolumeMount m : c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
            if (m.getName().equals(where.volume())
                    && (m.getSubPath() == null || m.getSubPath().isEmpty())) {
                return Optional.of(
                        Path.of(m.getMountPath()).resolve(where.relative()).toString());
            }
        }
        return Optional.empty();
    }

    /**
     * The driver's --endpoint and each sidecar's --csi-address are the same socket through the same
     * volume; the registrar's --kubelet-registration-path is that socket's path on the host.
     */
    static List<String> sockets(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        for (Workload w : workloads(objects)) {
            Optional<Container> driver = w.pod().getContainers().stream()
                    .filter(ManifestChecks::isDriver)
                    .findFirst();
            if (driver.isEmpty()) {
                continue;
            }
            Optional<DriverConfig> config = config(driver.get());
            if (config.isEmpty()) {
                problems.add(w.name() + ": the driver's args do not parse; see the flags check");
                continue;
            }
            String socket = config.get().endpoint().socketPath().toString();
            Optional<OnVolume> shared = onVolume(driver.get(), socket);
            if (shared.isEmpty()) {
                problems.add(w.name() + ": the driver's socket " + socket + " is on no volume the sidecars can share");
                continue;
            }
            for (Container c : w.pod().getContainers()) {
                if (c == driver.get()) {
                    continue;
                }
                Optional<String> address = flag(c, "csi-address");
                if (address.isEmpty()) {
                    if (c.getImage() != null && c.getImage().contains("/sig-storage/")) {
                        problems.add(w.name() + "/" + c.getName() + ": no --csi-address");
                    }
                    continue;
                }
                Optional<String> expected = pathOn(c, shared.get());
                if (expected.isEmpty()) {
                    problems.add(w.name() + "/" + c.getName() + ": does not mount volume "
                            + shared.get().volume() + " that holds the driver's socket");
                } else if (!expected.get().equals(address.get().replaceFirst("^unix://", ""))) {
                    problems.add(w.name() + "/" + c.getName() + ": --csi-address=" + address.get()
                            + " but the driver's socket is at " + expected.get() + " in this container");
                }
                if (isSidecar(c, "csi-node-driver-registrar")) {
                    String onHost = w.volume(shared.get().volume())
                            .filter(v -> v.getHostPath() != null)
                            .map(v -> Path.of(v.getHostPath().getPath())
                                    .resolve(shared.get().relative())
                                    .toString())
                            .orElse(null);
                    Optional<String> registration = flag(c, "kubelet-registration-path");
                    if (onHost == null) {
                        problems.add(
                                w.name() + ": the socket volume " + shared.get().volume() + " is not a hostPath");
                    } else if (registration.isEmpty() || !registration.get().equals(onHost)) {
                        problems.add(w.name() + "/" + c.getName() + ": --kubelet-registration-path="
                                + registration.orElse("(unset)") + " but the socket is at " + onHost + " on the host");
                    }
                }
            }
        }
        return problems;
    }

    // ---------------------------------------------------------------- driver name

    /** One CSIDriver; StorageClasses, the registrar's path and the driver's --driver-name all use its name. */
    static List<String> driverName(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        List<CSIDriver> drivers = ofType(objects, CSIDriver.class);
        if (drivers.size() != 1) {
            problems.add("expected one CSIDriver, found " + drivers.size());
            return problems;
        }
        String name = drivers.get(0).getMetadata().getName();
        if (!name.equals(DriverConfig.DEFAULT_DRIVER_NAME)) {
            problems.add("CSIDriver " + name + " is not the driver's default name " + DriverConfig.DEFAULT_DRIVER_NAME);
        }
        for (StorageClass sc : ofType(objects, StorageClass.class)) {
            if (!name.equals(sc.getProvisioner())) {
                problems.add("StorageClass " + sc.getMetadata().getName() + ": provisioner " + sc.getProvisioner()
                        + " is not " + name);
            }
        }
        for (VolumeAttributesClass c : ofType(objects, VolumeAttributesClass.class)) {
            if (!name.equals(c.getDriverName())) {
                problems.add("VolumeAttributesClass " + c.getMetadata().getName() + ": driverName " + c.getDriverName()
                        + " is not " + name);
            }
        }
        for (VolumeSnapshotClass c : ofType(objects, VolumeSnapshotClass.class)) {
            if (!name.equals(c.driver)) {
                problems.add("VolumeSnapshotClass " + c.getMetadata().getName() + ": driver " + c.driver + " is not "
                        + name);
            }
        }
        for (VolumeSnapshotContent c : ofType(objects, VolumeSnapshotContent.class)) {
            if (!name.equals(c.spec.driver)) {
                problems.add("VolumeSnapshotContent " + c.getMetadata().getName() + ": driver " + c.spec.driver
                        + " is not " + name);
            }
        }
        for (Workload w : workloads(objects)) {
            Optional<DriverConfig> config = Optional.empty();
            for (Container c : w.pod().getContainers()) {
                if (isDriver(c)) {
                    config = config(c);
                    if (config.isPresent() && !config.get().driverName().equals(name)) {
                        problems.add(w.name() + "/" + c.getName() + ": --driver-name "
                                + config.get().driverName() + " is not " + name);
                    }
                }
            }
            for (Container c : w.pod().getContainers()) {
                if (isSidecar(c, "csi-node-driver-registrar")) {
                    String kubeletDir =
                            config.map(cfg -> cfg.node().kubeletDir.toString()).orElse("/var/lib/kubelet");
                    String expected = kubeletDir + "/plugins/" + name + "/";
                    String path = flag(c, "kubelet-registration-path").orElse("");
                    if (!path.startsWith(expected)) {
                        problems.add(w.name() + "/" + c.getName() + ": --kubelet-registration-path=" + path
                                + " is not under " + expected);
                    }
                }
            }
        }
        return problems;
    }

    // ---------------------------------------------------------------- ports

    static int portOf(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    private static Optional<ContainerPort> namedPort(Container c, String name) {
        return c.getPorts() == null
                ? Optional.empty()
                : c.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst();
    }

    /**
     * The driver serves metrics (--metrics-address) on its port named metrics; livenessprobe's
     * --http-endpoint is the port named healthz that the driver's liveness probe uses; no port is used twice.
     */
    static List<String> ports(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        for (Workload w : workloads(objects)) {
            Map<Integer, String> used = new HashMap<>();
            for (Container c : w.pod().getContainers()) {
                for (ContainerPort p : c.getPorts() == null ? List.<ContainerPort>of() : c.getPorts()) {
                    String before = used.put(p.getContainerPort(), c.getName() + "/" + p.getName());
                    if (before != null) {
                        problems.add(w.name() + ": port " + p.getContainerPort() + " declared twice (" + before + ", "
                                + c.getName() + "/" + p.getName() + ")");
                    }
                }
                for (String endpoint : Stream.of(flag(c, "http-endpoint"), flag(c, "metrics-address"))
                        .flatMap(Optional::stream)
                        .toList()) {
                    if (!isDriver(c)) {
                        used.putIfAbsent(portOf(endpoint), c.getName() + " " + endpoint);
                    }
                }
            }
            Optional<Container> driver = w.pod().getContainers().stream()
                    .filter(ManifestChecks::isDriver)
                    .findFirst();
            if (driver.isEmpty()) {
                continue;
            }
            Container d = driver.get();
            String where = w.name() + "/" + d.getName();
            Optional<DriverConfig> config = config(d);
            String metrics = config.map(DriverConfig::metricsAddress).orElse(null);
            Optional<ContainerPort> metricsPort = namedPort(d, "metrics");
            if (metrics == null) {
                problems.add(where + ": no --metrics-address");
            } else if (metricsPort.isEmpty()) {
                problems.add(where + ": no container port named metrics for --metrics-address=" + metrics);
            } else if (metricsPort.get().getContainerPort() != portOf(metrics)) {
                problems.add(where + ": port metrics is " + metricsPort.get().getContainerPort()
                        + " but --metrics-address=" + metrics);
            }
            Optional<Container> probe = w.pod().getContainers().stream()
                    .filter(c -> isSidecar(c, "livenessprobe"))
                    .findFirst();
            Optional<ContainerPort> healthz = namedPort(d, "healthz");
            if (probe.isEmpty()) {
                problems.add(w.name() + ": no livenessprobe sidecar");
            } else if (healthz.isEmpty()) {
                problems.add(where + ": no container port named healthz");
            } else {
                Optional<String> endpoint = flag(probe.get(), "http-endpoint");
                if (endpoint.isEmpty()
                        || portOf(endpoint.get()) != healthz.get().getContainerPort()) {
                    problems.add(w.name() + "/" + probe.get().getName() + ": --http-endpoint="
                            + endpoint.orElse("(unset)") + " is not the healthz port "
                            + healthz.get().getContainerPort());
                }
            }
            IntOrString probePort =
                    d.getLivenessProbe() == null || d.getLivenessProbe().getHttpGet() == null
                            ? null
                            : d.getLivenessProbe().getHttpGet().getPort();
            if (probePort == null || !"healthz".equals(probePort.getStrVal())) {
                problems.add(where + ": its livenessProbe does not GET the healthz port");
            }
        }
        return problems;
    }

    // ---------------------------------------------------------------- service accounts and RBAC

    private static String key(String namespace, String name) {
        return Objects.requireNonNullElse(namespace, "") + "/" + name;
    }

    /**
     * Every ServiceAccount a pod names exists in its namespace and, if its token is mounted, is bound to a
     * role that exists; every binding's role and ServiceAccount subjects exist.
     */
    static List<String> serviceAccounts(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        Map<String, ServiceAccount> accounts = new HashMap<>();
        ofType(objects, ServiceAccount.class)
                .forEach(sa -> accounts.put(
                        key(sa.getMetadata().getNamespace(), sa.getMetadata().getName()), sa));
        Set<String> clusterRoles = new HashSet<>();
        ofType(objects, ClusterRole.class)
                .forEach(r -> clusterRoles.add(r.getMetadata().getName()));
        Set<String> roles = new HashSet<>();
        ofType(objects, Role.class)
                .forEach(r -> roles.add(
                        key(r.getMetadata().getNamespace(), r.getMetadata().getName())));

        Set<String> bound = new HashSet<>();
        for (ClusterRoleBinding b : ofType(objects, ClusterRoleBinding.class)) {
            String where = "ClusterRoleBinding " + b.getMetadata().getName();
            checkRoleRef(where, b.getRoleRef(), null, clusterRoles, roles, problems);
            checkSubjects(where, b.getSubjects(), null, accounts, bound, problems);
        }
        for (RoleBinding b : ofType(objects, RoleBinding.class)) {
            String where = "RoleBinding " + b.getMetadata().getName();
            checkRoleRef(where, b.getRoleRef(), b.getMetadata().getNamespace(), clusterRoles, roles, problems);
            checkSubjects(where, b.getSubjects(), b.getMetadata().getNamespace(), accounts, bound, problems);
        }
        for (Workload w : workloads(objects)) {
            if (!w.namespace().equals("imagedisk-system")) {
                continue; // the examples run as their namespace's default ServiceAccount
            }
            String name = w.pod().getServiceAccountName();
            if (name == null || name.isEmpty()) {
                problems.add(w.name() + ": names no serviceAccountName");
                continue;
            }
            ServiceAccount sa = accounts.get(key(w.namespace(), name));
            if (sa == null) {
                problems.add(w.name() + ": ServiceAccount " + name + " does not exist in " + w.namespace());
                continue;
            }
            boolean tokenMounted = !Boolean.FALSE.equals(w.pod().getAutomountServiceAccountToken())
                    && (w.pod().getAutomountServiceAccountToken() != null
                            || !Boolean.FALSE.equals(sa.getAutomountServiceAccountToken()));
            if (tokenMounted && !bound.contains(key(w.namespace(), name))) {
                problems.add(w.name() + ": ServiceAccount " + name + " gets a token but is bound to no role");
            }
        }
        return problems;
    }

    private static void checkRoleRef(
            String where,
            RoleRef ref,
            String namespace,
            Set<String> clusterRoles,
            Set<String> roles,
            List<String> problems) {
        boolean exists = switch (ref.getKind()) {
            case "ClusterRole" -> clusterRoles.contains(ref.getName());
            case "Role" -> namespace != null && roles.contains(key(namespace, ref.getName()));
            default -> false;
        };
        if (!exists) {
            problems.add(where + ": roleRef " + ref.getKind() + " " + ref.getName() + " does not exist");
        }
        if (!"rbac.authorization.k8s.io".equals(ref.getApiGroup())) {
            problems.add(where + ": roleRef apiGroup " + ref.getApiGroup());
        }
    }

    private static void checkSubjects(
            String where,
            List<Subject> subjects,
            String bindingNamespace,
            Map<String, ServiceAccount> accounts,
            Set<String> bound,
            List<String> problems) {
        if (subjects == null || subjects.isEmpty()) {
            problems.add(where + ": no subjects");
            return;
        }
        for (Subject s : subjects) {
            if (!"ServiceAccount".equals(s.getKind())) {
                continue;
            }
            String ns = s.getNamespace() != null ? s.getNamespace() : bindingNamespace;
            if (!accounts.containsKey(key(ns, s.getName()))) {
                problems.add(where + ": subject ServiceAccount " + ns + "/" + s.getName() + " does not exist");
            }
            bound.add(key(ns, s.getName()));
        }
    }

    /** One permission: an API group, a resource and a verb. */
    record Permission(String group, String resource, String verb) {
        @Override
        public String toString() {
            return verb + " " + (group.isEmpty() ? "" : group + "/") + resource;
        }
    }

    /** What the rules of the roles bound to namespace/serviceAccount grant (namespaced Roles included). */
    static Set<Permission> granted(List<HasMetadata> objects, String namespace, String serviceAccount) {
        Map<String, List<PolicyRule>> clusterRoles = new HashMap<>();
        ofType(objects, ClusterRole.class)
                .forEach(r -> clusterRoles.put(r.getMetadata().getName(), rules(r.getRules())));
        Map<String, List<PolicyRule>> roles = new HashMap<>();
        ofType(objects, Role.class)
                .forEach(r -> roles.put(
                        key(r.getMetadata().getNamespace(), r.getMetadata().getName()), rules(r.getRules())));
        List<PolicyRule> rules = new ArrayList<>();
        for (ClusterRoleBinding b : ofType(objects, ClusterRoleBinding.class)) {
            if (names(b.getSubjects(), null, namespace, serviceAccount)) {
                rules.addAll(clusterRoles.getOrDefault(b.getRoleRef().getName(), List.of()));
            }
        }
        for (RoleBinding b : ofType(objects, RoleBinding.class)) {
            if (names(b.getSubjects(), b.getMetadata().getNamespace(), namespace, serviceAccount)) {
                rules.addAll(
                        "Role".equals(b.getRoleRef().getKind())
                                ? roles.getOrDefault(
                                        key(
                                                b.getMetadata().getNamespace(),
                                                b.getRoleRef().getName()),
                                        List.of())
                                : clusterRoles.getOrDefault(b.getRoleRef().getName(), List.of()));
            }
        }
        Set<Permission> out = new HashSet<>();
        for (PolicyRule r : rules) {
            for (String g : r.getApiGroups()) {
                for (String res : r.getResources()) {
                    for (String v : r.getVerbs()) {
                        out.add(new Permission(g, res, v));
                    }
                }
            }
        }
        return out;
    }

    private static List<PolicyRule> rules(List<PolicyRule> rules) {
        return rules == null ? List.of() : rules;
    }

    private static boolean names(List<Subject> subjects, String bindingNamespace, String namespace, String name) {
        return subjects != null
                && subjects.stream()
                        .anyMatch(s -> "ServiceAccount".equals(s.getKind())
                                && name.equals(s.getName())
                                && namespace.equals(s.getNamespace() != null ? s.getNamespace() : bindingNamespace));
    }

    /** No wildcards, no secrets, no privilege-escalating verbs in any role. */
    static List<String> leastPrivilege(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        Map<String, List<PolicyRule>> all = new HashMap<>();
        ofType(objects, ClusterRole.class)
                .forEach(r -> all.put("ClusterRole " + r.getMetadata().getName(), rules(r.getRules())));
        ofType(objects, Role.class)
                .forEach(r -> all.put("Role " + r.getMetadata().getName(), rules(r.getRules())));
        for (Map.Entry<String, List<PolicyRule>> e : all.entrySet()) {
            for (PolicyRule r : e.getValue()) {
                List<String> everything = new ArrayList<>(r.getApiGroups());
                everything.addAll(r.getResources());
                everything.addAll(r.getVerbs());
                if (everything.contains("*")) {
                    problems.add(e.getKey() + ": wildcard in " + r.getApiGroups() + " " + r.getResources() + " "
                            + r.getVerbs());
                }
                if (r.getResources().contains("secrets")) {
                    problems.add(e.getKey() + ": grants access to secrets");
                }
                for (String v : List.of("escalate", "bind", "impersonate")) {
                    if (r.getVerbs().contains(v)) {
                        problems.add(e.getKey() + ": grants " + v);
                    }
                }
            }
        }
        return problems;
    }

    /** The permissions a ServiceAccount lacks of those required. */
    static List<String> missing(
            List<HasMetadata> objects, String namespace, String serviceAccount, List<Permission> required) {
        Set<Permission> granted = granted(objects, namespace, serviceAccount);
        return required.stream()
                .filter(p -> !granted.contains(p))
                .map(p -> namespace + "/" + serviceAccount + " may not " + p)
                .toList();
    }

    // ---------------------------------------------------------------- the node plugin and the controller

    /** Host mounts, privilege, tolerations and priority the node plugin needs. */
    static List<String> nodePlugin(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        List<DaemonSet> sets = ofType(objects, DaemonSet.class);
        if (sets.size() != 1) {
            problems.add("expected one DaemonSet, found " + sets.size());
            return problems;
        }
        Workload w = workloads(List.of(sets.get(0))).get(0);
        Optional<Container> driver = w.pod().getContainers().stream()
                .filter(ManifestChecks::isDriver)
                .findFirst();
        if (driver.isEmpty()) {
            problems.add(w.name() + ": no driver container");
            return problems;
        }
        Container d = driver.get();
        String kubeletDir = config(d).map(c -> c.node().kubeletDir.toString()).orElse("/var/lib/kubelet");
        Map<String, String> wanted = new java.util.LinkedHashMap<>();
        wanted.put(kubeletDir, "Bidirectional");
        wanted.put("/dev", null);
        wanted.put("/run/udev", null);
        wanted.put("/sys", null);
        for (Map.Entry<String, String> e : wanted.entrySet()) {
            Optional<VolumeMount> m = d.getVolumeMounts().stream()
                    .filter(vm -> vm.getMountPath().equals(e.getKey()))
                    .findFirst();
            Optional<String> host = m.flatMap(vm -> w.volume(vm.getName()))
                    .filter(v -> v.getHostPath() != null)
                    .map(v -> v.getHostPath().getPath());
            if (host.isEmpty() || !host.get().equals(e.getKey())) {
                problems.add(w.name() + ": the driver does not mount host " + e.getKey() + " at " + e.getKey());
            } else if (e.getValue() != null && !e.getValue().equals(m.get().getMountPropagation())) {
                problems.add(w.name() + ": " + e.getKey() + " is not mounted with " + e.getValue() + " propagation");
            }
        }
        if (d.getSecurityContext() == null
                || !Boolean.TRUE.equals(d.getSecurityContext().getPrivileged())) {
            problems.add(w.name() + ": the driver is not privileged");
        }
        List<Toleration> tolerations =
                w.pod().getTolerations() == null ? List.of() : w.pod().getTolerations();
        if (tolerations.stream()
                .noneMatch(t -> "Exists".equals(t.getOperator()) && t.getKey() == null && t.getEffect() == null)) {
            problems.add(w.name() + ": does not tolerate every taint");
        }
        if (!"system-node-critical".equals(w.pod().getPriorityClassName())) {
            problems.add(w.name() + ": priorityClassName is not system-node-critical");
        }
        return problems;
    }

    /** The controller runs as non-root and unprivileged, and csi-provisioner has the flags the driver needs. */
    static List<String> controller(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        List<Deployment> deployments = ofType(objects, Deployment.class);
        if (deployments.size() != 1) {
            problems.add("expected one Deployment, found " + deployments.size());
            return problems;
        }
        Workload w = workloads(List.of(deployments.get(0))).get(0);
        var pod = w.pod().getSecurityContext();
        if (pod == null
                || !Boolean.TRUE.equals(pod.getRunAsNonRoot())
                || pod.getRunAsUser() == null
                || pod.getRunAsUser() == 0) {
            problems.add(w.name() + ": the pod does not set runAsNonRoot with a non-zero runAsUser");
        }
        for (Container c : w.pod().getContainers()) {
            var sc = c.getSecurityContext();
            if (sc != null
                    && (Boolean.TRUE.equals(sc.getPrivileged())
                            || Long.valueOf(0).equals(sc.getRunAsUser()))) {
                problems.add(w.name() + "/" + c.getName() + ": privileged or root");
            }
        }
        Optional<Container> provisioner = w.pod().getContainers().stream()
                .filter(c -> isSidecar(c, "csi-provisioner"))
                .findFirst();
        if (provisioner.isEmpty()) {
            problems.add(w.name() + ": no csi-provisioner");
        } else {
            for (String f :
                    List.of("feature-gates", "extra-create-metadata", "leader-election", "default-fstype", "timeout")) {
                if (!hasFlag(provisioner.get(), f)) {
                    problems.add(w.name() + "/csi-provisioner: no --" + f);
                }
            }
            if (!flag(provisioner.get(), "feature-gates").orElse("").contains("Topology=true")) {
                problems.add(w.name() + "/csi-provisioner: --feature-gates lacks Topology=true");
            }
        }
        w.pod().getContainers().stream()
                .filter(x -> isSidecar(x, "csi-snapshotter"))
                .findFirst()
                .ifPresent(c -> {
                    if (!hasFlag(c, "extra-create-metadata")) {
                        problems.add(
                                w.name() + "/csi-snapshotter: no --extra-create-metadata (the VolumeSnapshot's name"
                                        + " is recorded on the image)");
                    }
                });
        for (String sidecar : List.of("csi-attacher", "csi-resizer", "csi-snapshotter")) {
            Optional<Container> c = w.pod().getContainers().stream()
                    .filter(x -> isSidecar(x, sidecar))
                    .findFirst();
            if (c.isEmpty()) {
                problems.add(w.name() + ": no " + sidecar);
            } else if (!hasFlag(c.get(), "leader-election")) {
                problems.add(w.name() + "/" + sidecar + ": no --leader-election");
            }
        }
        return problems;
    }

    /** Every container of the base declares cpu and memory requests and limits. */
    static List<String> resources(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        for (Workload w : workloads(objects)) {
            for (Container c : w.allContainers()) {
                ResourceRequirements r = c.getResources();
                for (String kind : List.of("requests", "limits")) {
                    var map = r == null ? null : kind.equals("requests") ? r.getRequests() : r.getLimits();
                    for (String res : List.of("cpu", "memory")) {
                        if (map == null || !map.containsKey(res)) {
                            problems.add(w.name() + "/" + c.getName() + ": no " + res + " " + kind);
                        }
                    }
                }
            }
        }
        return problems;
    }

    /** Pods of a system-*-critical class are admitted on GKE only under a ResourceQuota scoped to that class. */
    static List<String> criticalPriorityQuota(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        for (Workload w : workloads(objects)) {
            String pc = w.pod().getPriorityClassName();
            if (pc == null || !pc.startsWith("system-")) {
                continue;
            }
            boolean covered = ofType(objects, ResourceQuota.class).stream()
                    .filter(q -> w.namespace().equals(q.getMetadata().getNamespace()))
                    .filter(q -> q.getSpec().getScopeSelector() != null)
                    .flatMap(q -> q.getSpec().getScopeSelector().getMatchExpressions().stream())
                    .filter(e -> "PriorityClass".equals(e.getScopeName()) && "In".equals(e.getOperator()))
                    .map(ScopedResourceSelectorRequirement::getValues)
                    .anyMatch(v -> v.contains(pc));
            if (!covered) {
                problems.add(w.name() + ": priorityClassName " + pc + " has no ResourceQuota in " + w.namespace());
            }
        }
        return problems;
    }

    // ---------------------------------------------------------------- snapshots

    /**
     * The snapshot objects fit together and the driver accepts them: every VolumeSnapshotClass's parameters parse
     * as the driver parses them; every VolumeSnapshot names a class that exists and either a PVC source or a
     * content that points back at it; every pre-provisioned content's handle is an image path (PROJECT standing
     * for the user's project); every PVC (template) restoring from a VolumeSnapshot names one that exists.
     */
    /**
     * Every VolumeAttributesClass has parameters the driver's ControllerModifyVolume takes (MutableParameters, the
     * driver's own parser), and a StorageClass of the driver whose disk type takes them; a claim that names a class
     * names one that exists.
     */
    static List<String> volumeAttributesClasses(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        Set<String> names = new HashSet<>();
        List<String> types = new ArrayList<>();
        for (StorageClass sc : ofType(objects, StorageClass.class)) {
            Map<String, String> p = sc.getParameters() == null ? Map.of() : sc.getParameters();
            types.add(p.getOrDefault("type", StorageClassParameters.DEFAULT_TYPE));
        }
        for (VolumeAttributesClass c : ofType(objects, VolumeAttributesClass.class)) {
            String where = "VolumeAttributesClass " + c.getMetadata().getName();
            names.add(c.getMetadata().getName());
            try {
                MutableParameters m = MutableParameters.parse(
                        c.getParameters() == null ? Map.of() : c.getParameters(), where + " parameters");
                if (m.isEmpty()) {
                    problems.add(where + ": no parameters; it would change nothing");
                } else if (types.stream().allMatch(t -> m.unsupportedBy(t).isPresent())) {
                    problems.add(where + ": no StorageClass makes a disk type that takes "
                            + m.asMap().keySet() + " (StorageClass types: " + types + ")");
                }
            } catch (CsiFailure e) {
                problems.add(where + ": " + e.getMessage());
            }
        }
        for (HasMetadata o : objects) {
            List<PersistentVolumeClaim> claims = o instanceof StatefulSet st
                    ? Objects.requireNonNullElse(st.getSpec().getVolumeClaimTemplates(), List.of())
                    : o instanceof PersistentVolumeClaim pvc ? List.of(pvc) : List.of();
            for (PersistentVolumeClaim pvc : claims) {
                String cls = pvc.getSpec().getVolumeAttributesClassName();
                if (cls != null && !names.contains(cls)) {
                    problems.add("claim " + pvc.getMetadata().getName() + " of "
                            + o.getMetadata().getName() + ": VolumeAttributesClass " + cls + " does not exist");
                }
            }
        }
        return problems;
    }

    static List<String> snapshots(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        Set<String> classes = new HashSet<>();
        for (VolumeSnapshotClass c : ofType(objects, VolumeSnapshotClass.class)) {
            classes.add(c.getMetadata().getName());
            try {
                SnapshotParameters.parse(c.parameters == null ? Map.<String, String>of() : c.parameters);
            } catch (CsiFailure e) {
                problems.add("VolumeSnapshotClass " + c.getMetadata().getName() + ": " + e.getMessage());
            }
        }
        Map<String, VolumeSnapshotContent> contents = new HashMap<>();
        for (VolumeSnapshotContent c : ofType(objects, VolumeSnapshotContent.class)) {
            contents.put(c.getMetadata().getName(), c);
            String handle = c.spec.source == null ? null : c.spec.source.snapshotHandle;
            if (handle != null
                    && ImageId.parse(handle.replace("PROJECT", "my-project")).isEmpty()) {
                problems.add("VolumeSnapshotContent " + c.getMetadata().getName() + ": snapshotHandle " + handle
                        + " is not " + ImageId.FORM);
            }
        }
        Set<String> snapshots = new HashSet<>();
        for (VolumeSnapshot s : ofType(objects, VolumeSnapshot.class)) {
            String ns = Objects.requireNonNullElse(s.getMetadata().getNamespace(), "default");
            String where = "VolumeSnapshot " + ns + "/" + s.getMetadata().getName();
            snapshots.add(ns + "/" + s.getMetadata().getName());
            String cls = s.spec.volumeSnapshotClassName;
            if (cls != null && !classes.contains(cls)) {
                problems.add(where + ": VolumeSnapshotClass " + cls + " does not exist");
            }
            String contentName = s.spec.source.volumeSnapshotContentName;
            if (contentName != null) {
                VolumeSnapshotContent c = contents.get(contentName);
                if (c == null) {
                    problems.add(where + ": VolumeSnapshotContent " + contentName + " does not exist");
                } else if (c.spec.volumeSnapshotRef == null
                        || !s.getMetadata().getName().equals(c.spec.volumeSnapshotRef.getName())
                        || !ns.equals(c.spec.volumeSnapshotRef.getNamespace())) {
                    problems.add(where + ": VolumeSnapshotContent " + contentName + " does not point back at it");
                }
            } else if (s.spec.source.persistentVolumeClaimName == null) {
                problems.add(where + ": names neither a PVC nor a VolumeSnapshotContent");
            }
        }
        for (HasMetadata o : objects) {
            List<PersistentVolumeClaim> claims = o instanceof StatefulSet st
                    ? Objects.requireNonNullElse(st.getSpec().getVolumeClaimTemplates(), List.of())
                    : o instanceof PersistentVolumeClaim pvc ? List.of(pvc) : List.of();
            String ns = Objects.requireNonNullElse(o.getMetadata().getNamespace(), "default");
            for (PersistentVolumeClaim pvc : claims) {
                var source = pvc.getSpec().getDataSource();
                if (source != null
                        && "VolumeSnapshot".equals(source.getKind())
                        && !snapshots.contains(ns + "/" + source.getName())) {
                    problems.add(o.getKind() + " " + o.getMetadata().getName() + ": VolumeSnapshot " + ns + "/"
                            + source.getName() + " does not exist");
                }
            }
        }
        return problems;
    }

    // ---------------------------------------------------------------- claims and classes

    /** A claim spec and where it is: a PVC, a StatefulSet's volumeClaimTemplate or a pod's ephemeral volume. */
    record Claim(String where, String name, io.fabric8.kubernetes.api.model.PersistentVolumeClaimSpec spec) {}

    static List<Claim> claims(List<HasMetadata> objects) {
        List<Claim> out = new ArrayList<>();
        for (HasMetadata o : objects) {
            String owner = o.getKind() + " " + o.getMetadata().getName();
            if (o instanceof PersistentVolumeClaim pvc) {
                out.add(new Claim(owner, pvc.getMetadata().getName(), pvc.getSpec()));
            }
            if (o instanceof StatefulSet st && st.getSpec().getVolumeClaimTemplates() != null) {
                for (PersistentVolumeClaim t : st.getSpec().getVolumeClaimTemplates()) {
                    out.add(new Claim(
                            owner + " volumeClaimTemplate", t.getMetadata().getName(), t.getSpec()));
                }
            }
        }
        for (Workload w : workloads(objects)) {
            for (Volume v : Objects.requireNonNullElse(w.pod().getVolumes(), List.<Volume>of())) {
                if (v.getEphemeral() != null && v.getEphemeral().getVolumeClaimTemplate() != null) {
                    out.add(new Claim(
                            w.name() + " ephemeral volume",
                            v.getName(),
                            v.getEphemeral().getVolumeClaimTemplate().getSpec()));
                }
            }
        }
        return out;
    }

    /** The CSI access mode kubernetes asks for a PVC access mode. */
    static csi.v1.VolumeCapability.AccessMode.Mode csiMode(String accessMode) {
        return switch (accessMode) {
            case "ReadWriteOnce" -> csi.v1.VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER;
            case "ReadWriteOncePod" -> csi.v1.VolumeCapability.AccessMode.Mode.SINGLE_NODE_SINGLE_WRITER;
            case "ReadOnlyMany" -> csi.v1.VolumeCapability.AccessMode.Mode.MULTI_NODE_READER_ONLY;
            case "ReadWriteMany" -> csi.v1.VolumeCapability.AccessMode.Mode.MULTI_NODE_MULTI_WRITER;
            default -> csi.v1.VolumeCapability.AccessMode.Mode.UNKNOWN;
        };
    }

    /**
     * The driver's StorageClasses and the claims of them agree with what the controller accepts: every class's
     * parameters parse ({@code StorageClassParameters}); a reader set ({@code replicas: on-demand}) does not allow
     * expansion; every claim's access modes are ones the driver supports for its class's disk type
     * ({@code AccessPolicy}, {@code SharedReadOnly}: ReadOnlyMany only on a shareable type, Hyperdisk ML read-only);
     * and a pod mounts a ReadOnlyMany claim read-only.
     */
    static List<String> claimsAndClasses(List<HasMetadata> objects) {
        List<String> problems = new ArrayList<>();
        Map<String, dev.imagedisk.csi.controller.StorageClassParameters> classes = new HashMap<>();
        for (StorageClass sc : ofType(objects, StorageClass.class)) {
            if (!DriverConfig.DEFAULT_DRIVER_NAME.equals(sc.getProvisioner())) {
                continue;
            }
            String where = "StorageClass " + sc.getMetadata().getName();
            try {
                // the examples say PROJECT where the user puts their project id
                Map<String, String> given = new HashMap<>();
                Objects.requireNonNullElse(sc.getParameters(), Map.<String, String>of())
                        .forEach((k, v) -> given.put(k, v.replace("projects/PROJECT/", "projects/example-project/")));
                dev.imagedisk.csi.controller.StorageClassParameters params =
                        dev.imagedisk.csi.controller.StorageClassParameters.parse(given, "example-project");
                classes.put(sc.getMetadata().getName(), params);
                if (params.readerSet() && Boolean.TRUE.equals(sc.getAllowVolumeExpansion())) {
                    problems.add(where + ": allowVolumeExpansion is true, but a reader set (replicas: on-demand) is"
                            + " never expanded");
                }
            } catch (CsiFailure e) {
                problems.add(where + ": the controller refuses its parameters: " + e.getMessage());
            }
        }
        Set<String> readOnlyClaims = new HashSet<>();
        for (Claim c : claims(objects)) {
            String cls = c.spec().getStorageClassName();
            dev.imagedisk.csi.controller.StorageClassParameters params = classes.get(cls);
            if (params == null) {
                continue; // another driver's class, or the default class
            }
            List<String> modes = Objects.requireNonNullElse(c.spec().getAccessModes(), List.of());
            if (modes.isEmpty()) {
                problems.add(c.where() + " " + c.name() + ": no accessModes");
                continue;
            }
            List<csi.v1.VolumeCapability> caps = new ArrayList<>();
            for (String m : modes) {
                caps.add(csi.v1.VolumeCapability.newBuilder()
                        .setMount(csi.v1.VolumeCapability.MountVolume.getDefaultInstance())
                        .setAccessMode(
                                csi.v1.VolumeCapability.AccessMode.newBuilder().setMode(csiMode(m)))
                        .build());
            }
            Optional<String> unsupported = dev.imagedisk.csi.contract.AccessPolicy.unsupported(caps);
            if (unsupported.isPresent()) {
                problems.add(c.where() + " " + c.name() + ": accessModes " + modes + ": " + unsupported.get());
                continue;
            }
            var source = c.spec().getDataSource();
            boolean clone = source != null && "PersistentVolumeClaim".equals(source.getKind());
            try {
                dev.imagedisk.csi.controller.SharedReadOnly.plan(params, caps, clone);
            } catch (CsiFailure e) {
                problems.add(c.where() + " " + c.name() + " (class " + cls + "): " + e.getMessage());
            }
            if (modes.equals(List.of("ReadOnlyMany")) && c.where().startsWith("PersistentVolumeClaim")) {
                readOnlyClaims.add(c.name());
            }
        }
        for (Workload w : workloads(objects)) {
            for (Volume v : Objects.requireNonNullElse(w.pod().getVolumes(), List.<Volume>of())) {
                if (v.getPersistentVolumeClaim() == null
                        || !readOnlyClaims.contains(v.getPersistentVolumeClaim().getClaimName())) {
                    continue;
                }
                boolean volumeReadOnly =
                        Boolean.TRUE.equals(v.getPersistentVolumeClaim().getReadOnly());
                for (Container c : w.allContainers()) {
                    for (VolumeMount m : Objects.requireNonNullElse(c.getVolumeMounts(), List.<VolumeMount>of())) {
                        if (m.getName().equals(v.getName())
                                && !volumeReadOnly
                                && !Boolean.TRUE.equals(m.getReadOnly())) {
                            problems.add(w.name() + "/" + c.getName() + ": mounts the ReadOnlyMany claim "
                                    + v.getPersistentVolumeClaim().getClaimName() + " without readOnly");
                        }
                    }
                }
            }
        }
        return problems;
    }
}
