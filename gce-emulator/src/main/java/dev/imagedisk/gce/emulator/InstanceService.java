package dev.imagedisk.gce.emulator;

import static dev.imagedisk.gce.emulator.Checks.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Instances (added by the emulator, RUNNING, with a record-only boot disk): get, list,
 * attachDisk and detachDisk. */
final class InstanceService extends ComputeApi {
    static final int MAX_ATTACHED_DISKS = 128;

    /**
     * Shared-core machine types attach at most 16 disks (boot disk included), the others 128:
     * Compute Engine, "About Persistent Disk" / machine types' disk limits ("Shared-core machine
     * types are limited to 16 Persistent Disk volumes").
     */
    static final int MAX_ATTACHED_DISKS_SHARED_CORE = 16;

    static final Set<String> SHARED_CORE = Set.of("e2-micro", "e2-small", "e2-medium", "f1-micro", "g1-small");

    InstanceService(ComputeState state, OperationService ops) {
        super(state, ops);
    }

    Model.Instance addInstance(String project, String zone, String name, String machineType, Path deviceDir) {
        checkName("instance name", name);
        if (!ZONE.matcher(zone).matches()) {
            throw new IllegalArgumentException("not a zone name: " + zone);
        }
        Model.Instance inst = new Model.Instance();
        inst.project = project;
        inst.zone = zone;
        inst.name = name;
        inst.id = newId();
        inst.creationTimestamp = Json.now();
        inst.machineType = machineType;
        inst.deviceDir = deviceDir;
        synchronized (lock) {
            if (instances.containsKey(inst.key())) {
                throw GceException.alreadyExists(inst.path());
            }
            // the boot disk: a record only, never backed by a file or a loop device
            Model.Disk boot = disks.get(project + "/" + zone + "/" + name);
            if (boot == null) {
                boot = new Model.Disk();
                boot.project = project;
                boot.zone = zone;
                boot.name = name;
                boot.id = newId();
                boot.creationTimestamp = inst.creationTimestamp;
                boot.sizeGb = 10;
                boot.type = "pd-balanced";
                boot.status = "READY";
                boot.boot = true;
                disks.put(boot.key(), boot);
            }
            if (boot.boot && boot.users.isEmpty()) {
                boot.users.add(inst.key());
                boot.lastAttachTimestamp = inst.creationTimestamp;
                Model.Attachment a = new Model.Attachment();
                a.diskKey = boot.key();
                a.deviceName = "persistent-disk-0";
                a.mode = "READ_WRITE";
                a.index = 0;
                a.boot = true;
                a.autoDelete = true;
                inst.disks.add(a);
            }
            instances.put(inst.key(), inst);
        }
        changed();
        return inst;
    }

    Model.Instance findInstance(String project, String zone, String name) {
        return locked(() -> instances.get(project + "/" + zone + "/" + name));
    }

    ObjectNode getInstance(String project, String zone, String name) {
        return locked(() -> render(instance(project, zone, name)));
    }

    ObjectNode listInstances(String project, String zone, Map<String, String> query) {
        return zonalPage(
                "compute#instanceList",
                "instances",
                project,
                zone,
                instances.values(),
                i -> i.project.equals(project) && i.zone.equals(zone),
                this::render,
                query);
    }

    private static final Pattern DEVICE_NAME =
            Pattern.compile("[a-z0-9](?:[-_a-z0-9]{0,61}[a-z0-9])?", Pattern.CASE_INSENSITIVE);

    ObjectNode attachDisk(String project, String zone, String instanceName, JsonNode body, Map<String, String> query) {
        String requestId = query.get("requestId");
        Model.Instance inst;
        Model.Disk disk;
        Model.Operation op;
        String deviceName;
        String mode;
        OperationFailure preset = null;
        synchronized (lock) {
            Model.Operation earlier = earlier(requestId);
            if (earlier != null) {
                return render(earlier);
            }
            inst = instance(project, zone, instanceName);
            String source = Json.text(body, "source");
            if (source == null || source.isEmpty()) {
                throw GceException.required("resource.source");
            }
            Links.Zonal ref = Links.zonal(source, "disks", project, zone);
            if (ref == null) {
                throw GceException.invalidField(
                        "resource.source", source, "Must be a URL to a valid Compute resource of the correct type.");
            }
            disk = disk(ref.project(), ref.zone(), ref.name());
            if (!ref.zone().equals(zone)) {
                throw GceException.invalidField(
                        "resource.source", source, "Disk must be in the same zone as the instance.");
            }
            if ("true".equalsIgnoreCase(query.get("forceAttach"))
                    || Boolean.TRUE.equals(Json.bool(body, "forceAttach"))) {
                throw GceException.invalid("Force attach is only supported for regional disks. Disk '" + disk.path()
                        + "' is a zonal disk.");
            }
            String type = Json.text(body, "type");
            if (type != null && !type.equals("PERSISTENT")) {
                throw GceException.invalidField(
                        "resource.type", type, "Only PERSISTENT disks can be attached to a running instance.");
            }
            mode = Json.text(body, "mode");
            if (mode == null || mode.isEmpty()) {
                mode = "READ_WRITE";
            }
            if (!mode.equals("READ_WRITE") && !mode.equals("READ_ONLY")) {
                throw GceException.invalidField("resource.mode", mode, "Must be one of [READ_ONLY, READ_WRITE].");
            }
            if (Boolean.TRUE.equals(Json.bool(body, "boot"))) {
                throw GceException.invalidField(
                        "resource.boot", "true", "A boot disk cannot be attached to a running instance.");
            }
            if (!disk.status.equals("READY")) {
                throw GceException.notReady(disk.path());
            }
            if (disk.boot) {
                throw GceException.inUse(
                        disk.path(), instancePathOf(disk.users.isEmpty() ? inst.key() : disk.users.get(0)));
            }
            if (mode.equals("READ_ONLY") && disk.type.equals("hyperdisk-balanced")) {
                // cloud-forensics-utils PR 530 quotes Compute Engine's answer
                throw new GceException(
                        400, "badRequest", "hyperdisk-balanced disk type cannot be attached in read-only mode.");
            }
            if (mode.equals("READ_WRITE") && "READ_ONLY_MANY".equals(disk.accessMode)) {
                throw GceException.invalidField(
                        "resource.mode",
                        mode,
                        "Disk '" + disk.path() + "' has access mode READ_ONLY_MANY: it can only be attached in"
                                + " READ_ONLY mode.");
            }
            // Compute Engine accepts an attach that conflicts with the disk's users and fails the
            // operation with RESOURCE_IN_USE_BY_ANOTHER_RESOURCE (httpErrorStatusCode 200 or 400 have
            // both been seen; Faults.setInUseOperationHttpStatus picks)
            boolean here = disk.users.contains(inst.key()) || disk.pendingAttach.containsKey(inst.key());
            String conflict = here ? inst.key() : null;
            // a Hyperdisk in READ_WRITE_MANY access mode is shared by writers (multi-writer mode)
            if (!here && !"READ_WRITE_MANY".equals(disk.accessMode)) {
                Map<String, String> others = new LinkedHashMap<>();
                for (String user : disk.users) {
                    others.put(user, attachmentMode(user, disk.key()));
                }
                others.putAll(disk.pendingAttach);
                // a Hyperdisk in READ_WRITE_SINGLE access mode has at most one instance, in any mode
                boolean single = "READ_WRITE_SINGLE".equals(disk.accessMode);
                for (Map.Entry<String, String> e : others.entrySet()) {
                    if (single || mode.equals("READ_WRITE") || "READ_WRITE".equals(e.getValue())) {
                        conflict = e.getKey();
                        break;
                    }
                }
            }
            if (conflict != null) {
                preset = new OperationFailure(
                        "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE",
                        "The disk resource '" + disk.path() + "' is already being used by '" + instancePathOf(conflict)
                                + "'",
                        faults.inUseOperationHttpStatus());
            }
            deviceName = Json.text(body, "deviceName");
            if (deviceName == null || deviceName.isEmpty()) {
                deviceName = defaultDeviceName(inst);
            } else if (!DEVICE_NAME.matcher(deviceName).matches()) {
                throw GceException.invalidField(
                        "resource.deviceName",
                        deviceName,
                        "Must be a match of regex '[a-z0-9]([-_a-z0-9]{0,61}[a-z0-9])?'");
            }
            if (preset == null) {
                for (Model.Attachment a : inst.disks) {
                    if (a.deviceName.equals(deviceName)) {
                        throw GceException.invalidField(
                                "resource.deviceName",
                                deviceName,
                                "Device name '" + deviceName + "' is already in use on instance '" + inst.path()
                                        + "'.");
                    }
                }
                if (inst.pendingDevices.containsKey(deviceName)) {
                    throw GceException.invalidField(
                            "resource.deviceName",
                            deviceName,
                            "Device name '" + deviceName + "' is already in use on instance '" + inst.path() + "'.");
                }
                if (mode.equals("READ_ONLY")) {
                    checkReaders(disk);
                }
                int limit = maxAttachedDisks(inst.machineType);
                if (inst.disks.size() + inst.pendingDevices.size() >= limit) {
                    throw new GceException(
                            400,
                            "limitExceeded",
                            "Exceeded limit 'maximum_persistent_disks'" + " on resource '" + inst.name + "'. Limit: "
                                    + limit + ".0");
                }
                if (Sharing.paced(disk.type) && !sharing.admitAttach(disk.key())) {
                    throw new GceException(
                            403,
                            "rateLimitExceeded",
                            "usageLimits",
                            "Rate Limit Exceeded: disk '" + disk.path() + "' of type " + disk.type
                                    + " accepts at most " + sharing.attachPace() + " attaches per "
                                    + sharing.attachWindow().toSeconds() + " s.");
                }
                disk.pendingAttach.put(inst.key(), mode);
                inst.pendingDevices.put(deviceName, disk.key());
            }
            op = newOperationOf(
                    "instances.attachDisk",
                    project,
                    zone,
                    links().instance(project, zone, instanceName),
                    inst.id,
                    requestId);
            op.subject = disk.path();
        }
        if (preset != null) {
            return launch(op, preset, null);
        }
        final String dev = deviceName;
        final String attachMode = mode;
        final Model.Disk target = disk;
        final Model.Instance instance = inst;
        Runnable release = () -> {
            target.pendingAttach.remove(instance.key());
            instance.pendingDevices.remove(dev);
        };
        return launch(
                op,
                Effect.of(
                        () -> {
                            Path file = locked(() -> target.file);
                            Storage.Bound bound = storage.attach(
                                    file,
                                    attachMode.equals("READ_ONLY"),
                                    instance.deviceDir != null ? instance.deviceDir : state.defaultDeviceDir,
                                    dev);
                            synchronized (lock) {
                                release.run();
                                Model.Attachment a = new Model.Attachment();
                                a.diskKey = target.key();
                                a.deviceName = dev;
                                a.mode = attachMode;
                                a.index = nextIndex(instance);
                                a.autoDelete = Boolean.TRUE.equals(Json.bool(body, "autoDelete"));
                                if (bound != null) {
                                    a.loopDevice = bound.loopDevice();
                                    a.link = bound.link();
                                }
                                instance.disks.add(a);
                                target.users.add(instance.key());
                                target.lastAttachTimestamp = Json.now();
                            }
                        },
                        release));
    }

    /**
     * Refuses one more read-only holder of a disk past its type's reader cap (instances attached
     * or being attached), with Compute Engine's limit error shape.
     */
    private void checkReaders(Model.Disk disk) {
        int cap = sharing.readerCap(disk.type);
        int holders = disk.users.size() + disk.pendingAttach.size();
        if (holders >= cap) {
            throw new GceException(
                    400,
                    "limitExceeded",
                    "Exceeded limit 'maximum_read_only_attachments' on resource '" + disk.name + "' of type "
                            + disk.type + ". Limit: " + cap + ".0");
        }
    }

    /** Disks (boot included) an instance of the machine type may have attached. */
    static int maxAttachedDisks(String machineType) {
        return machineType != null && SHARED_CORE.contains(machineType)
                ? MAX_ATTACHED_DISKS_SHARED_CORE
                : MAX_ATTACHED_DISKS;
    }

    /** The smallest index from 1 that no attached disk of the instance has. */
    private static int nextIndex(Model.Instance inst) {
        Set<Integer> used = new java.util.HashSet<>();
        for (Model.Attachment a : inst.disks) {
            used.add(a.index);
        }
        int i = 1;
        while (used.contains(i)) {
            i++;
        }
        return i;
    }

    /** Compute Engine's default device name: persistent-disk-N with the first free N. */
    private static String defaultDeviceName(Model.Instance inst) {
        Set<String> used = new java.util.HashSet<>(inst.pendingDevices.keySet());
        for (Model.Attachment a : inst.disks) {
            used.add(a.deviceName);
        }
        int i = nextIndex(inst);
        while (used.contains("persistent-disk-" + i)) {
            i++;
        }
        return "persistent-disk-" + i;
    }

    ObjectNode detachDisk(String project, String zone, String instanceName, Map<String, String> query) {
        String requestId = query.get("requestId");
        Model.Instance inst;
        Model.Attachment att;
        Model.Operation op;
        synchronized (lock) {
            Model.Operation earlier = earlier(requestId);
            if (earlier != null) {
                return render(earlier);
            }
            inst = instance(project, zone, instanceName);
            String deviceName = query.get("deviceName");
            if (deviceName == null || deviceName.isEmpty()) {
                throw GceException.required("deviceName");
            }
            att = null;
            for (Model.Attachment a : inst.disks) {
                if (a.deviceName.equals(deviceName)) {
                    att = a;
                }
            }
            if (att == null) {
                throw GceException.invalid("No attached disk found with device name '" + deviceName + "'");
            }
            if (att.boot) {
                throw GceException.invalidField(
                        "deviceName", deviceName, "The boot disk of a running instance cannot be detached.");
            }
            boolean already = att.detaching;
            att.detaching = true;
            op = newOperationOf(
                    "instances.detachDisk",
                    project,
                    zone,
                    links().instance(project, zone, instanceName),
                    inst.id,
                    requestId);
            if (already) {
                // a repeated detach is DONE when the one in progress is, not before its loop device is released
                java.util.concurrent.CompletableFuture<Void> first = att.detached;
                return launch(op, new Effect() {
                    @Override
                    public java.util.concurrent.CompletionStage<Void> start() {
                        return first.handle((ok, e) -> null);
                    }

                    @Override
                    public void run() {
                        first.handle((ok, e) -> null).join();
                    }

                    @Override
                    public void abort() {}
                });
            }
        }
        final Model.Attachment a = att;
        final Model.Instance instance = inst;
        return launch(op, new Effect() {
            @Override
            public java.util.concurrent.CompletionStage<Void> start() throws Exception {
                // DONE only once the loop device is really released, not when losetup -d merely marked it
                Storage.Bound bound = a.loopDevice == null ? null : new Storage.Bound(a.loopDevice, a.link);
                java.util.concurrent.CompletableFuture<Void> first = a.detached;
                return storage.detach(bound).thenRun(this::forgetAttachment).whenComplete((ok, e) -> {
                    if (e == null) {
                        first.complete(null);
                    }
                });
            }

            @Override
            public void run() throws Exception {
                start().toCompletableFuture().join();
            }

            private void forgetAttachment() {
                synchronized (lock) {
                    instance.disks.remove(a);
                    Model.Disk d = disks.get(a.diskKey);
                    if (d != null) {
                        d.users.remove(instance.key());
                        d.lastDetachTimestamp = Json.now();
                    }
                }
            }

            @Override
            public void abort() {
                // runs under the lock: a later detach starts afresh, and one waiting on this one is released
                a.detaching = false;
                java.util.concurrent.CompletableFuture<Void> first = a.detached;
                a.detached = new java.util.concurrent.CompletableFuture<>();
                first.complete(null);
            }
        });
    }

    ObjectNode render(Model.Instance i) {
        ObjectNode n = Json.object();
        n.put("kind", "compute#instance");
        Json.putInt64(n, "id", i.id);
        n.put("creationTimestamp", i.creationTimestamp);
        n.put("name", i.name);
        n.put("machineType", links().machineType(i.project, i.zone, i.machineType));
        n.put("status", "RUNNING");
        n.put("zone", links().zone(i.project, i.zone));
        ArrayNode arr = n.putArray("disks");
        List<Model.Attachment> sorted = new ArrayList<>(i.disks);
        sorted.sort(Comparator.comparingInt(a -> a.index));
        for (Model.Attachment a : sorted) {
            ObjectNode ad = arr.addObject();
            ad.put("kind", "compute#attachedDisk");
            ad.put("type", "PERSISTENT");
            ad.put("mode", a.mode);
            String[] k = a.diskKey.split("/", 3);
            ad.put("source", links().disk(k[0], k[1], k[2]));
            ad.put("deviceName", a.deviceName);
            ad.put("index", a.index);
            ad.put("boot", a.boot);
            ad.put("autoDelete", a.autoDelete);
            ad.put("interface", "SCSI");
            Model.Disk d = disks.get(a.diskKey);
            if (d != null) {
                Json.putInt64(ad, "diskSizeGb", d.sizeGb);
            }
        }
        n.put("selfLink", links().instance(i.project, i.zone, i.name));
        n.put("cpuPlatform", "Intel Broadwell");
        n.put("labelFingerprint", EMPTY_LABEL_FINGERPRINT);
        n.put("fingerprint", fingerprint(i.key() + i.disks.size()));
        n.put("deletionProtection", false);
        n.put("canIpForward", false);
        return n;
    }

    Model.Attachment findAttachment(String project, String zone, String instance, String deviceName) {
        synchronized (lock) {
            Model.Instance inst = instances.get(project + "/" + zone + "/" + instance);
            if (inst != null) {
                for (Model.Attachment a : inst.disks) {
                    if (a.deviceName.equals(deviceName)) {
                        return a;
                    }
                }
            }
            return null;
        }
    }
}
