package dev.imagedisk.gce.emulator;

import static dev.imagedisk.gce.emulator.TestSupport.P;
import static dev.imagedisk.gce.emulator.TestSupport.Z;
import static dev.imagedisk.gce.emulator.TestSupport.errorBody;
import static dev.imagedisk.gce.emulator.TestSupport.reason;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.api.gax.rpc.AbortedException;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.NotFoundException;
import com.google.cloud.compute.v1.AttachDiskInstanceRequest;
import com.google.cloud.compute.v1.AttachedDisk;
import com.google.cloud.compute.v1.CustomerEncryptionKey;
import com.google.cloud.compute.v1.DeleteDiskRequest;
import com.google.cloud.compute.v1.DetachDiskInstanceRequest;
import com.google.cloud.compute.v1.Disk;
import com.google.cloud.compute.v1.DisksClient;
import com.google.cloud.compute.v1.DisksResizeRequest;
import com.google.cloud.compute.v1.Image;
import com.google.cloud.compute.v1.InsertDiskRequest;
import com.google.cloud.compute.v1.Instance;
import com.google.cloud.compute.v1.ListDisksRequest;
import com.google.cloud.compute.v1.Operation;
import com.google.cloud.compute.v1.ResizeDiskRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Pins the wire format: every call goes through the real google-cloud-compute 1.98 client. */
class RealClientTest extends ClientTestBase {
    String imageLink;

    @BeforeEach
    void start() throws Exception {
        emu.registerImage(P, "lib-v1", "lib", 3);
        imageLink = emu.registerImage(P, "lib-v2", "lib", 4);
        emu.addInstance(P, Z, "node-1", "e2-standard-4");
        emu.addInstance(P, Z, "node-2", "e2-standard-4");
    }

    private Operation insert(String name, long sizeGb, String image) {
        Disk.Builder d =
                Disk.newBuilder().setName(name).setSizeGb(sizeGb).setType("zones/" + Z + "/diskTypes/pd-balanced");
        if (image != null) {
            d.setSourceImage(image);
        }
        return c.disks
                .insertCallable()
                .call(InsertDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDiskResource(d)
                        .build());
    }

    private Operation waitOp(Operation op) {
        return c.zoneOperations.wait(P, Z, op.getName());
    }

    private Operation attach(String instance, String disk, String device, String mode) {
        return c.instances
                .attachDiskCallable()
                .call(AttachDiskInstanceRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setInstance(instance)
                        .setAttachedDiskResource(AttachedDisk.newBuilder()
                                .setSource("projects/" + P + "/zones/" + Z + "/disks/" + disk)
                                .setDeviceName(device)
                                .setMode(mode))
                        .build());
    }

    private Operation detach(String instance, String device) {
        return c.instances
                .detachDiskCallable()
                .call(DetachDiskInstanceRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setInstance(instance)
                        .setDeviceName(device)
                        .build());
    }

    @Test
    void zoneOperationsListFilteredByNameRegexAnswersManyOperationsAtOnce() throws Exception {
        // the driver's operation tracker reads pending operations in batches: name eq "(op-a|op-b)"
        emu.faults().setOperationDuration(Duration.ofMillis(300));
        Operation a = insert("list-a", 10, null);
        Operation b = insert("list-b", 10, null);
        Operation other = insert("list-c", 10, null);
        String filter = "name eq \"(" + a.getName() + "|" + b.getName() + ")\"";
        com.google.cloud.compute.v1.OperationList page = c.zoneOperations
                .listCallable()
                .call(com.google.cloud.compute.v1.ListZoneOperationsRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setFilter(filter)
                        .setMaxResults(500)
                        .build());
        assertEquals(
                java.util.Set.of(a.getName(), b.getName()),
                page.getItemsList().stream().map(Operation::getName).collect(java.util.stream.Collectors.toSet()));
        assertTrue(page.getItemsList().stream().allMatch(o -> o.getStatus() != Operation.Status.DONE));
        waitOp(a);
        waitOp(b);
        waitOp(other);
        page = c.zoneOperations
                .listCallable()
                .call(com.google.cloud.compute.v1.ListZoneOperationsRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setFilter(filter)
                        .build());
        assertEquals(2, page.getItemsCount());
        assertTrue(page.getItemsList().stream()
                .allMatch(o -> o.getStatus() == Operation.Status.DONE
                        && o.getOperationType().equals("insert")));
        assertEquals(2, emu.requestCount("zoneOperations.list"));
    }

    @Test
    void insertReturnsOperationThatWaitCompletes() throws Exception {
        emu.faults().setOperationDuration(Duration.ofMillis(300));
        Image img = c.images.getFromFamily(P, "lib");
        Operation op = c.disks
                .insertCallable()
                .call(InsertDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDiskResource(Disk.newBuilder()
                                .setName("pvc-1")
                                .setSizeGb(25)
                                .setSourceImage("https://www.googleapis.com/compute/v1/projects/" + P
                                        + "/global/images/family/lib")
                                .setType("projects/" + P + "/zones/" + Z + "/diskTypes/pd-balanced")
                                .setDescription("a volume")
                                .putLabels("app", "demo")
                                .setDiskEncryptionKey(
                                        CustomerEncryptionKey.newBuilder().setKmsKeyName("k1"))
                                .setProvisionedIops(3000))
                        .build());
        assertNotEquals(Operation.Status.DONE, op.getStatus());
        assertEquals("insert", op.getOperationType());
        assertTrue(
                op.getTargetLink().endsWith("/compute/v1/projects/" + P + "/zones/" + Z + "/disks/pvc-1"),
                op.getTargetLink());
        assertTrue(op.getZone().endsWith("/projects/" + P + "/zones/" + Z));
        assertEquals("CREATING", c.disks.get(P, Z, "pvc-1").getStatus());

        Operation done = waitOp(op);
        assertEquals(Operation.Status.DONE, done.getStatus());
        assertEquals(100, done.getProgress());
        assertFalse(done.hasError());
        assertTrue(done.hasEndTime() && done.hasStartTime() && done.hasInsertTime());
        assertEquals(done, c.zoneOperations.get(P, Z, op.getName()));

        Disk d = c.disks.get(P, Z, "pvc-1");
        assertEquals("READY", d.getStatus());
        assertEquals(25, d.getSizeGb());
        assertEquals(img.getSelfLink(), d.getSourceImage());
        assertEquals(imageLink, d.getSourceImage());
        assertEquals(Long.toString(img.getId()), d.getSourceImageId());
        assertEquals(op.getTargetId(), d.getId());
        assertTrue(d.getType().endsWith("/projects/" + P + "/zones/" + Z + "/diskTypes/pd-balanced"));
        assertTrue(d.getSelfLink().startsWith(emu.baseUrl() + "/compute/v1/projects/" + P));
        assertEquals("demo", d.getLabelsMap().get("app"));
        assertEquals("a volume", d.getDescription());
        assertEquals("k1", d.getDiskEncryptionKey().getKmsKeyName());
        assertEquals(3000, d.getProvisionedIops());
        assertTrue(d.getUsersList().isEmpty());
        assertTrue(d.getCreationTimestamp()
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d\\d:\\d\\d"));
    }

    @Test
    void insertAsyncPollsUntilDone() throws Exception {
        emu.faults().setOperationDuration(Duration.ofMillis(200));
        Operation op = c.disks
                .insertAsync(
                        P,
                        Z,
                        Disk.newBuilder()
                                .setName("pvc-async")
                                .setSizeGb(10)
                                .setSourceImage(imageLink)
                                .build())
                .get();
        assertEquals(Operation.Status.DONE, op.getStatus());
        assertEquals("READY", c.disks.get(P, Z, "pvc-async").getStatus());
        assertTrue(
                emu.requestCount("zoneOperations.get") >= 1, emu.requestCounts().toString());
    }

    @Test
    void aggregatedListSpansZonesWithPagesAndFilters() {
        for (String z : List.of(Z, "us-central1-b")) {
            for (int i = 0; i < 3; i++) {
                c.disks
                        .insertCallable()
                        .call(InsertDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(z)
                                .setDiskResource(Disk.newBuilder()
                                        .setName("agg-" + i)
                                        .setSizeGb(10)
                                        .putLabels("owner", i == 0 ? "other" : "csi"))
                                .build());
            }
        }
        Map<String, List<String>> byZone = new java.util.TreeMap<>();
        int pages = 0;
        for (DisksClient.AggregatedListPage page : c.disks
                .aggregatedList(com.google.cloud.compute.v1.AggregatedListDisksRequest.newBuilder()
                        .setProject(P)
                        .setMaxResults(2)
                        .setFilter("labels.owner = csi")
                        .build())
                .iteratePages()) {
            pages++;
            page.getValues()
                    .forEach(e -> e.getValue()
                            .getDisksList()
                            .forEach(d -> byZone.computeIfAbsent(e.getKey(), k -> new ArrayList<>())
                                    .add(d.getName())));
        }
        assertEquals(
                Map.of("zones/" + Z, List.of("agg-1", "agg-2"), "zones/us-central1-b", List.of("agg-1", "agg-2")),
                byZone);
        assertEquals(2, pages);
        assertEquals(2, emu.requestCount("disks.aggregatedList"));
    }

    @Test
    void listPaginatesWithPageToken() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            names.add("pvc-" + i);
            insert("pvc-" + i, 10, null);
        }
        DisksClient.ListPagedResponse page = c.disks.list(ListDisksRequest.newBuilder()
                .setProject(P)
                .setZone(Z)
                .setMaxResults(3)
                .setFilter("labels.none != x")
                .build());
        int pages = 0;
        List<String> seen = new ArrayList<>();
        for (DisksClient.ListPage p : page.iteratePages()) {
            pages++;
            p.getValues().forEach(d -> seen.add(d.getName()));
        }
        // the boot disks node-1 and node-2 are listed too
        names.add("node-1");
        names.add("node-2");
        names.sort(null);
        assertEquals(names, seen);
        assertEquals(3, pages);
        List<String> filtered = new ArrayList<>();
        c.disks
                .list(ListDisksRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setFilter("name eq pvc-[0-2]")
                        .build())
                .iterateAll()
                .forEach(d -> filtered.add(d.getName()));
        assertEquals(List.of("pvc-0", "pvc-1", "pvc-2"), filtered);
    }

    @Test
    void attachAndDetachAreVisibleInInstancesGet() {
        emu.faults().setOperationDuration(Duration.ofMillis(150));
        waitOp(insert("pvc-a", 10, imageLink));
        Operation op = attach("node-1", "pvc-a", "pvc-a", "READ_WRITE");
        assertEquals("attachDisk", op.getOperationType());
        // not visible until DONE
        assertEquals(1, c.instances.get(P, Z, "node-1").getDisksCount());
        assertEquals(Operation.Status.DONE, waitOp(op).getStatus());

        Instance node = c.instances.get(P, Z, "node-1");
        assertEquals("RUNNING", node.getStatus());
        assertTrue(node.getMachineType().endsWith("/zones/" + Z + "/machineTypes/e2-standard-4"));
        assertTrue(node.getZone().endsWith("/projects/" + P + "/zones/" + Z));
        assertEquals(2, node.getDisksCount());
        AttachedDisk boot = node.getDisks(0);
        assertTrue(boot.getBoot());
        assertEquals(0, boot.getIndex());
        AttachedDisk ad = node.getDisks(1);
        assertEquals("pvc-a", ad.getDeviceName());
        assertEquals("READ_WRITE", ad.getMode());
        assertEquals("PERSISTENT", ad.getType());
        assertEquals(1, ad.getIndex());
        assertFalse(ad.getBoot());
        assertEquals("compute#attachedDisk", ad.getKind());
        Disk d = c.disks.get(P, Z, "pvc-a");
        assertEquals(d.getSelfLink(), ad.getSource());
        assertEquals(List.of(node.getSelfLink()), d.getUsersList());
        assertTrue(d.hasLastAttachTimestamp());

        waitOp(detach("node-1", "pvc-a"));
        assertEquals(1, c.instances.get(P, Z, "node-1").getDisksCount());
        d = c.disks.get(P, Z, "pvc-a");
        assertTrue(d.getUsersList().isEmpty());
        assertTrue(d.hasLastDetachTimestamp());
    }

    @Test
    void attachSemanticsFollowComputeEngine() throws Exception {
        waitOp(insert("rw", 10, null));
        waitOp(insert("ro", 10, null));
        waitOp(attach("node-1", "rw", "rw", "READ_WRITE"));

        // fidelity 1: read-write elsewhere is accepted; the operation fails, httpErrorStatusCode 200
        Operation inUse = attach("node-2", "rw", "rw", "READ_WRITE");
        assertEquals("attachDisk", inUse.getOperationType()); // accepted: an operation, no HTTP error
        inUse = waitOp(inUse);
        assertTrue(inUse.hasError());
        assertEquals(
                "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE",
                inUse.getError().getErrors(0).getCode());
        assertEquals(
                "The disk resource 'projects/" + P + "/zones/" + Z + "/disks/rw' is already"
                        + " being used by 'projects/" + P + "/zones/" + Z + "/instances/node-1'",
                inUse.getError().getErrors(0).getMessage());
        assertEquals(200, inUse.getHttpErrorStatusCode());
        assertEquals(1, c.instances.get(P, Z, "node-2").getDisksCount());
        assertEquals(1, c.disks.get(P, Z, "rw").getUsersCount());
        // the client library's future reports that as success: only `error` tells
        Operation viaFuture = c.instances
                .attachDiskAsync(AttachDiskInstanceRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setInstance("node-2")
                        .setAttachedDiskResource(AttachedDisk.newBuilder()
                                .setSource("zones/" + Z + "/disks/rw")
                                .setDeviceName("rw2")
                                .setMode("READ_ONLY"))
                        .build())
                .get();
        assertEquals(
                "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE",
                viaFuture.getError().getErrors(0).getCode());
        // the switch: httpErrorStatusCode 400, and then the future fails
        emu.faults().setInUseOperationHttpStatus(400);
        Operation with400 = waitOp(attach("node-2", "rw", "rw", "READ_WRITE"));
        assertEquals(400, with400.getHttpErrorStatusCode());
        ExecutionException failed = assertThrows(
                ExecutionException.class,
                () -> c.instances
                        .attachDiskAsync(AttachDiskInstanceRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setInstance("node-2")
                                .setAttachedDiskResource(AttachedDisk.newBuilder()
                                        .setSource("zones/" + Z + "/disks/rw")
                                        .setDeviceName("rw3"))
                                .build())
                        .get());
        assertEquals(
                400,
                assertInstanceOf(ApiException.class, failed.getCause())
                        .getStatusCode()
                        .getCode()
                        .getHttpStatusCode());
        emu.faults().setInUseOperationHttpStatus(200);

        // READ_ONLY on many instances
        waitOp(attach("node-1", "ro", "ro", "READ_ONLY"));
        waitOp(attach("node-2", "ro", "ro", "READ_ONLY"));
        assertEquals(2, c.disks.get(P, Z, "ro").getUsersCount());
        Operation rwOverRo = waitOp(attach("node-2", "ro", "other", "READ_WRITE"));
        assertEquals(
                "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE",
                rwOverRo.getError().getErrors(0).getCode());
        assertEquals(2, c.instances.get(P, Z, "node-2").getDisksCount());

        // the same disk twice on one instance: accepted, the operation fails
        Operation twice = waitOp(attach("node-1", "rw", "rw-again", "READ_WRITE"));
        assertTrue(twice.hasError());
        assertEquals(
                "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE",
                twice.getError().getErrors(0).getCode());
        assertEquals(200, twice.getHttpErrorStatusCode());
        assertEquals(3, c.instances.get(P, Z, "node-1").getDisksCount());

        // device name already used on the instance
        waitOp(insert("third", 10, null));
        ApiException dup = assertThrows(ApiException.class, () -> attach("node-1", "third", "rw", "READ_WRITE"));
        assertEquals("invalid", reason(dup));

        ApiException notAttached = assertThrows(ApiException.class, () -> detach("node-1", "nope"));
        assertEquals(400, notAttached.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("invalid", reason(notAttached));
        assertTrue(errorBody(notAttached)
                .at("/error/message")
                .asText()
                .contains("No attached disk found with device name 'nope'"));

        ApiException noInstance =
                assertThrows(NotFoundException.class, () -> attach("node-9", "third", "x", "READ_WRITE"));
        assertEquals("notFound", reason(noInstance));
        ApiException noDisk =
                assertThrows(NotFoundException.class, () -> attach("node-1", "missing", "x", "READ_WRITE"));
        assertEquals("notFound", reason(noDisk));

        ApiException deleteAttached = assertThrows(
                ApiException.class,
                () -> c.disks
                        .deleteCallable()
                        .call(DeleteDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setDisk("rw")
                                .build()));
        assertEquals(400, deleteAttached.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("resourceInUseByAnotherResource", reason(deleteAttached));

        waitOp(detach("node-1", "rw"));
        Operation deleted = waitOp(c.disks
                .deleteCallable()
                .call(DeleteDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDisk("rw")
                        .build()));
        assertEquals("delete", deleted.getOperationType());
        assertThrows(NotFoundException.class, () -> c.disks.get(P, Z, "rw"));
    }

    @Test
    void attachToCreatingDiskIsNotReady() throws Exception {
        emu.faults().setOperationDuration(Duration.ofMillis(600));
        Operation ins = insert("slow", 10, null);
        ApiException e = assertThrows(ApiException.class, () -> attach("node-1", "slow", "slow", "READ_WRITE"));
        assertEquals("resourceNotReady", reason(e));
        emu.faults().setOperationDuration(Duration.ZERO);
        waitOp(ins);
    }

    @Test
    void imagesGetAndFamily() throws Exception {
        Image v2 = c.images.getFromFamily(P, "lib");
        assertEquals("lib-v2", v2.getName());
        assertEquals("lib", v2.getFamily());
        assertEquals(4, v2.getDiskSizeGb());
        assertEquals(4L << 30, v2.getArchiveSizeBytes());
        assertEquals("READY", v2.getStatus());
        assertEquals(imageLink, v2.getSelfLink());
        assertEquals(v2, c.images.get(P, "lib-v2"));
        emu.deprecateImage(P, "lib-v2", "DEPRECATED");
        assertEquals("lib-v1", c.images.getFromFamily(P, "lib").getName());
        ApiException e = assertThrows(NotFoundException.class, () -> c.images.getFromFamily(P, "x"));
        assertEquals("notFound", reason(e));
        List<String> names = new ArrayList<>();
        c.images.list(P).iterateAll().forEach(i -> names.add(i.getName()));
        assertEquals(List.of("lib-v1", "lib-v2"), names);

        // registration leaves a DONE global operation behind
        List<com.google.cloud.compute.v1.Operation> ops = new ArrayList<>();
        c.globalOperations.list(P).iterateAll().forEach(ops::add);
        assertEquals(2, ops.size());
        Operation op = c.globalOperations.wait(P, ops.get(1).getName());
        assertEquals(Operation.Status.DONE, op.getStatus());
        assertFalse(op.hasZone());
        assertEquals(op, c.globalOperations.get(P, op.getName()));
    }

    @Test
    void errorsCarryStatusAndReason() throws Exception {
        ApiException missing = assertThrows(NotFoundException.class, () -> c.disks.get(P, Z, "nope"));
        assertEquals(404, missing.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("notFound", reason(missing));
        assertEquals(
                "The resource 'projects/" + P + "/zones/" + Z + "/disks/nope' was not found",
                errorBody(missing).at("/error/message").asText());

        waitOp(insert("dup", 10, null));
        // gax maps HTTP 409 to ABORTED (AbortedException), not ALREADY_EXISTS
        ApiException exists = assertThrows(AbortedException.class, () -> insert("dup", 10, null));
        assertEquals(409, exists.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("alreadyExists", reason(exists));

        ApiException small = assertThrows(
                ApiException.class,
                () -> c.disks
                        .insertCallable()
                        .call(InsertDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setDiskResource(Disk.newBuilder()
                                        .setName("small")
                                        .setSizeGb(3)
                                        .setType("hyperdisk-balanced")
                                        .setSourceImage(imageLink))
                                .build()));
        assertEquals(400, small.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("invalid", reason(small));
        assertEquals(
                "Invalid value for field 'resource.sizeGb': '3'. Requested disk size cannot be"
                        + " smaller than the image size (4 GB)",
                errorBody(small).at("/error/message").asText());

        // fidelity 2: a source that does not exist is 400 invalid, not 404
        ApiException noImage = assertThrows(ApiException.class, () -> insert("x", 10, "global/images/does-not-exist"));
        assertEquals(400, noImage.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("invalid", reason(noImage));
        assertEquals(
                "Invalid value for field 'resource.sourceImage': 'global/images/does-not-exist'."
                        + " Referenced resource was not found.",
                errorBody(noImage).at("/error/message").asText());
        ApiException noFamily =
                assertThrows(ApiException.class, () -> insert("x", 10, "projects/" + P + "/global/images/family/none"));
        assertEquals("invalid", reason(noFamily));

        ApiException tooSmall = assertThrows(ApiException.class, () -> insert("tiny", 0, null));
        assertEquals("invalid", reason(tooSmall));

        ApiException shrink = assertThrows(
                ApiException.class,
                () -> c.disks
                        .resizeCallable()
                        .call(ResizeDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setDisk("dup")
                                .setDisksResizeRequestResource(
                                        DisksResizeRequest.newBuilder().setSizeGb(5))
                                .build()));
        assertEquals(400, shrink.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("invalid", reason(shrink));

        Operation grow = waitOp(c.disks
                .resizeCallable()
                .call(ResizeDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDisk("dup")
                        .setDisksResizeRequestResource(
                                DisksResizeRequest.newBuilder().setSizeGb(30))
                        .build()));
        assertEquals("resize", grow.getOperationType());
        assertEquals(30, c.disks.get(P, Z, "dup").getSizeGb());

        ApiException badName = assertThrows(ApiException.class, () -> insert("Bad_Name", 10, null));
        assertEquals("invalid", reason(badName));
        ApiException opMissing =
                assertThrows(NotFoundException.class, () -> c.zoneOperations.get(P, Z, "operation-404"));
        assertEquals("notFound", reason(opMissing));
    }

    @Test
    void failedOperationsHaveErrorSet() throws Exception {
        emu.faults()
                .failNextOperations(
                        "insert",
                        "ZONE_RESOURCE_POOL_EXHAUSTED",
                        "The zone 'projects/" + P + "/zones/" + Z + "' does not have enough resources available"
                                + " to fulfill the request.",
                        true,
                        1);
        ExecutionException ee = assertThrows(
                ExecutionException.class,
                () -> c.disks
                        .insertAsync(
                                P,
                                Z,
                                Disk.newBuilder().setName("f1").setSizeGb(10).build())
                        .get());
        ApiException api = assertInstanceOf(ApiException.class, ee.getCause());
        assertEquals(503, api.getStatusCode().getCode().getHttpStatusCode());
        assertThrows(NotFoundException.class, () -> c.disks.get(P, Z, "f1"));

        // without httpErrorStatusCode the client library reports success: only `error` tells
        emu.faults()
                .failNextOperations("insert", "RESOURCE_OPERATION_RATE_EXCEEDED", "Operation rate exceeded", false, 1);
        Operation op = c.disks
                .insertAsync(P, Z, Disk.newBuilder().setName("f2").setSizeGb(10).build())
                .get();
        assertTrue(op.hasError());
        assertEquals(
                "RESOURCE_OPERATION_RATE_EXCEEDED", op.getError().getErrors(0).getCode());
        assertEquals(0, op.getHttpErrorStatusCode());
        assertFalse(op.hasHttpErrorStatusCode());
        assertThrows(NotFoundException.class, () -> c.disks.get(P, Z, "f2"));

        waitOp(insert("f3", 10, null));
        emu.faults().failNextOperations("attachDisk", "QUOTA_EXCEEDED", "Quota exceeded", true, 1);
        Operation failedAttach = waitOp(attach("node-1", "f3", "f3", "READ_WRITE"));
        assertTrue(failedAttach.hasError());
        assertEquals(403, failedAttach.getHttpErrorStatusCode());
        assertEquals(1, c.instances.get(P, Z, "node-1").getDisksCount());
        assertEquals(
                Operation.Status.DONE,
                waitOp(attach("node-1", "f3", "f3", "READ_WRITE")).getStatus());
        assertEquals(2, c.instances.get(P, Z, "node-1").getDisksCount());
    }

    @Test
    void rateLimitAnswers403ForMutatingCallsOnly() throws Exception {
        emu.faults().setRateLimit(3);
        int limited = 0;
        for (int i = 0; i < 6; i++) {
            try {
                insert("rl-" + i, 10, null);
            } catch (ApiException e) {
                assertEquals(403, e.getStatusCode().getCode().getHttpStatusCode());
                assertEquals("rateLimitExceeded", reason(e));
                assertEquals(
                        "Rate Limit Exceeded", errorBody(e).at("/error/message").asText());
                assertEquals(
                        "usageLimits", errorBody(e).at("/error/errors/0/domain").asText());
                limited++;
            }
        }
        assertTrue(limited >= 2, "limited " + limited);
        for (int i = 0; i < 20; i++) {
            c.disks.get(P, Z, "rl-0");
        }
        emu.faults().setRateLimit(0);
        insert("rl-free", 10, null);
    }

    @Test
    void requestIdMakesRetriedInsertIdempotent() {
        InsertDiskRequest req = InsertDiskRequest.newBuilder()
                .setProject(P)
                .setZone(Z)
                .setRequestId("7b0ad0a8-3c6f-4d47-9a0e-9e58b0f6d4a1")
                .setDiskResource(Disk.newBuilder().setName("idem").setSizeGb(10))
                .build();
        Operation first = c.disks.insertCallable().call(req);
        Operation again = c.disks.insertCallable().call(req);
        assertEquals(first.getName(), again.getName());
        assertEquals(first.getId(), again.getId());
        assertEquals(2, emu.requestCount("disks.insert"));
        // a different requestId is a different request: the name is taken
        ApiException taken = assertThrows(
                AbortedException.class,
                () -> c.disks
                        .insertCallable()
                        .call(req.toBuilder().setRequestId("another").build()));
        assertEquals(409, taken.getStatusCode().getCode().getHttpStatusCode());
    }

    @Test
    void injectedErrorsAndCounters() throws Exception {
        emu.resetRequestCounts();
        emu.faults().injectError("disks.insert", 503, "backendError", 1);
        ApiException e = assertThrows(ApiException.class, () -> insert("inj", 10, null));
        assertEquals(503, e.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("backendError", reason(e));
        waitOp(insert("inj", 10, null));
        emu.faults().injectError("images.getFromFamily", 403, "forbidden", 2);
        assertThrows(ApiException.class, () -> c.images.getFromFamily(P, "lib"));
        assertThrows(ApiException.class, () -> c.images.getFromFamily(P, "lib"));
        c.images.getFromFamily(P, "lib");
        emu.faults().injectError("zoneOperations.wait", 500, "internalError", 1);
        Operation op = insert("inj2", 10, null);
        assertThrows(ApiException.class, () -> waitOp(op));
        assertEquals(2 + 1, emu.requestCount("disks.insert"));
        assertEquals(3, emu.requestCount("images.getFromFamily"));
        assertEquals(2, emu.requestCount("zoneOperations.wait"));
        assertTrue(emu.requestCounts().containsKey("zoneOperations.wait"));
        emu.resetRequestCounts();
        assertEquals(0, emu.requestCount("disks.insert"));

        // the client retries idempotent reads on 503 by itself
        emu.faults().injectError("disks.get", 503, "backendError", 1);
        assertEquals("inj", c.disks.get(P, Z, "inj").getName());
        assertEquals(2, emu.requestCount("disks.get"));
    }
}
