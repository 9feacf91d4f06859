package dev.imagedisk.csi.doctor;

import dev.imagedisk.csi.cloud.ApiBudgets;
import dev.imagedisk.csi.cloud.Backoff;
import dev.imagedisk.csi.cloud.CloudCallObserver;
import dev.imagedisk.csi.cloud.InstanceRef;
import dev.imagedisk.csi.cloud.Retrier;
import dev.imagedisk.csi.cloud.gce.ComputeClients;
import dev.imagedisk.csi.cloud.gce.GcePermissions;
import dev.imagedisk.csi.cloud.gce.GoogleComputeCloud;
import dev.imagedisk.csi.common.Version;
import dev.imagedisk.csi.exec.Executables;
import dev.imagedisk.csi.metadata.MetadataClient;
import dev.imagedisk.csi.plugin.CloudOptions;
import dev.imagedisk.csi.plugin.DriverConfig;
import dev.imagedisk.csi.plugin.Mode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code imagedisk doctor} (and {@code plugin doctor} in the image): checks what a first install gets wrong and
 * prints a table of check, result and fix; exits 1 when any check failed.
 */
@Command(
        name = "doctor",
        mixinStandardHelpOptions = true,
        description = "Check an install: Compute Engine access, IAM permissions, each StorageClass's image and claim "
                + "sizes, the metadata server; on a node the tools, the disk links and the capabilities. Prints a "
                + "table (check, result, fix); exit code 1 when any check failed.")
public final class DoctorCommand implements Callable<Integer> {
    @Option(
            names = "--mode",
            paramLabel = "controller|node|all",
            defaultValue = "all",
            description = "Which side to check: the controller's (Compute Engine, IAM, StorageClasses), the node's "
                    + "(tools, disk links, capabilities), or both (default: ${DEFAULT-VALUE}).")
    Mode mode;

    @Mixin
    CloudOptions cloud = new CloudOptions();

    @Option(
            names = "--compute-endpoint",
            paramLabel = "URL",
            defaultValue = ComputeClients.DEFAULT_ENDPOINT,
            description = "Compute Engine API endpoint (default: ${DEFAULT-VALUE}).")
    String computeEndpoint;

    @Option(
            names = "--driver-name",
            paramLabel = "NAME",
            defaultValue = DriverConfig.DEFAULT_DRIVER_NAME,
            description = "StorageClasses with this provisioner are checked (default: ${DEFAULT-VALUE}).")
    String driverName;

    @Option(
            names = "--storage-classes",
            paramLabel = "FILE",
            description = "Kubernetes objects in JSON (kubectl get storageclass,pvc,statefulset -o json): the "
                    + "driver's StorageClasses, and the claims made of them. Repeatable.")
    List<Path> storageClassFiles = new ArrayList<>();

    @Option(
            names = "--storage-classes-from-cluster",
            description = "Read the StorageClasses from the cluster's API as this pod's service account.")
    boolean fromCluster;

    @Option(
            names = "--claim-size",
            paramLabel = "SIZE",
            description = "The smallest claim you will make of each class (e.g. 20Gi): it must hold the image.")
    String claimSize;

    @Option(
            names = "--default-image",
            paramLabel = "IMAGE",
            description = "The controller's --default-image, for classes that name no image.")
    String defaultImage;

    @Option(
            names = "--instance",
            paramLabel = "projects/P/zones/Z/instances/NAME",
            description = "An instance disks get attached to, for its permissions. Default: this VM (metadata).")
    String instance;

    @Option(
            names = "--device-dir",
            paramLabel = "DIR",
            defaultValue = "/dev/disk/by-id",
            description = "Where attached disks appear as google-NAME links (default: ${DEFAULT-VALUE}).")
    Path deviceDir;

    @Option(names = "--proc-status", hidden = true, defaultValue = "/proc/self/status")
    Path procStatus;

    @Option(names = "--tools-path", hidden = true, description = "PATH to look for the node's tools in.")
    String toolsPath;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Report report = new Report(run());
        PrintWriter out = spec.commandLine().getOut();
        out.print(report.table());
        out.flush();
        return report.exitCode();
    }

    List<Finding> run() {
        List<Finding> findings = new ArrayList<>();
        Where where = metadata(findings);
        if (mode.controllerService()) {
            controller(findings, where);
        }
        if (mode.nodeService()) {
            findings.add(
                    NodeChecks.tools(toolsPath == null ? Executables.fromEnvironment() : new Executables(toolsPath)));
            findings.add(NodeChecks.deviceDir(deviceDir));
            findings.add(NodeChecks.capabilities(procStatus));
        }
        return findings;
    }

    /** Project, zone and instance: flags first, then the metadata server. */
    private record Where(String project, String zone, String instance) {}

    private Where metadata(List<Finding> findings) {
        String check = "metadata server";
        MetadataClient metadata = new MetadataClient(cloud.metadataEndpoint, Duration.ofSeconds(3));
        try {
            String project = metadata.projectId();
            String zone = metadata.zone();
            String name = metadata.instanceName();
            findings.add(Finding.ok(
                    check, cloud.metadataEndpoint + ": project " + project + ", zone " + zone + ", instance " + name));
            return new Where(
                    blank(cloud.project) ? project : cloud.project,
                    blank(cloud.zone) ? zone : cloud.zone,
                    "projects/" + project + "/zones/" + zone + "/instances/" + name);
        } catch (IOException | RuntimeException e) {
            boolean given = !blank(cloud.project) && !blank(cloud.zone);
            String result = cloud.metadataEndpoint + " cannot be read: " + e.getMessage();
            String fix = "run on a Compute Engine VM or GKE node (metadata.google.internal must resolve; with "
                    + "Workload Identity the GKE metadata server answers), or pass --project, --zone"
                    + (mode == Mode.controller ? "" : " and the node's --node-id");
            findings.add(
                    given
                            ? Finding.warn(check, result + " (--project and --zone given)", fix)
                            : Finding.fail(check, result, fix));
            return new Where(cloud.project, cloud.zone, null);
        }
    }

    private void controller(List<Finding> findings, Where where) {
        if (blank(where.project()) || blank(where.zone())) {
            findings.add(Finding.skipped("Compute Engine API", "no project/zone (see the metadata server row)"));
            return;
        }
        ComputeClients clients;
        try {
            clients = ComputeClients.create(
                    computeEndpoint,
                    "imagedisk-csi-doctor/" + Version.get(),
                    Duration.ofSeconds(20),
                    Duration.ofSeconds(20));
        } catch (IOException | RuntimeException e) {
            findings.add(Finding.fail(
                    "Compute Engine API",
                    "cannot set up the client: " + e.getMessage(),
                    CloudChecks.fixFor(
                            null, new IllegalStateException(String.valueOf(e.getMessage())), where.project())));
            return;
        }
        try (clients) {
            GoogleComputeCloud compute = new GoogleComputeCloud(
                    clients,
                    where.project(),
                    where.zone(),
                    ApiBudgets.of(20, 25, null),
                    new Retrier(new Backoff(0, Duration.ofMillis(100), Duration.ofMillis(100)), CloudCallObserver.NONE),
                    Duration.ofSeconds(30),
                    Duration.ofSeconds(20),
                    CloudCallObserver.NONE);
            CloudChecks checks = new CloudChecks(compute, new GcePermissions(clients), where.project(), defaultImage);
            Finding access = checks.access(clients.endpoint());
            findings.add(access);
            if (access.outcome() == Finding.Outcome.FAIL) {
                findings.add(Finding.skipped("permissions and StorageClasses", "Compute Engine cannot be reached"));
                return;
            }
            String target = blank(instance) ? where.instance() : instance;
            if (target == null) {
                findings.add(Finding.skipped("permissions on instances", "no --instance and no metadata server"));
            } else {
                InstanceRef ref = InstanceRef.parse(target);
                findings.add(
                        ref == null
                                ? Finding.fail(
                                        "permissions on instances",
                                        "--instance " + target + " is not " + "projects/P/zones/Z/instances/NAME",
                                        "fix --instance")
                                : checks.instance(ref));
            }
            storageClasses(findings, checks);
        }
    }

    private void storageClasses(List<Finding> findings, CloudChecks checks) {
        StorageClasses classes = new StorageClasses(driverName);
        try {
            for (Path file : storageClassFiles) {
                classes.readFile(file);
            }
            if (fromCluster) {
                classes.read(ClusterApi.get("/apis/storage.k8s.io/v1/storageclasses"), "the cluster's API");
            }
        } catch (IOException | RuntimeException e) {
            findings.add(Finding.fail(
                    "StorageClasses",
                    "cannot read them: " + e.getMessage(),
                    fromCluster
                            ? "run the doctor Job with the controller's service account (manifests/doctor), which "
                                    + "may list storageclasses"
                            : "pass kubectl get storageclass -o json output to --storage-classes"));
            return;
        }
        if (classes.classes().isEmpty()) {
            findings.add(Finding.warn(
                    "StorageClasses",
                    "none with provisioner " + driverName
                            + (storageClassFiles.isEmpty() && !fromCluster
                                    ? " (none given: --storage-classes FILE or --storage-classes-from-cluster)"
                                    : ""),
                    "create one (manifests/examples/storageclass-runtime-lib.yaml)"));
            return;
        }
        Long smallest;
        try {
            smallest = claimSize == null ? null : StorageClasses.bytes(claimSize);
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

    /** The doctor as its own program: {@code java -cp ... DoctorCommand ARGS} (the image runs {@code plugin doctor}). */
    public static int run(String[] args) {
        return new CommandLine(new DoctorCommand())
                .setCommandName("imagedisk doctor")
                .setCaseInsensitiveEnumValuesAllowed(true)
                .execute(args);
    }
}
