package dev.imagedisk.csi.doctor;

import dev.imagedisk.csi.cloud.ComputeCloud;
import dev.imagedisk.csi.cloud.InstanceRef;
import dev.imagedisk.csi.cloud.Permissions;
import dev.imagedisk.csi.exec.Executables;
import dev.imagedisk.csi.metadata.MetadataClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The doctor's checks, in order: the metadata server; on the controller's side Compute Engine, the role's
 * permissions and every StorageClass; on the node's side the tools, the disk links and the capabilities. The
 * Compute Engine adapters come from a {@link Connector} (the program wires the real ones, tests the same against
 * the emulator).
 */
public final class Doctor {
    /**
     * What to check and where.
     *
     * @param controller check the controller's side
     * @param node check the node's side
     * @param project the project, or null (metadata server)
     * @param zone the zone, or null (metadata server)
     * @param instance an instance disks are attached to (projects/P/zones/Z/instances/N), or null (this VM)
     * @param claimSize the smallest claim planned of each class (a quantity such as 20Gi), or null
     * @param toolsPath the PATH the node's tools are looked for in, or null (this process's)
     */
    public record Settings(
            boolean controller,
            boolean node,
            String project,
            String zone,
            String metadataEndpoint,
            String driverName,
            List<Path> storageClassFiles,
            boolean storageClassesFromCluster,
            String claimSize,
            String defaultImage,
            String instance,
            Path deviceDir,
            Path procStatus,
            String toolsPath) {}

    /** Compute Engine for one project and zone: the ports the checks use, closed after them. */
    public interface Connection extends AutoCloseable {
        ComputeCloud cloud();

        Permissions permissions();

        String endpoint();

        @Override
        void close();
    }

    /** Connects to Compute Engine; throws (IOException or a RuntimeException) when the client cannot be made. */
    @FunctionalInterface
    public interface Connector {
        Connection connect(String project, String zone) throws IOException;
    }

    private final Settings settings;
    private final Connector connector;

    public Doctor(Settings settings, Connector connector) {
        this.settings = settings;
        this.connector = connector;
    }

    public Report run() {
        List<Finding> findings = new ArrayList<>();
        Where where = metadata(findings);
        if (settings.controller()) {
            controller(findings, where);
        }
        if (settings.node()) {
            findings.add(NodeChecks.tools(
                    settings.toolsPath() == null
                            ? Executables.fromEnvironment()
                            : new Executables(settings.toolsPath())));
            findings.add(NodeChecks.deviceDir(settings.deviceDir()));
            findings.add(NodeChecks.capabilities(settings.procStatus()));
        }
        return new Report(findings);
    }

    /** Project, zone and instance: flags first, then the metadata server. */
    private record Where(String project, String zone, String instance) {}

    private Where metadata(List<Finding> findings) {
        String check = "metadata server";
        String endpoint = settings.metadataEndpoint();
        MetadataClient metadata = new MetadataClient(endpoint, Duration.ofSeconds(3));
        try {
            String project = metadata.projectId();
            String zone = metadata.zone();
            String name = metadata.instanceName();
            findings.add(
                    Finding.ok(check, endpoint + ": project " + project + ", zone " + zone + ", instance " + name));
            return new Where(
                    blank(settings.project()) ? project : settings.project(),
                    blank(settings.zone()) ? zone : settings.zone(),
                    "projects/" + project + "/zones/" + zone + "/instances/" + name);
        } catch (IOException | RuntimeException e) {
            boolean given = !blank(settings.project()) && !blank(settings.zone());
            String result = endpoint + " cannot be read: " + e.getMessage();
            String fix = "run on a Compute Engine VM or GKE node (metadata.google.internal must resolve; with "
                    + "Workload Identity the GKE metadata server answers), or pass --project, --zone"
                    + (settings.node() ? " and the node's --node-id" : "");
            findings.add(
                    given
                            ? Finding.warn(check, result + " (--project and --zone given)", fix)
                            : Finding.fail(check, result, fix));
            return new Where(settings.project(), settings.zone(), null);
        }
    }

    private void controller(List<Finding> findings, Where where) {
        if (blank(where.project()) || blank(where.zone())) {
            findings.add(Finding.skipped("Compute Engine API", "no project/zone (see the metadata server row)"));
            return;
        }
        Connection connection;
        try {
            connection = connector.connect(where.project(), where.zone());
        } catch (IOException | RuntimeException e) {
            findings.add(Finding.fail(
                    "Compute Engine API",
                    "cannot set up the client: " + e.getMessage(),
                    CloudChecks.fixFor(
                            null, new IllegalStateException(String.valueOf(e.getMessage())), where.project())));
            return;
        }
        try (connection) {
            CloudChecks checks = new CloudChecks(
                    connection.cloud(), connection.permissions(), where.project(), settings.defaultImage());
            Finding access = checks.access(connection.endpoint());
            findings.add(access);
            if (access.outcome() == Finding.Outcome.FAIL) {
                findings.add(Finding.skipped("permissions and StorageClasses", "Compute Engine cannot be reached"));
                return;
            }
            String target = blank(settings.instance()) ? where.instance() : settings.instance();
            if (target == null) {
                findings.add(Finding.skipped("permissions on instances", "no --instance and no metadata server"));
            } else {
                InstanceRef ref = InstanceRef.parse(target);
                findings.add(
                        ref == null
                                ? Finding.fail(
                                        "permissions on instances",
                                        "--instance " + target + " is not projects/P/zones/Z/instances/NAME",
                                        "fix --instance")
                                : checks.instance(ref));
            }
            findings.add(checks.disks());
            storageClasses(findings, checks);
        }
    }

    private void storageClasses(List<Finding> findings, CloudChecks checks) {
        StorageClasses classes = new StorageClasses(settings.driverName());
        boolean given = !settings.storageClassFiles().isEmpty() || settings.storageClassesFromCluster();
        try {
            for (Path file : settings.storageClassFiles()) {
                classes.readFile(file);
            }
            if (settings.storageClassesFromCluster()) {
                classes.read(ClusterApi.get("/apis/storage.k8s.io/v1/storageclasses"), "the cluster's API");
            }
        } catch (IOException | RuntimeException e) {
            findings.add(Finding.fail(
                    "StorageClasses",
                    "cannot read them: " + e.getMessage(),
                    settings.storageClassesFromCluster()
                            ? "run the doctor Job with the controller's service account (manifests/doctor), which "
                                    + "may list storageclasses"
                            : "pass kubectl get storageclass -o json output to --storage-classes"));
            return;
        }
        if (classes.classes().isEmpty()) {
            findings.add(Finding.warn(
                    "StorageClasses",
                    "none with provisioner " + settings.driverName()
                            + (given ? "" : " (none given: --storage-classes FILE or --storage-classes-from-cluster)"),
                    "create one (manifests/examples/storageclass-runtime-lib.yaml)"));
            return;
        }
        Long smallest;
        try {
            smallest = settings.claimSize() == null ? null : StorageClasses.bytes(settings.claimSize());
        } catch (IllegalArgumentException e) {
            findings.add(Finding.fail("--claim-size", e.getMessage(), "give a size such as 20Gi"));
            return;
        }
        for (StorageClasses.StorageClass sc : classes.classes()) {
            findings.addAll(checks.storageClass(sc, classes.claims(sc.name()), smallest));
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
