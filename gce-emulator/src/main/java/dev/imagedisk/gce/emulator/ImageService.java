package dev.imagedisk.gce.emulator;

import static dev.imagedisk.gce.emulator.Checks.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Global images: registered from files (the emulator's own call), images.insert from a disk
 * (PENDING until its global operation copies the disk's file, then READY), images.delete, get,
 * getFromFamily (the newest READY image that is not deprecated) and list.
 */
final class ImageService extends ComputeApi {
    private long imageSequence;

    ImageService(ComputeState state, OperationService ops) {
        super(state, ops);
    }

    Model.Image registerImage(String project, String name, String family, Path file, Long diskSizeGb)
            throws IOException {
        checkName("image name", name);
        if (family != null) {
            checkName("image family", family);
        }
        synchronized (lock) {
            if (images.containsKey(project + "/" + name)) {
                throw GceException.alreadyExists(Links.imagePath(project, name));
            }
        }
        long size;
        long archive;
        Path stored = null;
        if (file != null) {
            long bytes = Files.size(file);
            size = Math.max(1, (bytes + GIB - 1) / GIB);
            archive = bytes;
            stored = storage.importImage(project, name, file);
        } else {
            size = diskSizeGb;
            archive = diskSizeGb * GIB;
        }
        Model.Image img = new Model.Image();
        img.project = project;
        img.name = name;
        img.family = family;
        img.id = newId();
        img.diskSizeGb = size;
        img.archiveSizeBytes = archive;
        img.creationTimestamp = Json.now();
        img.file = stored;
        synchronized (lock) {
            img.sequence = ++imageSequence;
            if (images.putIfAbsent(img.key(), img) != null) {
                throw GceException.alreadyExists(Links.imagePath(project, name));
            }
            // a DONE global operation, as images.insert leaves behind
            Model.Operation op = newOperation(project, null, "insert", links().image(project, name), img.id, null);
            op.status = "DONE";
            op.progress = 100;
            op.startTime = op.insertTime;
            op.endTime = Json.now();
            op.done.complete(null);
        }
        changed();
        return img;
    }

    void deprecateImage(String project, String name, String state) {
        synchronized (lock) {
            Model.Image img = image(project, name);
            img.deprecationState = state == null || state.equals("ACTIVE") ? null : state;
        }
        changed();
    }

    private Model.Image imageFromFamily(String project, String family) {
        Model.Image best = findImageFromFamily(project, family);
        if (best == null) {
            throw GceException.notFound("projects/" + project + "/global/images/family/" + family);
        }
        return best;
    }

    /** The newest READY image of the family that is not deprecated, or null. */
    Model.Image findImageFromFamily(String project, String family) {
        Model.Image best = null;
        for (Model.Image img : images.values()) {
            if (img.project.equals(project)
                    && family.equals(img.family)
                    && img.deprecationState == null
                    && img.status.equals("READY")
                    && !img.deleting
                    && (best == null
                            || img.creationTimestamp.compareTo(best.creationTimestamp) > 0
                            || (img.creationTimestamp.equals(best.creationTimestamp)
                                    && img.sequence > best.sequence))) {
                best = img;
            }
        }
        return best;
    }

    /**
     * images.insert from {@code sourceDisk}: the image is PENDING until its global operation is
     * DONE (the disk's file copied, sparse), then READY. A disk attached READ_WRITE needs
     * {@code forceCreate=true}.
     */
    ObjectNode insertImage(String project, JsonNode body, Map<String, String> query) {
        String requestId = query.get("requestId");
        Model.Image img;
        Model.Disk source;
        Model.Operation op;
        synchronized (lock) {
            Model.Operation earlier = earlier(requestId);
            if (earlier != null) {
                return render(earlier);
            }
            String name = checkResourceName(body);
            String family = Json.text(body, "family");
            if (family != null && !family.isEmpty()) {
                checkNameField("resource.family", family);
            }
            String description = checkDescription(body);
            Map<String, String> labels = checkLabels(body);
            List<String> locations = new ArrayList<>();
            JsonNode locs = body.get("storageLocations");
            if (locs != null && locs.isArray()) {
                for (JsonNode l : locs) {
                    String loc = l.asText();
                    if (!STORAGE_LOCATION.matcher(loc).matches()) {
                        throw GceException.invalidField("resource.storageLocations", loc, "Invalid storage location.");
                    }
                    locations.add(loc);
                }
            }
            if (locations.size() > 1) {
                throw GceException.invalidField(
                        "resource.storageLocations",
                        String.join(",", locations),
                        "At most one storage location may be specified.");
            }
            String diskRef = Json.text(body, "sourceDisk");
            int sources = (diskRef == null || diskRef.isEmpty() ? 0 : 1)
                    + (Json.text(body, "sourceImage") != null ? 1 : 0)
                    + (Json.text(body, "sourceSnapshot") != null ? 1 : 0)
                    + (body.has("rawDisk") ? 1 : 0);
            if (sources != 1) {
                throw GceException.invalid(
                        "Invalid resource usage: 'Must specify exactly one source for" + " an image.'");
            }
            if (diskRef == null) {
                throw GceException.invalid("The emulator makes images from disks (sourceDisk) only");
            }
            Links.Zonal ref = Links.zonal(diskRef, "disks", project, null);
            if (ref == null || ref.zone() == null) {
                throw GceException.invalidField("resource.sourceDisk", diskRef, "The URL is malformed.");
            }
            source = disks.get(ref.project() + "/" + ref.zone() + "/" + ref.name());
            if (source == null) {
                throw referenceNotFound("resource.sourceDisk", diskRef);
            }
            if (images.containsKey(project + "/" + name)) {
                throw GceException.alreadyExists(Links.imagePath(project, name));
            }
            if (!source.status.equals("READY")) {
                throw GceException.notReady(source.path());
            }
            boolean force = "true".equalsIgnoreCase(query.get("forceCreate"));
            if (!force) {
                for (String user : source.users) {
                    if ("READ_WRITE".equals(attachmentMode(user, source.key()))) {
                        throw GceException.inUse(source.path(), instancePathOf(user));
                    }
                }
                for (Map.Entry<String, String> e : source.pendingAttach.entrySet()) {
                    if ("READ_WRITE".equals(e.getValue())) {
                        throw GceException.inUse(source.path(), instancePathOf(e.getKey()));
                    }
                }
            }
            img = new Model.Image();
            img.project = project;
            img.name = name;
            img.id = newId();
            img.family = family == null || family.isEmpty() ? null : family;
            img.description = description;
            img.labels.putAll(labels);
            img.storageLocations.addAll(locations.isEmpty() ? List.of(defaultStorageLocation(source.zone)) : locations);
            img.diskSizeGb = source.sizeGb;
            img.archiveSizeBytes = 0;
            img.creationTimestamp = Json.now();
            img.sequence = ++imageSequence;
            img.status = "PENDING";
            img.sourceDiskProject = source.project;
            img.sourceDiskZone = source.zone;
            img.sourceDiskName = source.name;
            img.sourceDiskId = source.id;
            images.put(img.key(), img);
            source.readers.add(Links.imagePath(project, name));
            op = newOperationOf("images.insert", project, null, links().image(project, name), img.id, requestId);
        }
        final Model.Image image = img;
        final Model.Disk disk = source;
        return launch(
                op,
                Effect.of(
                        () -> {
                            Path file = locked(() -> disk.file);
                            Storage.Captured captured = storage.captureImage(image.project, image.name, image.id, file);
                            synchronized (lock) {
                                disk.readers.remove(Links.imagePath(image.project, image.name));
                                if (captured != null) {
                                    image.file = captured.file();
                                    image.archiveSizeBytes = captured.dataBytes();
                                } else {
                                    image.archiveSizeBytes = image.diskSizeGb * GIB;
                                }
                                image.status = "READY";
                            }
                        },
                        () -> {
                            disk.readers.remove(Links.imagePath(image.project, image.name));
                            images.remove(image.key(), image);
                        }));
    }

    ObjectNode deleteImage(String project, String name, Map<String, String> query) {
        String requestId = query.get("requestId");
        Model.Image img;
        Model.Operation op;
        synchronized (lock) {
            Model.Operation earlier = earlier(requestId);
            if (earlier != null) {
                return render(earlier);
            }
            img = image(project, name);
            if (!img.status.equals("READY") || img.deleting) {
                throw GceException.notReady(Links.imagePath(project, name));
            }
            img.deleting = true;
            op = newOperationOf("images.delete", project, null, links().image(project, name), img.id, requestId);
        }
        final Model.Image image = img;
        return launch(
                op,
                Effect.of(
                        () -> {
                            storage.deleteImage(locked(() -> image.file));
                            synchronized (lock) {
                                images.remove(image.key(), image);
                            }
                        },
                        () -> image.deleting = false));
    }

    /** Compute Engine's default: the multi-region of the source's region (us, eu, asia). */
    static String defaultStorageLocation(String zone) {
        String region = zone.substring(0, zone.indexOf('-'));
        switch (region) {
            case "europe":
                return "eu";
            case "asia":
            case "australia":
                return "asia";
            default:
                return "us";
        }
    }

    private static final Pattern STORAGE_LOCATION = Pattern.compile("[a-z]+(?:-[a-z]+[0-9]+)?");

    ObjectNode getImage(String project, String name) {
        return locked(() -> render(image(project, name)));
    }

    ObjectNode getImageFromFamily(String project, String family) {
        return locked(() -> render(imageFromFamily(project, family)));
    }

    ObjectNode listImages(String project, Map<String, String> query) {
        return listPage(
                "compute#imageList",
                "projects/" + project + "/global/images",
                links().project(project) + "/global/images",
                images.values(),
                img -> img.project.equals(project),
                this::render,
                query);
    }

    ObjectNode render(Model.Image img) {
        ObjectNode n = Json.object();
        n.put("kind", "compute#image");
        Json.putInt64(n, "id", img.id);
        n.put("creationTimestamp", img.creationTimestamp);
        n.put("name", img.name);
        if (img.description != null) {
            n.put("description", img.description);
        }
        n.put("sourceType", "RAW");
        n.put("status", img.status);
        Json.putInt64(n, "archiveSizeBytes", img.archiveSizeBytes);
        Json.putInt64(n, "diskSizeGb", img.diskSizeGb);
        if (img.sourceDiskName != null) {
            n.put("sourceDisk", links().disk(img.sourceDiskProject, img.sourceDiskZone, img.sourceDiskName));
            Json.putInt64(n, "sourceDiskId", img.sourceDiskId);
        }
        if (img.family != null) {
            n.put("family", img.family);
        }
        n.put("selfLink", links().image(img.project, img.name));
        if (!img.labels.isEmpty()) {
            ObjectNode labels = n.putObject("labels");
            img.labels.forEach(labels::put);
        }
        n.put("labelFingerprint", labelFingerprint(img.labels));
        ArrayNode locs = n.putArray("storageLocations");
        if (img.storageLocations.isEmpty()) {
            locs.add("us");
        } else {
            img.storageLocations.forEach(locs::add);
        }
        n.put("architecture", "X86_64");
        if (img.deprecationState != null) {
            n.putObject("deprecated").put("state", img.deprecationState);
        }
        return n;
    }

    /** After a restore: new images sort after the restored ones. */
    void restoreSequence(long sequence) {
        imageSequence = Math.max(imageSequence, sequence);
    }
}
