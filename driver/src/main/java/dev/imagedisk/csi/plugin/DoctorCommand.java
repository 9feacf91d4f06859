package dev.imagedisk.csi.plugin;

import dev.imagedisk.csi.cloud.ApiBudgets;
import dev.imagedisk.csi.cloud.Backoff;
import dev.imagedisk.csi.cloud.CloudCallObserver;
import dev.imagedisk.csi.cloud.ComputeCloud;
import dev.imagedisk.csi.cloud.Permissions;
import dev.imagedisk.csi.cloud.gce.ComputeClients;
import dev.imagedisk.csi.cloud.gce.GcePermissions;
import dev.imagedisk.csi.cloud.gce.GoogleComputeCloud;
import dev.imagedisk.csi.common.SchedulerThreads;
import dev.imagedisk.csi.common.Version;
import dev.imagedisk.csi.doctor.Doctor;
import dev.imagedisk.csi.doctor.Report;
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
        Report report = doctor().run();
        PrintWriter out = spec.commandLine().getOut();
        out.print(report.table());
        out.flush();
        return report.exitCode();
    }

    /** The checks these flags ask for, on the real Compute Engine adapters. */
    public Doctor doctor() {
        return new Doctor(
                new Doctor.Settings(
                        mode.controllerService(),
                        mode.nodeService(),
                        cloud.project,
                        cloud.zone,
                        cloud.metadataEndpoint,
                        driverName,
                        List.copyOf(storageClassFiles),
                        fromCluster,
                        claimSize,
                        defaultImage,
                        instance,
                        deviceDir,
                        procStatus,
                        toolsPath),
                this::connect);
    }

    private Doctor.Connection connect(String project, String zone) throws IOException {
        ComputeClients clients = ComputeClients.create(
                computeEndpoint,
                "imagedisk-csi-doctor/" + Version.get(),
                Duration.ofSeconds(20),
                Duration.ofSeconds(20));
        SchedulerThreads steps = new SchedulerThreads("doctor", 1);
        GoogleComputeCloud compute = new GoogleComputeCloud(
                clients,
                project,
                zone,
                ApiBudgets.of(20, 25, null),
                new Backoff(0, Duration.ofMillis(100), Duration.ofMillis(100)),
                Duration.ofSeconds(30),
                Duration.ofSeconds(20),
                CloudCallObserver.NONE,
                steps);
        GcePermissions permissions = new GcePermissions(clients);
        return new Doctor.Connection() {
            @Override
            public ComputeCloud cloud() {
                return compute;
            }

            @Override
            public Permissions permissions() {
                return permissions;
            }

            @Override
            public String endpoint() {
                return clients.endpoint();
            }

            @Override
            public void close() {
                compute.close();
                steps.close();
                clients.close();
            }
        };
    }

    /** The doctor as its own program: {@code java -cp ... DoctorCommand ARGS} (the image runs {@code plugin doctor}). */
    public static int run(String[] args) {
        return new CommandLine(new DoctorCommand())
                .setCommandName("imagedisk doctor")
                .setCaseInsensitiveEnumValuesAllowed(true)
                .execute(args);
    }
}
