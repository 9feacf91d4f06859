package dev.imagedisk.gce.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Images, disks and instances persisted to {@code <dataDir>/state.json}. Attachments of data disks
 * are not persisted: their loop devices are released when the emulator closes, so a restarted
 * emulator starts with every data disk detached (empty {@code users}); boot disks stay attached.
 * A disk still CREATING at shutdown is dropped when its file is missing, else READY; a disk
 * DELETING at shutdown comes back READY.
 */
final class StateFile {
    private static final Logger log = LoggerFactory.getLogger(StateFile.class);
    static final String NAME = "state.json";

    private StateFile() {}

    static void write(Path dataDir, ComputeService svc) throws IOException {
        ObjectNode root = svc.withRecords(r -> {
            ObjectNode n = Json.object();
            n.put("version", 1);
            ArrayNode imgs = n.putArray("images");
            for (Model.Image i : r.images().values()) {
                ObjectNode o = imgs.addObject();
                o.put("project", i.project);
                o.put("name", i.name);
                o.put("id", i.id);
                o.put("family", i.family);
                o.put("description", i.description);
                o.put("diskSizeGb", i.diskSizeGb);
                o.put("archiveSizeBytes", i.archiveSizeBytes);
                o.put("creationTimestamp", i.creationTimestamp);
                o.put("sequence", i.sequence);
                o.put("deprecationState", i.deprecationState);
                o.put("file", rel(dataDir, i.file));
                o.put("status", i.status);
                ObjectNode labels = o.putObject("labels");
                i.labels.forEach(labels::put);
                ArrayNode locs = o.putArray("storageLocations");
                i.storageLocations.forEach(locs::add);
                o.put("sourceDiskProject", i.sourceDiskProject);
                o.put("sourceDiskZone", i.sourceDiskZone);
                o.put("sourceDiskName", i.sourceDiskName);
                o.put("sourceDiskId", i.sourceDiskId);
            }
            ArrayNode ds = n.putArray("disks");
            for (Model.Disk d : r.disks().values()) {
                ObjectNode o = ds.addObject();
                o.put("project", d.project);
                o.put("zone", d.zone);
                o.put("name", d.name);
                o.put("id", d.id);
                o.put("creationTimestamp", d.creationTimestamp);
                o.put("description", d.description);
                o.put("sizeGb", d.sizeGb);
                o.put("type", d.type);
                if (d.accessMode != null) {
                    o.put("accessMode", d.accessMode);
                }
                o.put("sourceImageProject", d.sourceImageProject);
                o.put("sourceImageName", d.sourceImageName);
                o.put("sourceImageId", d.sourceImageId);
                o.put("sourceDiskProject", d.sourceDiskProject);
                o.put("sourceDiskZone", d.sourceDiskZone);
                o.put("sourceDiskName", d.sourceDiskName);
                o.put("sourceDiskId", d.sourceDiskId);
                o.put("kmsKeyName", d.kmsKeyName);
                o.put("provisionedIops", d.provisionedIops);
                o.put("provisionedThroughput", d.provisionedThroughput);
                ObjectNode labels = o.putObject("labels");
                d.labels.forEach(labels::put);
                o.put("status", d.status);
                o.put("lastAttachTimestamp", d.lastAttachTimestamp);
                o.put("lastDetachTimestamp", d.lastDetachTimestamp);
                o.put("boot", d.boot);
                o.put("file", rel(dataDir, d.file));
            }
            ArrayNode insts = n.putArray("instances");
            for (Model.Instance i : r.instances().values()) {
                ObjectNode o = insts.addObject();
                o.put("project", i.project);
                o.put("zone", i.zone);
                o.put("name", i.name);
                o.put("id", i.id);
                o.put("creationTimestamp", i.creationTimestamp);
                o.put("machineType", i.machineType);
                o.put("deviceDir", i.deviceDir == null ? null : i.deviceDir.toString());
                ArrayNode boots = o.putArray("bootDisks");
                for (Model.Attachment a : i.disks) {
                    if (a.boot) {
                        boots.addObject().put("disk", a.diskKey).put("deviceName", a.deviceName);
                    }
                }
            }
            return n;
        });
        Path file = dataDir.resolve(NAME);
        Path tmp = dataDir.resolve(NAME + ".tmp");
        Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static void read(Path dataDir, ComputeService svc, boolean storage) throws IOException {
        Path file = dataDir.resolve(NAME);
        if (!Files.exists(file)) {
            return;
        }
        JsonNode root = Json.MAPPER.readTree(file.toFile());
        List<Model.Image> images = new ArrayList<>();
        for (JsonNode o : root.path("images")) {
            Model.Image i = new Model.Image();
            i.project = o.path("project").asText();
            i.name = o.path("name").asText();
            i.id = o.path("id").asLong();
            i.family = Json.text(o, "family");
            i.description = Json.text(o, "description");
            i.diskSizeGb = o.path("diskSizeGb").asLong();
            i.archiveSizeBytes = o.path("archiveSizeBytes").asLong();
            i.creationTimestamp = o.path("creationTimestamp").asText();
            i.sequence = o.path("sequence").asLong();
            i.deprecationState = Json.text(o, "deprecationState");
            i.file = abs(dataDir, Json.text(o, "file"));
            i.status = o.path("status").asText("READY");
            o.path("labels")
                    .properties()
                    .forEach(e -> i.labels.put(e.getKey(), e.getValue().asText()));
            o.path("storageLocations").forEach(l -> i.storageLocations.add(l.asText()));
            i.sourceDiskProject = Json.text(o, "sourceDiskProject");
            i.sourceDiskZone = Json.text(o, "sourceDiskZone");
            i.sourceDiskName = Json.text(o, "sourceDiskName");
            i.sourceDiskId = o.path("sourceDiskId").asLong();
            if (!i.status.equals("READY")) {
                // an images.insert cut short by the shutdown: its copy may be partial, so it is dropped
                log.warn("image {} was {} at shutdown; dropping it", i.key(), i.status);
                if (storage && i.file != null) {
                    Files.deleteIfExists(i.file);
                }
                continue;
            }
            if (storage && i.file != null && !Files.exists(i.file)) {
                log.warn("image {} lost its file {}; keeping it as a record", i.key(), i.file);
                i.file = null;
            }
            images.add(i);
        }
        List<Model.Disk> disks = new ArrayList<>();
        for (JsonNode o : root.path("disks")) {
            Model.Disk d = new Model.Disk();
            d.project = o.path("project").asText();
            d.zone = o.path("zone").asText();
            d.name = o.path("name").asText();
            d.id = o.path("id").asLong();
            d.creationTimestamp = o.path("creationTimestamp").asText();
            d.description = Json.text(o, "description");
            d.sizeGb = o.path("sizeGb").asLong();
            d.type = o.path("type").asText();
            d.accessMode = o.hasNonNull("accessMode") ? o.get("accessMode").asText() : null;
            d.sourceImageProject = Json.text(o, "sourceImageProject");
            d.sourceImageName = Json.text(o, "sourceImageName");
            d.sourceImageId = o.path("sourceImageId").asLong();
            d.sourceDiskProject = Json.text(o, "sourceDiskProject");
            d.sourceDiskZone = Json.text(o, "sourceDiskZone");
            d.sourceDiskName = Json.text(o, "sourceDiskName");
            d.sourceDiskId = o.path("sourceDiskId").asLong();
            d.kmsKeyName = Json.text(o, "kmsKeyName");
            d.provisionedIops = Json.int64(o, "provisionedIops");
            d.provisionedThroughput = Json.int64(o, "provisionedThroughput");
            o.path("labels")
                    .properties()
                    .forEach(e -> d.labels.put(e.getKey(), e.getValue().asText()));
            d.lastAttachTimestamp = Json.text(o, "lastAttachTimestamp");
            d.lastDetachTimestamp = Json.text(o, "lastDetachTimestamp");
            d.boot = o.path("boot").asBoolean();
            d.file = abs(dataDir, Json.text(o, "file"));
            String status = o.path("status").asText("READY");
            if (status.equals("CREATING") && storage && !d.boot && (d.file == null || !Files.exists(d.file))) {
                continue;
            }
            d.status = "READY";
            disks.add(d);
        }
        List<Model.Instance> instances = new ArrayList<>();
        for (JsonNode o : root.path("instances")) {
            Model.Instance i = new Model.Instance();
            i.project = o.path("project").asText();
            i.zone = o.path("zone").asText();
            i.name = o.path("name").asText();
            i.id = o.path("id").asLong();
            i.creationTimestamp = o.path("creationTimestamp").asText();
            i.machineType = o.path("machineType").asText();
            String dev = Json.text(o, "deviceDir");
            i.deviceDir = dev == null ? null : Path.of(dev);
            for (JsonNode b : o.path("bootDisks")) {
                Model.Attachment a = new Model.Attachment();
                a.diskKey = b.path("disk").asText();
                a.deviceName = b.path("deviceName").asText();
                a.mode = "READ_WRITE";
                a.index = 0;
                a.boot = true;
                a.autoDelete = true;
                i.disks.add(a);
                for (Model.Disk d : disks) {
                    if (d.key().equals(a.diskKey)) {
                        d.users.add(i.key());
                    }
                }
            }
            instances.add(i);
        }
        svc.restore(images, disks, instances);
    }

    private static String rel(Path dataDir, Path file) {
        if (file == null) {
            return null;
        }
        Path abs = file.toAbsolutePath();
        Path base = dataDir.toAbsolutePath();
        return abs.startsWith(base) ? base.relativize(abs).toString() : abs.toString();
    }

    private static Path abs(Path dataDir, String s) {
        if (s == null) {
            return null;
        }
        Path p = Path.of(s);
        return p.isAbsolute() ? p : dataDir.toAbsolutePath().resolve(p);
    }
}
