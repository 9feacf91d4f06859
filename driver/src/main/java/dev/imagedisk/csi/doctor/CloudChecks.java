package dev.imagedisk.csi.doctor;

import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.ComputeCloud;
import dev.imagedisk.csi.cloud.Image;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.cloud.InstanceRef;
import dev.imagedisk.csi.cloud.Permissions;
import dev.imagedisk.csi.controller.StorageClassParameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the controller needs of Compute Engine: the API reachable with Application Default Credentials, each
 * StorageClass's image (or family) resolving to a READY image it may read and that fits the claims made of the
 * class, and the permissions its role must hold on images and on the nodes' instances.
 */
final class CloudChecks {
    static final String ROLE_FILE = "manifests/iam/imagedisk-controller-role.yaml";
    static final List<String> IMAGE_PERMISSIONS = TestedPermissions.IMAGE;
    static final String FAMILY_PERMISSION = TestedPermissions.FAMILY;
    static final List<String> INSTANCE_PERMISSIONS = TestedPermissions.INSTANCE;
    static final List<String> DISK_PERMISSIONS = TestedPermissions.DISK;
    private static final long GIB = 1L << 30;

    private final ComputeCloud cloud;
    private final Permissions permissions;
    private final String project;
    private final String defaultImage;

    CloudChecks(ComputeCloud cloud, Permissions permissions, String project, String defaultImage) {
        this.cloud = cloud;
        this.permissions = permissions;
        this.project = project;
        this.defaultImage = defaultImage;
    }

    /** Compute Engine reachable with the credentials at hand; false when it is not (the rest is then skipped). */
    Finding access(String endpoint) {
        String check = "Compute Engine API";
        try {
            cloud.checkAccess();
            return Finding.ok(check, "disks.list in project " + project + " answered at " + endpoint);
        } catch (RuntimeException e) {
            CloudException c = e instanceof CloudException ce ? ce : null;
            return Finding.fail(check, message(e), fixFor(c, e, project));
        }
    }

    /** The role's permissions on the instance disks are attached to. */
    Finding instance(InstanceRef instance) {
        String check = "permissions on instance " + instance.name();
        try {
            List<String> held = permissions.heldOnInstance(instance, INSTANCE_PERMISSIONS);
            List<String> missing = missing(INSTANCE_PERMISSIONS, held);
            if (missing.isEmpty()) {
                return Finding.ok(check, "holds " + String.join(", ", INSTANCE_PERMISSIONS));
            }
            return Finding.fail(
                    check,
                    "missing " + String.join(", ", missing) + " on " + instance.path(),
                    "add " + String.join(", ", missing) + " to the controller's role (" + ROLE_FILE + ") and "
                            + "grant it on project " + instance.project() + " to the controller's Google service "
                            + "account");
        } catch (RuntimeException e) {
            return Finding.fail(
                    check, message(e), fixFor(e instanceof CloudException c ? c : null, e, instance.project()));
        }
    }

    /**
     * The role's permissions on disks, tested on a disk the driver made (its label); with none yet, skipped.
     * ({@code compute.disks.create} is a project permission that Compute Engine's testIamPermissions cannot test.)
     */
    Finding disks() {
        String check = "permissions on disks";
        try {
            List<dev.imagedisk.csi.cloud.Disk> ours = cloud.listDisks(java.util.Map.of(
                    dev.imagedisk.csi.contract.Keys.MANAGED_LABEL_KEY,
                    dev.imagedisk.csi.contract.Keys.MANAGED_LABEL_VALUE));
            if (ours.isEmpty()) {
                return Finding.skipped(check, "no disk made by the driver yet to test them on");
            }
            dev.imagedisk.csi.cloud.DiskRef disk = ours.get(0).ref();
            List<String> missing = missing(DISK_PERMISSIONS, permissions.heldOnDisk(disk, DISK_PERMISSIONS));
            if (missing.isEmpty()) {
                return Finding.ok(check, "holds " + String.join(", ", DISK_PERMISSIONS) + " on " + disk.name());
            }
            return Finding.fail(
                    check,
                    "missing " + String.join(", ", missing) + " on " + disk,
                    "add " + String.join(", ", missing) + " to the controller's role (" + ROLE_FILE + ")");
        } catch (RuntimeException e) {
            return Finding.fail(check, message(e), fixFor(e instanceof CloudException c ? c : null, e, project));
        }
    }

    /** One to three rows per class: its image, the caller's permissions on it, and the claims' sizes. */
    List<Finding> storageClass(StorageClasses.StorageClass sc, List<StorageClasses.Claim> claims, Long claimSize) {
        String check = "class " + sc.name();
        List<Finding> out = new ArrayList<>();
        StorageClassParameters.Checked checked = StorageClassParameters.check(
                sc.parameters(),
                project,
                defaultImage == null
                        ? null
                        : StorageClassParameters.readImage(defaultImage.trim(), project)
                                .orElse(null));
        if (checked.problem().isPresent()) {
            out.add(Finding.fail(
                    check + ": parameters",
                    checked.problem().get(),
                    "correct the parameter in StorageClass " + sc.name() + " (README, StorageClass parameters)"));
            return out;
        }
        ImageRef ref = checked.parameters().image();
        Image image;
        try {
            Optional<Image> found = ref.family() ? cloud.getImageFromFamily(ref) : cloud.getImage(ref);
            if (found.isEmpty()) {
                out.add(Finding.fail(
                        check + ": image",
                        ref.family()
                                ? "image family " + ref.path() + " has no image that is not deprecated"
                                : "image " + ref.path() + " does not exist",
                        ref.family()
                                ? "create an image in family " + ref.name() + " of project " + ref.project()
                                        + " (gcloud compute images create ... --family " + ref.name()
                                        + "), or name an existing family in StorageClass " + sc.name()
                                : "name an existing image in StorageClass " + sc.name() + " (gcloud compute images "
                                        + "list --project " + ref.project() + ")"));
                return out;
            }
            image = found.get();
        } catch (RuntimeException e) {
            CloudException c = e instanceof CloudException ce ? ce : null;
            out.add(Finding.fail(check + ": image", message(e), imageFix(c, e, ref)));
            return out;
        }
        if (!Image.READY.equals(image.status())) {
            out.add(Finding.fail(
                    check + ": image",
                    image.ref().path() + " is " + image.status()
                            + (ref.family() ? " (newest of family " + ref.name() + ")" : ""),
                    ref.family()
                            ? "wait until it is READY, or deprecate it so the family's previous READY image is used"
                            : "wait until it is READY, or name a READY image in StorageClass " + sc.name()));
            return out;
        }
        out.add(Finding.ok(
                check + ": image",
                image.ref().path() + " READY, " + image.diskSizeGb() + " GB"
                        + (ref.family() ? " (family " + ref.name() + ")" : "")));
        out.add(imageAccess(check, image, ref));
        out.add(sizes(check, sc, image, claims, claimSize));
        return out;
    }

    private Finding imageAccess(String check, Image image, ImageRef asked) {
        List<String> wanted = new ArrayList<>(IMAGE_PERMISSIONS);
        if (asked.family()) {
            wanted.add(FAMILY_PERMISSION);
        }
        try {
            List<String> missing = missing(wanted, permissions.heldOnImage(image.ref(), wanted));
            if (missing.isEmpty()) {
                return Finding.ok(check + ": image access", "holds " + String.join(", ", wanted));
            }
            return Finding.fail(
                    check + ": image access",
                    "missing " + String.join(", ", missing) + " on "
                            + image.ref().path(),
                    imageGrant(image.ref().project()));
        } catch (RuntimeException e) {
            return Finding.fail(
                    check + ": image access",
                    message(e),
                    imageFix(e instanceof CloudException c ? c : null, e, image.ref()));
        }
    }

    private static Finding sizes(
            String check,
            StorageClasses.StorageClass sc,
            Image image,
            List<StorageClasses.Claim> claims,
            Long claimSize) {
        List<StorageClasses.Claim> all = new ArrayList<>(claims);
        if (claimSize != null) {
            all.add(new StorageClasses.Claim(sc.name(), claimSize, "--claim-size"));
        }
        if (all.isEmpty()) {
            return Finding.skipped(
                    check + ": claim sizes",
                    "no claims of this class given (--claim-size, or PVC/StatefulSet objects with "
                            + "--storage-classes); claims need at least " + image.diskSizeGb() + "Gi");
        }
        List<String> small = new ArrayList<>();
        for (StorageClasses.Claim c : all) {
            long gib = (c.bytes() + GIB - 1) / GIB;
            if (gib < image.diskSizeGb()) {
                small.add(c.where() + " asks " + gib + "Gi");
            }
        }
        if (small.isEmpty()) {
            long least = all.stream()
                    .mapToLong(c -> (c.bytes() + GIB - 1) / GIB)
                    .min()
                    .orElseThrow();
            return Finding.ok(
                    check + ": claim sizes",
                    all.size() + " claim(s), the smallest " + least + "Gi, hold the image's " + image.diskSizeGb()
                            + " GB");
        }
        return Finding.fail(
                check + ": claim sizes",
                String.join("; ", small) + ", less than the image's " + image.diskSizeGb() + " GB: CreateVolume "
                        + "answers OUT_OF_RANGE",
                "request at least " + image.diskSizeGb() + "Gi in those claims, or make the image smaller");
    }

    private static List<String> missing(List<String> wanted, List<String> held) {
        return wanted.stream().filter(p -> !held.contains(p)).toList();
    }

    private static String message(RuntimeException e) {
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private static String imageGrant(String imageProject) {
        return "grant the controller's Google service account roles/compute.imageUser on project " + imageProject
                + " (or the image permissions of " + ROLE_FILE + " there)";
    }

    private static String imageFix(CloudException c, RuntimeException e, ImageRef ref) {
        if (c != null && c.is(CloudException.Kind.PERMISSION_DENIED)) {
            return imageGrant(ref.project());
        }
        return fixFor(c, e, ref.project());
    }

    /** The fix for a failed call, by what kind of failure it was. */
    static String fixFor(CloudException c, RuntimeException e, String project) {
        String text = String.valueOf(e.getMessage());
        if (text.contains("Application Default Credentials")
                || text.contains("credentials")
                || (c != null && c.is(CloudException.Kind.UNAUTHENTICATED))) {
            return "give the pod Application Default Credentials: on GKE bind the controller's Kubernetes service "
                    + "account to a Google service account with Workload Identity (docs/deploy.md); elsewhere set "
                    + "GOOGLE_APPLICATION_CREDENTIALS to a key file";
        }
        if (c == null) {
            return "see the result; run with --log-level debug for the full error";
        }
        return switch (c.kind()) {
            case PERMISSION_DENIED ->
                "grant the controller's Google service account the imageDiskController role (" + ROLE_FILE
                        + ") on project " + project + ", and enable the Compute Engine API there";
            case UNAVAILABLE, DEADLINE ->
                "let the pod reach compute.googleapis.com:443 (egress firewall/proxy; "
                        + "Private Google Access on a private cluster), or fix --compute-endpoint";
            case NOT_FOUND, INVALID -> "check --project/--zone (project " + project + ") and --compute-endpoint";
            case RATE_LIMITED -> "wait and run again; raise the project's Compute Engine read quota if it persists";
            default -> "see the result; run with --log-level debug for the full error";
        };
    }
}
