package dev.imagedisk.gce.emulator;

import static dev.imagedisk.gce.emulator.Checks.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Zonal disks: insert (blank, from an image, or a clone of a disk), get, list, aggregatedList,
 * delete and resize, with Compute Engine's validation. */
final class DiskService extends ComputeApi {
    /*
     * min, max GB. pd-standard, pd-balanced and pd-ssd: Compute Engine accepts any whole size from
     * 1 GB. The capacity tables of "About Persistent Disk" print 10 GiB as the low end, but that is
     * not enforced by disks.insert: the GCE PD CSI driver's end-to-end tests create 5 GB
     * pd-standard/pd-balanced/pd-ssd disks on real Compute Engine (kubernetes-sigs/
     * gcp-compute-persistent-disk-csi-driver test/e2e/tests/single_zone_e2e_test.go,
     * defaultSizeGb = 5), and public scripts create 1 GB pd-ssd and pd-standard disks with gcloud
     * (which only warns that disks under 200 GB may perform poorly). hyperdisk-balanced: "Disk size
     * cannot be smaller than 4 GB for disk type hyperdisk-balanced" (same project, issue 2038).
     */
    private static final Map<String, long[]> DISK_TYPE_SIZES = Map.of(
            "pd-standard", new long[] {1, 65536},
            "pd-balanced", new long[] {1, 65536},
            "pd-ssd", new long[] {1, 65536},
            "pd-extreme", new long[] {500, 65536},
            "hyperdisk-balanced", new long[] {4, 65536},
            "hyperdisk-throughput", new long[] {2048, 32768},
            "hyperdisk-extreme", new long[] {64, 65536},
            "hyperdisk-ml", new long[] {4, 65536});

    private final ImageService imageApi;

    DiskService(ComputeState state, OperationService ops, ImageService imageApi) {
        super(state, ops);
        this.imageApi = imageApi;
    }

    ObjectNode insertDisk(String project, String zone, JsonNode body, Map<String, String> query) {
        String requestId = query.get("requestId");
        Model.Disk disk;
        Model.Operation op;
        Model.Image img;
        Model.Disk cloneOf;
        synchronized (lock) {
            Model.Operation earlier = earlier(requestId);
            if (earlier != null) {
                return render(earlier);
            }
            checkZone(project, zone);
            String name = checkResourceName(body);
            if (disks.containsKey(project + "/" + zone + "/" + name)) {
                throw GceException.alreadyExists(Links.diskPath(project, zone, name));
            }
            String sourceImage = Json.text(body, "sourceImage");
            if (sourceImage == null || sourceImage.isEmpty()) {
                sourceImage = query.get("sourceImage");
            }
            String sourceDiskRef = Json.text(body, "sourceDisk");
            boolean hasImage = sourceImage != null && !sourceImage.isEmpty();
            boolean hasDisk = sourceDiskRef != null && !sourceDiskRef.isEmpty();
            if (Json.text(body, "sourceSnapshot") != null) {
                throw GceException.invalid(
                        "The emulator supports disks from images, from disks or blank" + " disks only");
            }
            if (hasImage && hasDisk) {
                throw GceException.invalid(
                        "Invalid resource usage: 'Must specify at most one source for" + " a disk.'");
            }
            img = null;
            cloneOf = null;
            if (hasImage) {
                Links.ImageRef ref = Links.parseImage(sourceImage, project);
                if (ref == null) {
                    throw GceException.invalidField(
                            "resource.sourceImage",
                            sourceImage,
                            "Must be a URL to a valid Compute resource of the correct type.");
                }
                img = ref.family()
                        ? imageApi.findImageFromFamily(ref.project(), ref.name())
                        : images.get(ref.project() + "/" + ref.name());
                if (img == null) {
                    throw referenceNotFound("resource.sourceImage", sourceImage);
                }
                if (!img.status.equals("READY")) {
                    throw GceException.notReady(Links.imagePath(img.project, img.name));
                }
            }
            if (hasDisk) {
                Links.Zonal ref = Links.zonal(sourceDiskRef, "disks", project, zone);
                if (ref == null) {
                    throw GceException.invalidField("resource.sourceDisk", sourceDiskRef, "The URL is malformed.");
                }
                cloneOf = disks.get(ref.project() + "/" + ref.zone() + "/" + ref.name());
                if (cloneOf == null || cloneOf.boot) {
                    throw referenceNotFound("resource.sourceDisk", sourceDiskRef);
                }
                if (!ref.zone().equals(zone)) {
                    throw GceException.invalidField(
                            "resource.sourceDisk",
                            sourceDiskRef,
                            "The source disk must be in the same zone as the new disk.");
                }
                if (!cloneOf.status.equals("READY")) {
                    throw GceException.notReady(cloneOf.path());
                }
            }
            String type = "pd-standard";
            String typeRef = Json.text(body, "type");
            if (typeRef != null && !typeRef.isEmpty()) {
                Links.Zonal t = Links.zonal(typeRef, "diskTypes", project, zone);
                if (t == null) {
                    throw GceException.invalidField(
                            "resource.type", typeRef, "Must be a URL to a valid Compute resource of the correct type.");
                }
                if (!DISK_TYPE_SIZES.containsKey(t.name())
                        || !t.zone().equals(zone)
                        || !t.project().equals(project)) {
                    throw GceException.notFound(Links.zonePath(t.project(), t.zone()) + "/diskTypes/" + t.name());
                }
                type = t.name();
            }
            Long size = Json.int64(body, "sizeGb");
            if (size == null) {
                size = img != null
                        ? img.diskSizeGb
                        : cloneOf != null ? cloneOf.sizeGb : (type.equals("pd-standard") ? 500 : 100);
            }
            if (img != null && size < img.diskSizeGb) {
                throw GceException.invalidField(
                        "resource.sizeGb",
                        size,
                        "Requested disk size cannot be smaller than the image size (" + img.diskSizeGb + " GB)");
            }
            if (cloneOf != null && size < cloneOf.sizeGb) {
                throw GceException.invalidField(
                        "resource.sizeGb",
                        size,
                        "Requested disk size cannot be smaller than the source disk size (" + cloneOf.sizeGb + " GB)");
            }
            checkSize("resource.sizeGb", type, size);
            String accessMode = checkAccessMode(body, type, img != null);
            String description = checkDescription(body);
            Map<String, String> labels = checkLabels(body);
            disk = new Model.Disk();
            disk.project = project;
            disk.zone = zone;
            disk.name = name;
            disk.id = newId();
            disk.creationTimestamp = Json.now();
            disk.description = description;
            disk.sizeGb = size;
            disk.type = type;
            disk.accessMode = accessMode;
            if (img != null) {
                disk.sourceImageProject = img.project;
                disk.sourceImageName = img.name;
                disk.sourceImageId = img.id;
            }
            if (cloneOf != null) {
                disk.sourceDiskProject = cloneOf.project;
                disk.sourceDiskZone = cloneOf.zone;
                disk.sourceDiskName = cloneOf.name;
                disk.sourceDiskId = cloneOf.id;
                cloneOf.readers.add(disk.path());
            }
            JsonNode key = body.get("diskEncryptionKey");
            disk.kmsKeyName = key == null ? null : Json.text(key, "kmsKeyName");
            disk.provisionedIops = Json.int64(body, "provisionedIops");
            disk.provisionedThroughput = Json.int64(body, "provisionedThroughput");
            if (type.startsWith("hyperdisk-")) {
                DiskPerformance.check(type, size, disk.provisionedIops, disk.provisionedThroughput, null);
            }
            disk.labels.putAll(labels);
            disk.status = "CREATING";
            disks.put(disk.key(), disk);
            op = newOperationOf("disks.insert", project, zone, links().disk(project, zone, name), disk.id, requestId);
        }
        final Model.Image source = img;
        final Model.Disk sourceDisk = cloneOf;
        return launch(
                op,
                Effect.of(
                        () -> {
                            Path from = null;
                            if (source != null) {
                                from = source.file;
                            } else if (sourceDisk != null) {
                                from = locked(() -> sourceDisk.file);
                            }
                            Path file = storage.createDisk(
                                    disk.project, disk.zone, disk.name, disk.id, disk.sizeGb * GIB, from);
                            synchronized (lock) {
                                if (sourceDisk != null) {
                                    sourceDisk.readers.remove(disk.path());
                                }
                                disk.file = file;
                                disk.status = "READY";
                            }
                        },
                        () -> {
                            if (sourceDisk != null) {
                                sourceDisk.readers.remove(disk.path());
                            }
                            disks.remove(disk.key(), disk);
                        }));
    }

    ObjectNode getDisk(String project, String zone, String name) {
        return locked(() -> render(disk(project, zone, name)));
    }

    ObjectNode listDisks(String project, String zone, Map<String, String> query) {
        return zonalPage(
                "compute#diskList",
                "disks",
                project,
                zone,
                disks.values(),
                d -> d.project.equals(project) && d.zone.equals(zone),
                this::render,
                query);
    }

    ObjectNode aggregatedListDisks(String project, Map<String, String> query) {
        synchronized (lock) {
            Map<String, List<ObjectNode>> byZone = new java.util.TreeMap<>();
            for (Model.Disk d : disks.values()) {
                if (d.project.equals(project)) {
                    byZone.computeIfAbsent("zones/" + d.zone, z -> new ArrayList<>())
                            .add(render(d));
                }
            }
            return Lists.aggregatedPage(
                    "compute#diskAggregatedList",
                    "projects/" + project + "/aggregated/disks",
                    links().project(project) + "/aggregated/disks",
                    "disks",
                    byZone,
                    query);
        }
    }

    ObjectNode deleteDisk(String project, String zone, String name, Map<String, String> query) {
        String requestId = query.get("requestId");
        Model.Disk disk;
        Model.Operation op;
        synchronized (lock) {
            Model.Operation earlier = earlier(requestId);
            if (earlier != null) {
                return render(earlier);
            }
            disk = disk(project, zone, name);
            if (!disk.users.isEmpty()) {
                throw GceException.inUse(disk.path(), instancePathOf(disk.users.get(0)));
            }
            if (!disk.pendingAttach.isEmpty()) {
                throw GceException.inUse(
                        disk.path(),
                        instancePathOf(disk.pendingAttach.keySet().iterator().next()));
            }
            if (!disk.readers.isEmpty()) {
                throw GceException.inUse(disk.path(), disk.readers.get(0));
            }
            if (!disk.status.equals("READY")) {
                throw GceException.notReady(disk.path());
            }
            disk.status = "DELETING";
            op = newOperationOf("disks.delete", project, zone, links().disk(project, zone, name), disk.id, requestId);
        }
        return launch(
                op,
                Effect.of(
                        () -> {
                            storage.deleteDisk(disk.file);
                            synchronized (lock) {
                                disks.remove(disk.key(), disk);
                            }
                            sharing.forget(disk.key());
                        },
                        () -> disk.status = "READY"));
    }

    ObjectNode resizeDisk(String project, String zone, String name, JsonNode body, Map<String, String> query) {
        String requestId = query.get("requestId");
        Model.Disk disk;
        Model.Operation op;
        long newSize;
        synchronized (lock) {
            Model.Operation earlier = earlier(requestId);
            if (earlier != null) {
                return render(earlier);
            }
            Long size = Json.int64(body, "sizeGb");
            if (size == null) {
                throw GceException.required("sizeGb");
            }
            disk = disk(project, zone, name);
            if (!disk.status.equals("READY")) {
                throw GceException.notReady(disk.path());
            }
            if (size <= disk.sizeGb) {
                throw GceException.invalidField(
                        "sizeGb",
                        size,
                        "New disk size '" + size + "' GiB must be larger than existing size '" + disk.sizeGb
                                + "' GiB.");
            }
            checkSize("sizeGb", disk.type, size);
            newSize = size;
            op = newOperationOf("disks.resize", project, zone, links().disk(project, zone, name), disk.id, requestId);
        }
        return launch(
                op,
                Effect.of(
                        () -> {
                            List<String> loops = new ArrayList<>();
                            Path file;
                            synchronized (lock) {
                                file = disk.file;
                                for (String user : disk.users) {
                                    Model.Instance inst = instances.get(user);
                                    if (inst != null) {
                                        for (Model.Attachment a : inst.disks) {
                                            if (a.diskKey.equals(disk.key()) && a.loopDevice != null) {
                                                loops.add(a.loopDevice);
                                            }
                                        }
                                    }
                                }
                            }
                            storage.resizeDisk(file, newSize * GIB, loops);
                            synchronized (lock) {
                                disk.sizeGb = Math.max(disk.sizeGb, newSize);
                            }
                        },
                        () -> {}));
    }

    /**
     * The disk's access mode: Hyperdisk types only (absent: READ_WRITE_SINGLE), each type its own
     * modes, and a Hyperdisk ML disk from an image only READ_ONLY_MANY; null for other types.
     */
    private static String checkAccessMode(JsonNode body, String type, boolean fromImage) {
        String mode = Json.text(body, "accessMode");
        boolean given = mode != null && !mode.isEmpty();
        if (!Sharing.hyperdisk(type)) {
            if (given) {
                throw GceException.invalidField(
                        "resource.accessMode",
                        mode,
                        "Access mode can only be set for Hyperdisk disk types; disk type " + type + " has none.");
            }
            return null;
        }
        if (!given) {
            mode = "READ_WRITE_SINGLE";
        }
        if (!Sharing.accessModes(type).contains(mode)) {
            throw GceException.invalidField(
                    "resource.accessMode",
                    mode,
                    "Disk type " + type + " supports access modes " + new java.util.TreeSet<>(Sharing.accessModes(type))
                            + ".");
        }
        if (fromImage && type.equals("hyperdisk-ml") && !mode.equals("READ_ONLY_MANY")) {
            throw GceException.invalidField(
                    "resource.accessMode",
                    mode,
                    "A hyperdisk-ml disk created from an image must have access mode READ_ONLY_MANY.");
        }
        return mode;
    }

    /** The fields {@code disks.update} changes here. */
    static final java.util.Set<String> UPDATABLE = java.util.Set.of("provisionedIops", "provisionedThroughput");

    /**
     * disks.update: changes the fields named by {@code paths} (repeated query parameter) and/or {@code updateMask}
     * (comma-separated) to the body's values, with disks.insert's checks of provisioned performance (Hyperdisk only,
     * within the type's range for the disk's size). The change shows when the operation is DONE.
     */
    ObjectNode updateDisk(
            String project, String zone, String name, JsonNode body, Map<String, String> query, List<String> paths) {
        String requestId = query.get("requestId");
        Model.Disk disk;
        Model.Operation op;
        Long iops;
        Long throughput;
        java.util.Set<String> fields = new java.util.LinkedHashSet<>();
        synchronized (lock) {
            Model.Operation earlier = earlier(requestId);
            if (earlier != null) {
                return render(earlier);
            }
            for (String p : paths) {
                for (String f : p.split(",")) {
                    if (!f.isBlank()) {
                        fields.add(f.strip());
                    }
                }
            }
            String mask = query.get("updateMask");
            if (mask != null) {
                for (String f : mask.split(",")) {
                    if (!f.isBlank()) {
                        fields.add(f.strip());
                    }
                }
            }
            disk = disk(project, zone, name);
            if (fields.isEmpty()) {
                throw GceException.required("paths");
            }
            for (String f : fields) {
                if (!UPDATABLE.contains(f)) {
                    throw GceException.invalidField(
                            "paths",
                            f,
                            "The emulator updates only " + String.join(", ", new java.util.TreeSet<>(UPDATABLE)) + ".");
                }
            }
            if (body == null) {
                throw GceException.required("resource");
            }
            iops = fields.contains("provisionedIops") ? Json.int64(body, "provisionedIops") : null;
            throughput = fields.contains("provisionedThroughput") ? Json.int64(body, "provisionedThroughput") : null;
            if (fields.contains("provisionedIops") && iops == null) {
                throw GceException.required("resource.provisionedIops");
            }
            if (fields.contains("provisionedThroughput") && throughput == null) {
                throw GceException.required("resource.provisionedThroughput");
            }
            if (!disk.status.equals("READY")) {
                throw GceException.notReady(disk.path());
            }
            DiskPerformance.check(disk.type, disk.sizeGb, iops, throughput, disk.provisionedIops);
            op = newOperationOf("disks.update", project, zone, links().disk(project, zone, name), disk.id, requestId);
        }
        final Long newIops = iops;
        final Long newThroughput = throughput;
        return launch(
                op,
                Effect.of(
                        () -> {
                            synchronized (lock) {
                                if (newIops != null) {
                                    disk.provisionedIops = newIops;
                                }
                                if (newThroughput != null) {
                                    disk.provisionedThroughput = newThroughput;
                                }
                            }
                        },
                        () -> {}));
    }

    private static void checkSize(String field, String type, long size) {
        long[] range = DISK_TYPE_SIZES.get(type);
        if (size < range[0]) {
            throw GceException.invalidField(
                    field, size, "Disk size cannot be smaller than " + range[0] + " GB for disk type " + type + ".");
        }
        if (size > range[1]) {
            throw GceException.invalidField(
                    field, size, "Disk size cannot be larger than " + range[1] + " GB for disk type " + type + ".");
        }
    }

    ObjectNode render(Model.Disk d) {
        ObjectNode n = Json.object();
        n.put("kind", "compute#disk");
        Json.putInt64(n, "id", d.id);
        n.put("creationTimestamp", d.creationTimestamp);
        n.put("name", d.name);
        if (d.description != null) {
            n.put("description", d.description);
        }
        Json.putInt64(n, "sizeGb", d.sizeGb);
        n.put("zone", links().zone(d.project, d.zone));
        n.put("status", d.status);
        n.put("selfLink", links().disk(d.project, d.zone, d.name));
        if (d.sourceImageName != null) {
            n.put("sourceImage", links().image(d.sourceImageProject, d.sourceImageName));
            Json.putInt64(n, "sourceImageId", d.sourceImageId);
        }
        if (d.sourceDiskName != null) {
            n.put("sourceDisk", links().disk(d.sourceDiskProject, d.sourceDiskZone, d.sourceDiskName));
            Json.putInt64(n, "sourceDiskId", d.sourceDiskId);
        }
        n.put("type", links().diskType(d.project, d.zone, d.type));
        if (d.accessMode != null) {
            n.put("accessMode", d.accessMode);
        }
        if (!d.labels.isEmpty()) {
            ObjectNode labels = n.putObject("labels");
            d.labels.forEach(labels::put);
        }
        n.put("labelFingerprint", labelFingerprint(d.labels));
        if (d.lastAttachTimestamp != null) {
            n.put("lastAttachTimestamp", d.lastAttachTimestamp);
        }
        if (d.lastDetachTimestamp != null) {
            n.put("lastDetachTimestamp", d.lastDetachTimestamp);
        }
        if (!d.users.isEmpty()) {
            ArrayNode users = n.putArray("users");
            for (String u : d.users) {
                users.add(links().api() + instancePathOf(u));
            }
        }
        if (d.kmsKeyName != null) {
            n.putObject("diskEncryptionKey").put("kmsKeyName", d.kmsKeyName);
        }
        if (d.provisionedIops != null) {
            Json.putInt64(n, "provisionedIops", d.provisionedIops);
        }
        if (d.provisionedThroughput != null) {
            Json.putInt64(n, "provisionedThroughput", d.provisionedThroughput);
        }
        Json.putInt64(n, "physicalBlockSizeBytes", 4096);
        n.put("architecture", "X86_64");
        return n;
    }

    Model.Disk findDisk(String project, String zone, String name) {
        return locked(() -> disks.get(project + "/" + zone + "/" + name));
    }
}
