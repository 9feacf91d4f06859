package dev.imagedisk.container;

import dev.imagedisk.csi.plugin.archive.ManifestJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The {@code imagedisk} container of a workload manifest (manifests/node.yaml's DaemonSet, controller.yaml's
 * Deployment) as a container runtime sees it: args, env, volume mounts and their sources and propagation, the
 * pod's and the container's security context, and the resource limits. {@link Run} turns it into a {@code podman
 * run}, so what the tests and the container B4 start is what the manifest deploys: a flag, a path or a JVM option
 * that the image does not support fails them.
 */
public record PluginContainer(
        String source,
        String image,
        List<String> command,
        List<String> args,
        Map<String, String> env,
        List<Mount> mounts,
        Map<String, Volume> volumes,
        boolean hostNetwork,
        boolean privileged,
        Long runAsUser,
        Long runAsGroup,
        boolean runAsNonRoot,
        boolean readOnlyRootFilesystem,
        boolean noPrivilegeEscalation,
        List<String> capDrop,
        List<String> capAdd,
        long memoryLimitBytes,
        String cpuLimit) {

    /** The name of the plugin's container in both workloads. */
    public static final String CONTAINER = "imagedisk";

    /** A volume mount: {@code propagation} is Kubernetes' (None, HostToContainer, Bidirectional). */
    public record Mount(String volume, String mountPath, String propagation, boolean readOnly) {}

    /** A pod volume: a host path, or (hostPath null) an emptyDir, which a run must give a host directory. */
    public record Volume(String name, String hostPath, boolean emptyDir) {}

    private static final YAMLMapper YAML = YAMLMapper.builder().build();

    /** manifests/FILE of this checkout: under {@code imagedisk.root} (set by the build), else the nearest above. */
    public static Path manifest(String file) throws IOException {
        List<Path> roots = new ArrayList<>();
        String root = System.getProperty("imagedisk.root", "");
        if (!root.isBlank()) {
            roots.add(Path.of(root));
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            roots.add(dir);
        }
        for (Path r : roots) {
            Path p = r.resolve("manifests").resolve(file);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IOException(
                "manifests/" + file + " not found above " + Path.of("").toAbsolutePath());
    }

    /** The {@code imagedisk} container of the workload in {@code manifest}. */
    public static PluginContainer read(Path manifest) throws IOException {
        JsonNode doc;
        try {
            doc = YAML.readTree(Files.readString(manifest));
        } catch (JacksonException e) {
            throw new IOException(manifest + ": not valid YAML: " + e.getOriginalMessage(), e);
        }
        JsonNode pod = doc.path("spec").path("template").path("spec");
        JsonNode container = null;
        for (JsonNode c : pod.path("containers")) {
            if (CONTAINER.equals(c.path("name").asString(""))) {
                container = c;
            }
        }
        if (container == null) {
            throw new IOException(manifest + ": no container named " + CONTAINER + " in spec.template.spec.containers");
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode e : container.path("env")) {
            if (!e.has("value")) {
                throw new IOException(manifest + ": env " + e.path("name").asString("") + " has no literal value;"
                        + " a local run cannot resolve valueFrom");
            }
            env.put(e.path("name").asString(), e.path("value").asString().trim());
        }
        List<Mount> mounts = new ArrayList<>();
        for (JsonNode m : container.path("volumeMounts")) {
            mounts.add(new Mount(
                    m.path("name").asString(),
                    m.path("mountPath").asString(),
                    m.path("mountPropagation").asString("None"),
                    m.path("readOnly").asBoolean(false)));
        }
        Map<String, Volume> volumes = new LinkedHashMap<>();
        for (JsonNode v : pod.path("volumes")) {
            String name = v.path("name").asString();
            if (v.has("hostPath")) {
                volumes.put(
                        name, new Volume(name, v.path("hostPath").path("path").asString(), false));
            } else if (v.has("emptyDir")) {
                volumes.put(name, new Volume(name, null, true));
            } else {
                throw new IOException(manifest + ": volume " + name + " is neither hostPath nor emptyDir");
            }
        }
        JsonNode podSecurity = pod.path("securityContext");
        JsonNode security = container.path("securityContext");
        JsonNode limits = container.path("resources").path("limits");
        return new PluginContainer(
                manifest.toString(),
                container.path("image").asString(""),
                strings(container.path("command")),
                strings(container.path("args")),
                env,
                mounts,
                volumes,
                pod.path("hostNetwork").asBoolean(false),
                security.path("privileged").asBoolean(false),
                number(security, podSecurity, "runAsUser"),
                number(security, podSecurity, "runAsGroup"),
                security.path("runAsNonRoot")
                        .asBoolean(podSecurity.path("runAsNonRoot").asBoolean(false)),
                security.path("readOnlyRootFilesystem").asBoolean(false),
                !security.path("allowPrivilegeEscalation").asBoolean(true),
                strings(security.path("capabilities").path("drop")),
                strings(security.path("capabilities").path("add")),
                limits.has("memory")
                        ? ManifestJvm.quantity(limits.path("memory").asString())
                        : 0,
                limits.has("cpu") ? limits.path("cpu").asString() : null);
    }

    private static List<String> strings(JsonNode list) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : list) {
            out.add(n.asString());
        }
        return out;
    }

    private static Long number(JsonNode container, JsonNode pod, String field) {
        if (container.has(field)) {
            return container.path(field).asLong();
        }
        return pod.has(field) ? pod.path(field).asLong() : null;
    }

    /** The value of {@code --flag=VALUE} in the args, or null. */
    public String arg(String flag) {
        for (String a : args) {
            if (a.startsWith(flag + "=")) {
                return a.substring(flag.length() + 1);
            }
        }
        return null;
    }

    /** The container path of the mount of volume {@code volume}, or null. */
    public String mountPath(String volume) {
        return mounts.stream()
                .filter(m -> m.volume().equals(volume))
                .map(Mount::mountPath)
                .findFirst()
                .orElse(null);
    }

    /** A run of this container: the manifest's spec plus what a local run must supply. */
    public Run run(String name, String image) {
        return new Run(this, name, image);
    }

    /** One {@code podman run} of the container, as the manifest specifies it. */
    public static final class Run {
        private final PluginContainer spec;
        private final String name;
        private final String image;
        private final Map<String, Path> hostDirs = new LinkedHashMap<>();
        private final Map<String, String> replacedArgs = new LinkedHashMap<>();
        private final List<String> extraArgs = new ArrayList<>();
        private final Map<String, String> extraEnv = new LinkedHashMap<>();
        private final List<String[]> extraMounts = new ArrayList<>();

        Run(PluginContainer spec, String name, String image) {
            this.spec = spec;
            this.name = name;
            this.image = image;
        }

        /** The host directory behind pod volume {@code volume} (an emptyDir, or a hostPath moved elsewhere). */
        public Run hostDir(String volume, Path dir) {
            if (!spec.volumes().containsKey(volume)) {
                throw new IllegalArgumentException(spec.source() + " has no volume " + volume);
            }
            hostDirs.put(volume, dir);
            return this;
        }

        /** Replaces the manifest's {@code --flag=...} with {@code --flag=value} (appends it when absent). */
        public Run replaceArg(String flag, String value) {
            replacedArgs.put(flag, value);
            return this;
        }

        /** Appends plugin flags the manifest does not set (the emulator's endpoints stand in for Google's). */
        public Run addArgs(String... args) {
            extraArgs.addAll(List.of(args));
            return this;
        }

        /** An environment variable beside the manifest's (never one of them: those are the manifest's). */
        public Run addEnv(String name, String value) {
            if (spec.env().containsKey(name)) {
                throw new IllegalArgumentException(name + " is set by " + spec.source());
            }
            extraEnv.put(name, value);
            return this;
        }

        /** A bind mount beside the manifest's, at the same path inside (the emulator's device links). */
        public Run addBind(Path hostDir) {
            return addBind(hostDir, "rslave");
        }

        /** As {@link #addBind(Path)} with these mount options (rshared: mounts made inside show outside). */
        public Run addBind(Path hostDir, String options) {
            extraMounts.add(new String[] {hostDir.toString(), hostDir.toString(), options});
            return this;
        }

        /** The plugin flags of this run: the manifest's args with the replacements, then the additions. */
        public List<String> pluginArgs() {
            List<String> out = new ArrayList<>();
            Map<String, String> pending = new LinkedHashMap<>(replacedArgs);
            for (String a : spec.args()) {
                String flag = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
                if (pending.containsKey(flag)) {
                    out.add(flag + "=" + pending.remove(flag));
                } else {
                    out.add(a);
                }
            }
            pending.forEach((flag, value) -> out.add(flag + "=" + value));
            out.addAll(extraArgs);
            return out;
        }

        /** The arguments of {@code podman run -d} for this run. */
        public List<String> podmanArgs() throws IOException {
            List<String> a = new ArrayList<>(List.of("run", "-d", "--name", name));
            // the tests reach the emulator and csi-sanity's endpoints on the host's loopback; the node's
            // DaemonSet runs in the host's network namespace anyway
            a.addAll(List.of("--network", "host"));
            if (spec.privileged()) {
                a.add("--privileged");
            }
            if (spec.runAsNonRoot() && (spec.runAsUser() == null || spec.runAsUser() == 0)) {
                throw new IOException(spec.source() + ": runAsNonRoot without a non-zero runAsUser: the kubelet"
                        + " would refuse to start the container");
            }
            if (spec.runAsUser() != null) {
                a.add("--user");
                a.add(spec.runAsUser() + (spec.runAsGroup() != null ? ":" + spec.runAsGroup() : ""));
            }
            if (spec.readOnlyRootFilesystem()) {
                // Kubernetes mounts nothing writable of its own; podman would add tmpfs on /tmp, /run, /var/tmp
                a.addAll(List.of("--read-only", "--read-only-tmpfs=false"));
            }
            if (spec.noPrivilegeEscalation()) {
                a.addAll(List.of("--security-opt", "no-new-privileges"));
            }
            for (String cap : spec.capDrop()) {
                a.addAll(List.of("--cap-drop", cap));
            }
            for (String cap : spec.capAdd()) {
                a.addAll(List.of("--cap-add", cap));
            }
            if (spec.memoryLimitBytes() > 0) {
                a.addAll(List.of("--memory", Long.toString(spec.memoryLimitBytes())));
            }
            if (spec.cpuLimit() != null) {
                String cpu = spec.cpuLimit();
                double cpus = cpu.endsWith("m")
                        ? Double.parseDouble(cpu.substring(0, cpu.length() - 1)) / 1000
                        : Double.parseDouble(cpu);
                a.addAll(List.of("--cpus", Double.toString(cpus)));
            }
            Map<String, String> env = new LinkedHashMap<>(spec.env());
            env.putAll(extraEnv);
            env.forEach((k, v) -> a.addAll(List.of("--env", k + "=" + v)));
            for (Mount m : spec.mounts()) {
                Volume v = spec.volumes().get(m.volume());
                if (v == null) {
                    throw new IOException(spec.source() + ": volume mount " + m.volume() + " names no pod volume");
                }
                Path host = hostDirs.get(v.name());
                if (host == null) {
                    if (v.emptyDir()) {
                        throw new IOException("emptyDir volume " + v.name() + " needs a host directory (hostDir)");
                    }
                    host = Path.of(v.hostPath());
                }
                Files.createDirectories(host);
                String options = switch (m.propagation()) {
                    case "Bidirectional" -> "rshared";
                    case "HostToContainer" -> "rslave";
                    default -> "rprivate";
                };
                a.addAll(List.of("--volume", host + ":" + m.mountPath() + ":" + (m.readOnly() ? "ro," : "") + options));
            }
            for (String[] b : extraMounts) {
                a.addAll(List.of("--volume", b[0] + ":" + b[1] + ":" + b[2]));
            }
            if (!spec.command().isEmpty()) {
                a.addAll(List.of("--entrypoint", spec.command().get(0)));
            }
            a.add(image);
            if (spec.command().size() > 1) {
                a.addAll(spec.command().subList(1, spec.command().size()));
            }
            a.addAll(pluginArgs());
            return a;
        }

        public String name() {
            return name;
        }
    }
}
