package dev.imagedisk.manifests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** manifests/iam/imagedisk-controller-role.yaml grants exactly what the controller calls. */
class ManifestIamRoleTest {
    /**
     * disks.insert from an image (+ labels), images.get/getFromFamily, disks.get/list/delete/resize, disks.update
     * (ControllerModifyVolume),
     * instances.get/attachDisk (+ disks.use on the disk)/detachDisk, zoneOperations.get (which wait uses);
     * images.insert from a disk (+ labels, disks.useReadOnly on the source; also what a clone's disks.insert
     * needs), images.delete/list, globalOperations.get (image operations are global). ReadOnlyMany volumes and reader
     * sets add none: a read-only attach takes disks.useReadOnly, other zones' disks disks.create (per project), and
     * disks.aggregatedList disks.list.
     */
    static final Set<String> CONTROLLER_PERMISSIONS = Set.of(
            "compute.disks.create",
            "compute.disks.delete",
            "compute.disks.get",
            "compute.disks.list",
            "compute.disks.resize",
            "compute.disks.setLabels",
            "compute.disks.update",
            "compute.disks.use",
            "compute.images.get",
            "compute.images.getFromFamily",
            "compute.images.useReadOnly",
            "compute.instances.attachDisk",
            "compute.instances.detachDisk",
            "compute.instances.get",
            "compute.zoneOperations.get",
            "compute.images.create",
            "compute.images.setLabels",
            "compute.disks.useReadOnly",
            "compute.images.delete",
            "compute.images.list",
            "compute.globalOperations.get");

    static List<String> problems(Manifests.IamRole role) {
        List<String> problems = new java.util.ArrayList<>();
        Set<String> granted = new TreeSet<>(role.includedPermissions());
        if (granted.size() != role.includedPermissions().size()) {
            problems.add("a permission is listed twice");
        }
        for (String p : granted) {
            if (!p.matches("compute\\.[a-z][A-Za-z]+\\.[a-z][A-Za-z]+")) {
                problems.add(p + " is not a compute.RESOURCE.VERB permission");
            }
            if (!CONTROLLER_PERMISSIONS.contains(p)) {
                problems.add(p + " is more than the controller needs");
            }
        }
        for (String p : CONTROLLER_PERMISSIONS) {
            if (!granted.contains(p)) {
                problems.add(p + " is missing");
            }
        }
        if (!Set.of("ALPHA", "BETA", "GA", "DISABLED").contains(role.stage())) {
            problems.add("stage " + role.stage() + " is not a launch stage gcloud accepts");
        }
        if (role.title() == null || role.title().length() > 100) {
            problems.add("title missing or longer than 100 characters");
        }
        return problems;
    }

    @Test
    void theRoleGrantsExactlyTheControllersPermissions() {
        List<String> problems = problems(Manifests.readIamRole());
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void aBroaderOrMisspeltOrMissingPermissionIsCaught() {
        Manifests.IamRole role = Manifests.readIamRole();
        List<String> perms = new java.util.ArrayList<>(role.includedPermissions());
        perms.add("compute.instances.delete");
        perms.add("compute.zoneOperations.wait");
        perms.remove("compute.disks.use");
        List<String> problems = problems(new Manifests.IamRole(role.title(), role.description(), role.stage(), perms));
        assertEquals(3, problems.size(), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("compute.instances.delete")));
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("compute.zoneOperations.wait")));
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("compute.disks.use is missing")));
    }

    @Test
    void everyPermissionTheDoctorTestsIsInTheRole() {
        Set<String> role = new TreeSet<>(Manifests.readIamRole().includedPermissions());
        List<String> missing = dev.imagedisk.csi.doctor.TestedPermissions.all().stream()
                .filter(p -> !role.contains(p))
                .toList();
        assertEquals(List.of(), missing, "the doctor would report these missing on a correct install");
    }
}
