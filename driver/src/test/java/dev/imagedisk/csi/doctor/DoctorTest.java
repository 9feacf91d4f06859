package dev.imagedisk.csi.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.plugin.DoctorCommand;
import dev.imagedisk.gce.emulator.GceEmulator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code imagedisk doctor} against the Compute Engine emulator: a healthy stack passes every check and exits 0;
 * each failure a first install meets, injected once, fails its row with the fix named, and the doctor exits 1.
 */
@Tag("integration")
class DoctorTest {
    static final String P = "doc-project";
    static final String Z = "us-central1-a";
    /** CapEff of a privileged container (all of a 5.x kernel's capabilities). */
    static final String ALL_CAPS = "000001ffffffffff";

    @TempDir
    Path dir;

    GceEmulator emu;
    Path byId;
    Path tools;
    Path procStatus;
    Path classes;

    @BeforeEach
    void start() throws IOException {
        emu = GceEmulator.builder()
                .storage(false)
                .waitTimeout(Duration.ofSeconds(10))
                .start();
        emu.registerImage(P, "runtime-lib-v1", "runtime-lib", 10);
        emu.registerImage(P, "plain", null, 3);
        emu.addInstance(P, Z, "node-1", "e2-standard-4");
        byId = Files.createDirectories(dir.resolve("dev/disk/by-id"));
        tools = Files.createDirectories(dir.resolve("bin"));
        List<String> all = new ArrayList<>(dev.imagedisk.csi.node.NodeToolsCheck.REQUIRED);
        all.addAll(NodeChecks.OPTIONAL_TOOLS);
        for (String t : all) {
            Files.createFile(
                    tools.resolve(t),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        procStatus = dir.resolve("status");
        caps(ALL_CAPS);
        classes = dir.resolve("classes.json");
        classes(family("runtime-lib"), 20);
    }

    @AfterEach
    void stop() {
        if (emu != null) {
            emu.close();
        }
    }

    void caps(String capEff) throws IOException {
        Files.writeString(
                procStatus,
                "Name:\tjava\nCapInh:\t0000000000000000\nCapPrm:\t" + capEff + "\nCapEff:\t" + capEff + "\nCapBnd:\t"
                        + capEff + "\n");
    }

    static String family(String name) {
        return "projects/" + P + "/global/images/family/" + name;
    }

    /** A StorageClass "runtime" naming {@code image}, and a StatefulSet claiming {@code claimGi} of it. */
    void classes(String image, int claimGi) throws IOException {
        classesWith("{\"image\":\"" + image + "\",\"type\":\"pd-balanced\"}", claimGi);
    }

    void classesWith(String parametersJson, int claimGi) throws IOException {
        Files.writeString(classes, """
                {"apiVersion":"v1","kind":"List","items":[
                 {"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"runtime"},
                  "provisioner":"imagedisk.csi.dev","parameters":%s},
                 {"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"standard"},
                  "provisioner":"pd.csi.storage.gke.io","parameters":{"type":"pd-standard"}},
                 {"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"sd-webui"},
                  "spec":{"volumeClaimTemplates":[{"metadata":{"name":"runtime"},
                   "spec":{"storageClassName":"runtime","resources":{"requests":{"storage":"%dGi"}}}}]}}
                ]}
                """.formatted(parametersJson, claimGi));
    }

    record Run(int exit, String table, List<Finding> findings) {
        Finding row(String check) {
            return findings.stream()
                    .filter(f -> f.check().equals(check))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no row " + check + " in\n" + table));
        }
    }

    List<String> args(String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "--mode", "all",
                "--compute-endpoint", emu.baseUrl(),
                "--metadata-endpoint", emu.metadataEndpoint(P, Z, "node-1"),
                "--storage-classes", classes.toString(),
                "--device-dir", byId.toString(),
                "--proc-status", procStatus.toString(),
                "--tools-path", tools.toString()));
        for (int i = 0; i < extra.length; i += 2) {
            int at = args.indexOf(extra[i]);
            if (at >= 0) {
                args.set(at + 1, extra[i + 1]);
            } else {
                args.add(extra[i]);
                args.add(extra[i + 1]);
            }
        }
        return args;
    }

    /** The doctor's findings, and the table and exit code its report makes of them. */
    Run doctor(String... extra) {
        DoctorCommand command = new DoctorCommand();
        new CommandLine(command)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .parseArgs(args(extra).toArray(String[]::new));
        Report report = command.doctor().run();
        return new Run(report.exitCode(), report.table(), report.findings());
    }

    static void assertFix(Run run, String check, String result, String fix) {
        assertEquals(1, run.exit(), run.table());
        Finding f = run.row(check);
        assertEquals(Finding.Outcome.FAIL, f.outcome(), run.table());
        assertTrue(f.result().contains(result), "result " + result + " in: " + f.result());
        assertTrue(f.fix().contains(fix), "fix " + fix + " in: " + f.fix());
        assertTrue(run.table().contains("FAIL"), run.table());
        assertEquals(
                1,
                run.findings().stream()
                        .filter(x -> x.outcome() == Finding.Outcome.FAIL)
                        .count(),
                "one failure injected, one row failed:\n" + run.table());
    }

    @Test
    void theCommandPrintsTheTableAndExitsNonZeroOnAFailure() {
        emu.faults().revokePermissions("compute.instances.detachDisk");
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new DoctorCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOut(new PrintWriter(out));
        int exit = cl.execute(args().toArray(String[]::new));
        System.out.println(out);
        assertEquals(Report.EXIT_FAILED, exit);
        assertTrue(out.toString().startsWith("CHECK"), out.toString());
        assertTrue(out.toString().contains("compute.instances.detachDisk"), out.toString());
        emu.faults().clear();
        StringWriter ok = new StringWriter();
        cl.setOut(new PrintWriter(ok));
        assertEquals(0, cl.execute(args().toArray(String[]::new)), ok.toString());
    }

    @Test
    void aHealthyStackPassesEveryCheck() {
        Run run = doctor();
        System.out.println(run.table());
        assertEquals(0, run.exit(), run.table());
        for (String check : List.of(
                "metadata server",
                "Compute Engine API",
                "permissions on instance node-1",
                "class runtime: image",
                "class runtime: image access",
                "class runtime: claim sizes",
                "node tools",
                "disk links",
                "capabilities")) {
            assertEquals(Finding.Outcome.OK, run.row(check).outcome(), run.table());
        }
        assertTrue(run.row("class runtime: image").result().contains("runtime-lib-v1 READY, 10 GB"), run.table());
        assertTrue(!run.table().contains("class standard"), "only the driver's classes are checked");
        assertEquals(Finding.Outcome.SKIPPED, run.row("permissions on disks").outcome(), "no disk of the driver yet");
        assertTrue(run.table().contains("10 checks: 9 ok, 0 failed, 0 warnings, 1 skipped"), run.table());
    }

    @Test
    void theMetadataServerUnreachable() {
        assertFix(
                doctor("--metadata-endpoint", "http://127.0.0.1:9"),
                "metadata server",
                "cannot be read",
                "pass --project, --zone");
    }

    @Test
    void computeEngineUnreachable() {
        assertFix(
                doctor("--compute-endpoint", "http://127.0.0.1:9"),
                "Compute Engine API",
                "cannot reach Compute Engine",
                "compute.googleapis.com:443");
    }

    @Test
    void noCredentials() {
        emu.faults().injectError("disks.list", 401, "authError", 1);
        assertFix(doctor(), "Compute Engine API", "401", "Workload Identity");
    }

    @Test
    void theRoleMissingInProject() {
        emu.faults().injectError("disks.list", 403, "forbidden", 1);
        assertFix(doctor(), "Compute Engine API", "403", "imageDiskController role");
    }

    @Test
    void anInstancePermissionMissing() {
        emu.faults().revokePermissions("compute.instances.attachDisk");
        assertFix(
                doctor(),
                "permissions on instance node-1",
                "missing compute.instances.attachDisk",
                "add compute.instances.attachDisk to the controller's role");
    }

    @Test
    void aDiskPermissionMissingOnADiskOfTheDriver() throws Exception {
        try (var clients = dev.imagedisk.csi.cloud.gce.ComputeClients.create(
                emu.baseUrl(), "test", Duration.ofSeconds(10), Duration.ofSeconds(10))) {
            clients.disks()
                    .insertCallable()
                    .call(com.google.cloud.compute.v1.InsertDiskRequest.newBuilder()
                            .setProject(P)
                            .setZone(Z)
                            .setDiskResource(com.google.cloud.compute.v1.Disk.newBuilder()
                                    .setName("pvc-1")
                                    .setSizeGb(10)
                                    .putLabels("imagedisk-csi", "managed"))
                            .build());
        }
        assertEquals(Finding.Outcome.OK, doctor().row("permissions on disks").outcome());
        emu.faults().revokePermissions("compute.disks.resize");
        assertFix(
                doctor(),
                "permissions on disks",
                "missing compute.disks.resize",
                "add compute.disks.resize to the controller's role");
    }

    @Test
    void anImagePermissionMissing() {
        emu.faults().revokePermissions("compute.images.useReadOnly");
        assertFix(
                doctor(),
                "class runtime: image access",
                "missing compute.images.useReadOnly",
                "roles/compute.imageUser on project " + P);
    }

    @Test
    void theImageInAProjectWithoutAccess() {
        emu.faults().injectError("images.getFromFamily", 403, "forbidden", 1);
        assertFix(doctor(), "class runtime: image", "403", "roles/compute.imageUser on project " + P);
    }

    @Test
    void aFamilyWithNoReadyImage() {
        emu.deprecateImage(P, "runtime-lib-v1", "DEPRECATED");
        assertFix(doctor(), "class runtime: image", "has no image that is not deprecated", "create an image in family");
    }

    @Test
    void anImageThatDoesNotExist() throws IOException {
        classes("projects/" + P + "/global/images/nope", 20);
        assertFix(doctor(), "class runtime: image", "does not exist", "name an existing image");
    }

    @Test
    void aClaimSmallerThanTheImage() throws IOException {
        classes(family("runtime-lib"), 5);
        assertFix(
                doctor(),
                "class runtime: claim sizes",
                "StatefulSet sd-webui volumeClaimTemplate runtime",
                "request at least 10Gi");
    }

    @Test
    void aClaimSizeFlagSmallerThanTheImage() {
        assertFix(
                doctor("--claim-size", "8Gi"), "class runtime: claim sizes", "--claim-size asks 8Gi", "at least 10Gi");
    }

    @Test
    void aBadParameter() throws IOException {
        classesWith("{\"image\":\"" + family("runtime-lib") + "\",\"imagee\":\"x\"}", 20);
        assertFix(doctor(), "class runtime: parameters", "imagee", "correct the parameter in StorageClass runtime");
    }

    @Test
    void aToolMissingOnTheNode() throws IOException {
        Files.delete(tools.resolve("resize2fs"));
        assertFix(doctor(), "node tools", "missing resize2fs", "e2fsprogs");
    }

    @Test
    void noDiskLinkDirectory() throws IOException {
        Files.delete(byId);
        assertFix(doctor(), "disk links", "does not exist", "mount the host's /dev");
    }

    @Test
    void noCapSysResource() throws IOException {
        caps("000001fffeffffff"); // bit 24 off
        assertFix(doctor(), "capabilities", "CAP_SYS_RESOURCE NO", "securityContext.privileged: true");
    }

    @Test
    void noCapSysAdmin() throws IOException {
        caps("000001ffffdfffff"); // bit 21 off
        assertFix(doctor(), "capabilities", "CAP_SYS_ADMIN NO", "NVMe identify ioctl");
    }

    @Test
    void theNodeModeChecksOnlyTheNode() {
        Run run = doctor("--mode", "node");
        assertEquals(0, run.exit(), run.table());
        assertTrue(!run.table().contains("Compute Engine API"), run.table());
        assertTrue(run.table().contains("capabilities"), run.table());
    }
}
