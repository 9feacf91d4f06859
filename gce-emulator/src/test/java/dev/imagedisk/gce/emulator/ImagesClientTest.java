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
import com.google.cloud.compute.v1.DeleteDiskRequest;
import com.google.cloud.compute.v1.DeleteImageRequest;
import com.google.cloud.compute.v1.Disk;
import com.google.cloud.compute.v1.Image;
import com.google.cloud.compute.v1.ImagesClient;
import com.google.cloud.compute.v1.InsertDiskRequest;
import com.google.cloud.compute.v1.InsertImageRequest;
import com.google.cloud.compute.v1.ListImagesRequest;
import com.google.cloud.compute.v1.Operation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * images.insert from a disk, images.delete/list/getFromFamily, globalOperations.get/wait and
 * disks.insert from a disk, through the real google-cloud-compute 1.98 client (HTTP/JSON), as the
 * driver calls them. Also the fidelity fixes of issue 10 that these calls touch.
 */
class ImagesClientTest extends ClientTestBase {
    @BeforeEach
    void start() throws Exception {
        emu.registerImage(P, "base", "runtime", 3);
        emu.addInstance(P, Z, "node-1", "e2-standard-4");
        emu.addInstance(P, Z, "node-2", "e2-standard-4");
    }

    private static String diskPath(String name) {
        return "projects/" + P + "/zones/" + Z + "/disks/" + name;
    }

    private Operation disk(String name, long sizeGb) {
        return c.zoneOperations.wait(
                P,
                Z,
                c.disks
                        .insertCallable()
                        .call(InsertDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setDiskResource(Disk.newBuilder()
                                        .setName(name)
                                        .setSizeGb(sizeGb)
                                        .setType("pd-balanced"))
                                .build())
                        .getName());
    }

    private Operation insertImage(Image.Builder image, boolean force) {
        InsertImageRequest.Builder r =
                InsertImageRequest.newBuilder().setProject(P).setImageResource(image);
        if (force) {
            r.setForceCreate(true);
        }
        return c.images.insertCallable().call(r.build());
    }

    private Operation waitGlobal(Operation op) {
        return c.globalOperations.wait(P, op.getName());
    }

    private Operation attach(String instance, String disk, String device, String mode) {
        return c.zoneOperations.wait(
                P,
                Z,
                c.instances
                        .attachDiskCallable()
                        .call(AttachDiskInstanceRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setInstance(instance)
                                .setAttachedDiskResource(AttachedDisk.newBuilder()
                                        .setSource(diskPath(disk))
                                        .setDeviceName(device)
                                        .setMode(mode))
                                .build())
                        .getName());
    }

    @Test
    void imageFromDiskIsPendingThenReadyOverAGlobalOperation() throws Exception {
        disk("src", 12);
        Disk src = c.disks.get(P, Z, "src");
        emu.faults().setOperationDuration(Duration.ofMillis(400));
        Operation op = insertImage(
                Image.newBuilder()
                        .setName("runtime-v2")
                        .setFamily("runtime")
                        .setSourceDisk(diskPath("src"))
                        .setDescription("captured")
                        .putLabels("managed-by", "imagedisk")
                        .addStorageLocations("us-central1"),
                false);
        assertEquals("insert", op.getOperationType());
        assertFalse(op.hasZone(), "a global operation");
        assertNotEquals(Operation.Status.DONE, op.getStatus());
        assertTrue(
                op.getSelfLink().endsWith("/projects/" + P + "/global/operations/" + op.getName()), op.getSelfLink());
        assertTrue(op.getTargetLink().endsWith("/projects/" + P + "/global/images/runtime-v2"));

        Image pending = c.images.get(P, "runtime-v2");
        assertEquals("PENDING", pending.getStatus());
        // a PENDING image is not its family's image yet, and no disk can be made from it
        assertEquals("base", c.images.getFromFamily(P, "runtime").getName());
        ApiException notReady = assertThrows(
                ApiException.class,
                () -> c.disks
                        .insertCallable()
                        .call(InsertDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setDiskResource(
                                        Disk.newBuilder().setName("early").setSourceImage("global/images/runtime-v2"))
                                .build()));
        assertEquals("resourceNotReady", reason(notReady));
        // nor can its source disk be deleted while it is copied
        ApiException busy = assertThrows(
                ApiException.class,
                () -> c.disks
                        .deleteCallable()
                        .call(DeleteDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setDisk("src")
                                .build()));
        assertEquals("resourceInUseByAnotherResource", reason(busy));

        Operation done = waitGlobal(op);
        assertEquals(Operation.Status.DONE, done.getStatus());
        assertFalse(done.hasError());
        assertEquals(done, c.globalOperations.get(P, op.getName()));
        assertEquals(op.getTargetId(), done.getTargetId());

        Image img = c.images.get(P, "runtime-v2");
        assertEquals("READY", img.getStatus());
        assertEquals(12, img.getDiskSizeGb());
        assertEquals(12L << 30, img.getArchiveSizeBytes()); // records only: the whole size
        assertEquals("runtime", img.getFamily());
        assertEquals("captured", img.getDescription());
        assertEquals(Map.of("managed-by", "imagedisk"), img.getLabelsMap());
        assertFalse(img.getLabelFingerprint().isEmpty());
        assertNotEquals(Checks.EMPTY_LABEL_FINGERPRINT, img.getLabelFingerprint());
        assertEquals(src.getSelfLink(), img.getSourceDisk());
        assertEquals(Long.toString(src.getId()), img.getSourceDiskId());
        assertEquals(List.of("us-central1"), img.getStorageLocationsList());
        assertEquals(op.getTargetId(), img.getId());
        assertEquals(emu.baseUrl() + "/compute/v1/projects/" + P + "/global/images/runtime-v2", img.getSelfLink());
        assertTrue(img.getCreationTimestamp()
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d\\d:\\d\\d"));
        assertEquals("runtime-v2", c.images.getFromFamily(P, "runtime").getName());

        // a disk from the new image (by family) once READY
        emu.faults().setOperationDuration(Duration.ZERO);
        c.disks
                .insertCallable()
                .call(InsertDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDiskResource(Disk.newBuilder()
                                .setName("from-family")
                                .setSourceImage("projects/" + P + "/global/images/family/runtime"))
                        .build());
        assertEquals(img.getSelfLink(), c.disks.get(P, Z, "from-family").getSourceImage());

        // the same name again is 409 (the client surfaces ABORTED)
        ApiException taken = assertThrows(
                AbortedException.class,
                () -> insertImage(Image.newBuilder().setName("runtime-v2").setSourceDisk(diskPath("src")), false));
        assertEquals("alreadyExists", reason(taken));
        // default storage location: the source zone's multi-region
        waitGlobal(insertImage(Image.newBuilder().setName("plain").setSourceDisk(diskPath("src")), false));
        assertEquals(List.of("us"), c.images.get(P, "plain").getStorageLocationsList());
    }

    @Test
    void forceCreateIsNeededWhileTheDiskIsAttachedReadWrite() throws Exception {
        disk("live", 10);
        attach("node-1", "live", "live", "READ_WRITE");
        ApiException inUse = assertThrows(
                ApiException.class,
                () -> insertImage(Image.newBuilder().setName("snap").setSourceDisk(diskPath("live")), false));
        assertEquals(400, inUse.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("resourceInUseByAnotherResource", reason(inUse));
        assertEquals(
                "The disk resource '" + diskPath("live") + "' is already being used by 'projects/" + P + "/zones/" + Z
                        + "/instances/node-1'",
                errorBody(inUse).at("/error/message").asText());
        assertThrows(NotFoundException.class, () -> c.images.get(P, "snap"));

        Operation forced =
                waitGlobal(insertImage(Image.newBuilder().setName("snap").setSourceDisk(diskPath("live")), true));
        assertFalse(forced.hasError());
        assertEquals("READY", c.images.get(P, "snap").getStatus());

        // read-only users do not need it
        disk("shared", 10);
        attach("node-1", "shared", "shared", "READ_ONLY");
        attach("node-2", "shared", "shared", "READ_ONLY");
        assertFalse(waitGlobal(insertImage(
                        Image.newBuilder()
                                .setName("from-ro")
                                .setSourceDisk("https://www.googleapis.com/compute/v1/" + diskPath("shared")),
                        false))
                .hasError());
    }

    @Test
    void missingOrMalformedSourcesAre400Invalid() throws Exception {
        ApiException missing = assertThrows(
                ApiException.class,
                () -> insertImage(Image.newBuilder().setName("x").setSourceDisk(diskPath("nope")), false));
        assertEquals(400, missing.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("invalid", reason(missing));
        assertEquals(
                "Invalid value for field 'resource.sourceDisk': '" + diskPath("nope")
                        + "'. Referenced resource was not found.",
                errorBody(missing).at("/error/message").asText());
        ApiException malformed = assertThrows(
                ApiException.class,
                () -> insertImage(Image.newBuilder().setName("x").setSourceDisk("nope"), false));
        assertEquals("invalid", reason(malformed));
        assertTrue(errorBody(malformed).at("/error/message").asText().endsWith("The URL is malformed."));
        ApiException noSource = assertThrows(
                ApiException.class, () -> insertImage(Image.newBuilder().setName("x"), false));
        assertEquals("invalid", reason(noSource));
        ApiException badName = assertThrows(
                ApiException.class,
                () -> insertImage(Image.newBuilder().setName("X_1").setSourceDisk(diskPath("nope")), false));
        assertEquals("invalid", reason(badName));
        disk("d", 10);
        ApiException badFamily = assertThrows(
                ApiException.class,
                () -> insertImage(
                        Image.newBuilder().setName("ok").setFamily("Fam").setSourceDisk(diskPath("d")), false));
        assertEquals("invalid", reason(badFamily));
        ApiException noImage = assertThrows(NotFoundException.class, () -> c.images.get(P, "nope"));
        assertEquals("notFound", reason(noImage));
    }

    @Test
    void deleteRemovesTheImageOverAGlobalOperation() throws Exception {
        disk("d", 10);
        waitGlobal(
                insertImage(Image.newBuilder().setName("gone").setFamily("fam").setSourceDisk(diskPath("d")), false));
        emu.faults().setOperationDuration(Duration.ofMillis(300));
        Operation op = c.images
                .deleteCallable()
                .call(DeleteImageRequest.newBuilder()
                        .setProject(P)
                        .setImage("gone")
                        .build());
        assertEquals("delete", op.getOperationType());
        assertFalse(op.hasZone());
        // while it is deleted it is no family's image, and a second delete is refused
        assertThrows(NotFoundException.class, () -> c.images.getFromFamily(P, "fam"));
        ApiException again = assertThrows(
                ApiException.class,
                () -> c.images
                        .deleteCallable()
                        .call(DeleteImageRequest.newBuilder()
                                .setProject(P)
                                .setImage("gone")
                                .build()));
        assertEquals("resourceNotReady", reason(again));
        assertFalse(waitGlobal(op).hasError());
        assertThrows(NotFoundException.class, () -> c.images.get(P, "gone"));
        ApiException unknown = assertThrows(
                NotFoundException.class,
                () -> c.images
                        .deleteCallable()
                        .call(DeleteImageRequest.newBuilder()
                                .setProject(P)
                                .setImage("gone")
                                .build()));
        assertEquals("notFound", reason(unknown));
        // the client's future waits on the global operation by itself
        emu.faults().setOperationDuration(Duration.ofMillis(100));
        waitGlobal(insertImage(Image.newBuilder().setName("gone2").setSourceDisk(diskPath("d")), false));
        assertFalse(c.images.deleteAsync(P, "gone2").get().hasError());
        assertThrows(NotFoundException.class, () -> c.images.get(P, "gone2"));
    }

    @Test
    void listFiltersByLabelNameFamilySourceDiskAndPages() throws Exception {
        disk("a", 10);
        disk("b", 10);
        String aLink = c.disks.get(P, Z, "a").getSelfLink();
        for (int i = 0; i < 5; i++) {
            waitGlobal(insertImage(
                    Image.newBuilder()
                            .setName("img-" + i)
                            .setFamily(i < 3 ? "fam-x" : "fam-y")
                            .setSourceDisk(diskPath(i % 2 == 0 ? "a" : "b"))
                            .putLabels("managed-by", i == 4 ? "someone" : "imagedisk")
                            .putLabels("snap", "s" + i),
                    false));
        }
        assertEquals(List.of("img-0", "img-1", "img-2", "img-3"), names("labels.managed-by=imagedisk", 0));
        assertEquals(List.of("img-2"), names("labels.managed-by = imagedisk AND labels.snap = s2", 0));
        assertEquals(List.of("img-3", "img-4"), names("family = fam-y", 0));
        assertEquals(List.of("img-1"), names("name = img-1", 0));
        assertEquals(List.of("img-0", "img-2", "img-4"), names("sourceDisk = \"" + aLink + "\"", 0));
        Disk b = c.disks.get(P, Z, "b");
        assertEquals(List.of("img-1", "img-3"), names("sourceDiskId = " + b.getId(), 0));
        assertEquals(List.of("base", "img-0", "img-1", "img-2", "img-3", "img-4"), names(null, 2));
        assertEquals(3, pages(null, 2));
        assertEquals(2, pages("labels.managed-by=imagedisk", 3));
        assertEquals(List.of(), names("labels.managed-by=nobody", 0));
        ApiException badToken = assertThrows(
                ApiException.class,
                () -> c.images
                        .list(ListImagesRequest.newBuilder()
                                .setProject(P)
                                .setPageToken("garbage!")
                                .build())
                        .iterateAll()
                        .forEach(i -> {}));
        assertEquals("invalid", reason(badToken));
    }

    private List<String> names(String filter, int max) {
        List<String> out = new ArrayList<>();
        c.images.list(request(filter, max)).iterateAll().forEach(i -> out.add(i.getName()));
        return out;
    }

    private int pages(String filter, int max) {
        int n = 0;
        for (ImagesClient.ListPage p : c.images.list(request(filter, max)).iteratePages()) {
            n++;
        }
        return n;
    }

    private static ListImagesRequest request(String filter, int max) {
        ListImagesRequest.Builder r = ListImagesRequest.newBuilder().setProject(P);
        if (filter != null) {
            r.setFilter(filter);
        }
        if (max > 0) {
            r.setMaxResults(max);
        }
        return r.build();
    }

    @Test
    void getFromFamilyTakesTheNewestReadyImageThatIsNotDeprecated() throws Exception {
        disk("d", 10);
        waitGlobal(insertImage(Image.newBuilder().setName("v1").setFamily("f").setSourceDisk(diskPath("d")), false));
        waitGlobal(insertImage(Image.newBuilder().setName("v2").setFamily("f").setSourceDisk(diskPath("d")), false));
        assertEquals("v2", c.images.getFromFamily(P, "f").getName());
        emu.deprecateImage(P, "v2", "DEPRECATED");
        assertEquals("v1", c.images.getFromFamily(P, "f").getName());
        emu.faults().failNextOperations("images.insert", "INTERNAL_ERROR", "boom", 0, 1);
        Operation failed = waitGlobal(
                insertImage(Image.newBuilder().setName("v3").setFamily("f").setSourceDisk(diskPath("d")), false));
        assertTrue(failed.hasError());
        assertEquals("v1", c.images.getFromFamily(P, "f").getName());
        assertThrows(NotFoundException.class, () -> c.images.get(P, "v3"));
    }

    @Test
    void cloneIsADiskFromADisk() throws Exception {
        disk("orig", 20);
        Disk orig = c.disks.get(P, Z, "orig");
        attach("node-1", "orig", "orig", "READ_WRITE"); // a clone may be taken while attached
        Operation op = c.disks
                .insertCallable()
                .call(InsertDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDiskResource(Disk.newBuilder()
                                .setName("copy")
                                .setSourceDisk(diskPath("orig"))
                                .setType("zones/" + Z + "/diskTypes/pd-balanced"))
                        .build());
        assertEquals(
                Operation.Status.DONE, c.zoneOperations.wait(P, Z, op.getName()).getStatus());
        Disk copy = c.disks.get(P, Z, "copy");
        assertEquals(20, copy.getSizeGb()); // default: the source's size
        assertEquals(orig.getSelfLink(), copy.getSourceDisk());
        assertEquals(Long.toString(orig.getId()), copy.getSourceDiskId());
        assertFalse(copy.hasSourceImage());
        Disk bigger = c.disks
                .getCallable()
                .call(com.google.cloud.compute.v1.GetDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDisk("copy")
                        .build());
        assertEquals(copy, bigger);
        c.zoneOperations.wait(
                P,
                Z,
                c.disks
                        .insertCallable()
                        .call(InsertDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setDiskResource(Disk.newBuilder()
                                        .setName("copy-big")
                                        .setSizeGb(30)
                                        .setSourceDisk("copy"))
                                .build())
                        .getName());
        assertEquals(30, c.disks.get(P, Z, "copy-big").getSizeGb());

        ApiException small = assertThrows(
                ApiException.class,
                () -> c.disks
                        .insertCallable()
                        .call(InsertDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setDiskResource(Disk.newBuilder()
                                        .setName("small")
                                        .setSizeGb(10)
                                        .setSourceDisk(diskPath("orig")))
                                .build()));
        assertEquals(400, small.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("invalid", reason(small));
        assertEquals(
                "Invalid value for field 'resource.sizeGb': '10'. Requested disk size cannot be"
                        + " smaller than the source disk size (20 GB)",
                errorBody(small).at("/error/message").asText());
        ApiException missing = assertThrows(
                ApiException.class,
                () -> c.disks
                        .insertCallable()
                        .call(InsertDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setDiskResource(Disk.newBuilder().setName("m").setSourceDisk(diskPath("none")))
                                .build()));
        assertEquals(400, missing.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("invalid", reason(missing));
        assertTrue(errorBody(missing).at("/error/message").asText().endsWith("Referenced resource was not found."));
        ApiException otherZone = assertThrows(
                ApiException.class,
                () -> c.disks
                        .insertCallable()
                        .call(InsertDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone("us-central1-b")
                                .setDiskResource(Disk.newBuilder().setName("m").setSourceDisk(diskPath("orig")))
                                .build()));
        assertEquals("invalid", reason(otherZone));
        ApiException both = assertThrows(
                ApiException.class,
                () -> c.disks
                        .insertCallable()
                        .call(InsertDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setDiskResource(Disk.newBuilder()
                                        .setName("m")
                                        .setSourceDisk(diskPath("orig"))
                                        .setSourceImage("global/images/base"))
                                .build()));
        assertEquals("invalid", reason(both));
    }

    @Test
    void descriptionsOver2048CharactersAreInvalid() throws Exception {
        String ok = "d".repeat(Checks.MAX_DESCRIPTION);
        String tooLong = ok + "x";
        disk("d", 10);
        c.disks
                .insertCallable()
                .call(InsertDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDiskResource(Disk.newBuilder().setName("ok").setDescription(ok))
                        .build());
        assertEquals(ok, c.disks.get(P, Z, "ok").getDescription());
        ApiException disk = assertThrows(
                ApiException.class,
                () -> c.disks
                        .insertCallable()
                        .call(InsertDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setDiskResource(
                                        Disk.newBuilder().setName("long").setDescription(tooLong))
                                .build()));
        assertEquals(400, disk.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("invalid", reason(disk));
        ApiException image = assertThrows(
                ApiException.class,
                () -> insertImage(
                        Image.newBuilder()
                                .setName("long")
                                .setDescription(tooLong)
                                .setSourceDisk(diskPath("d")),
                        false));
        assertEquals("invalid", reason(image));
        assertThrows(NotFoundException.class, () -> c.images.get(P, "long"));
    }

    @Test
    void labelsAreValidatedAsComputeEngineDoes() throws Exception {
        disk("d", 10);
        // accepted: lowercase start, [a-z0-9_-], empty values, international lowercase characters
        c.disks
                .insertCallable()
                .call(InsertDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDiskResource(Disk.newBuilder()
                                .setName("ok")
                                .putLabels("a", "")
                                .putLabels("k_9-x", "v_1-2")
                                .putLabels("é", "ü")
                                .putLabels("k".repeat(63), "v".repeat(63)))
                        .build());
        assertEquals(4, c.disks.get(P, Z, "ok").getLabelsCount());
        for (Map<String, String> bad : List.of(
                Map.of("Key", "v"),
                Map.of("9k", "v"),
                Map.of("k", "V"),
                Map.of("k.x", "v"),
                Map.of("k", "a b"),
                Map.of("k".repeat(64), "v"),
                Map.of("k", "v".repeat(64)),
                Map.of("_k", "v"))) {
            ApiException e = assertThrows(
                    ApiException.class,
                    () -> c.disks
                            .insertCallable()
                            .call(InsertDiskRequest.newBuilder()
                                    .setProject(P)
                                    .setZone(Z)
                                    .setDiskResource(
                                            Disk.newBuilder().setName("bad").putAllLabels(bad))
                                    .build()),
                    bad.toString());
            assertEquals("invalid", reason(e), bad.toString());
            assertTrue(
                    errorBody(e).at("/error/message").asText().contains("violates format" + " constraints"),
                    bad.toString());
            ApiException i = assertThrows(
                    ApiException.class,
                    () -> insertImage(
                            Image.newBuilder().setName("bad").putAllLabels(bad).setSourceDisk(diskPath("d")), false));
            assertEquals("invalid", reason(i));
        }
        Disk.Builder many = Disk.newBuilder().setName("many");
        for (int i = 0; i < 65; i++) {
            many.putLabels("k" + i, "v");
        }
        ApiException tooMany = assertThrows(
                ApiException.class,
                () -> c.disks
                        .insertCallable()
                        .call(InsertDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setDiskResource(many)
                                .build()));
        assertEquals("invalid", reason(tooMany));
        many.removeLabels("k64");
        c.disks
                .insertCallable()
                .call(InsertDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDiskResource(many)
                        .build());
        assertEquals(64, c.disks.get(P, Z, "many").getLabelsCount());
    }

    @Test
    void faultSwitchesCoverTheNewCalls() throws Exception {
        disk("d", 10);
        emu.faults().injectError("images.insert", 503, "backendError", 1);
        ApiException injected = assertThrows(
                ApiException.class,
                () -> insertImage(Image.newBuilder().setName("i1").setSourceDisk(diskPath("d")), false));
        assertEquals(503, injected.getStatusCode().getCode().getHttpStatusCode());
        waitGlobal(insertImage(Image.newBuilder().setName("i1").setSourceDisk(diskPath("d")), false));
        emu.faults().injectError("globalOperations.wait", 500, "internalError", 1);
        Operation op = insertImage(Image.newBuilder().setName("i2").setSourceDisk(diskPath("d")), false);
        assertThrows(ApiException.class, () -> waitGlobal(op));
        assertEquals(2, emu.requestCount("globalOperations.wait"));
        emu.faults().injectError("images.list", 403, "forbidden", 1);
        assertThrows(ApiException.class, () -> c.images.list(P).iterateAll().forEach(i -> {}));
        emu.faults().injectError("images.delete", 503, "backendError", 1);
        assertThrows(
                ApiException.class,
                () -> c.images
                        .deleteCallable()
                        .call(DeleteImageRequest.newBuilder()
                                .setProject(P)
                                .setImage("i2")
                                .build()));
        assertEquals(1, emu.requestCount("images.delete"));

        // a failed images.insert operation leaves no image; with httpErrorStatusCode the future fails
        emu.faults().failNextOperations("images.insert", "QUOTA_EXCEEDED", "Quota 'IMAGES'" + " exceeded.", true, 1);
        ExecutionException ee = assertThrows(
                ExecutionException.class,
                () -> c.images
                        .insertAsync(
                                P,
                                Image.newBuilder()
                                        .setName("i3")
                                        .setSourceDisk(diskPath("d"))
                                        .build())
                        .get());
        assertEquals(
                403,
                assertInstanceOf(ApiException.class, ee.getCause())
                        .getStatusCode()
                        .getCode()
                        .getHttpStatusCode());
        assertThrows(NotFoundException.class, () -> c.images.get(P, "i3"));
        // ... and releases the source disk
        c.zoneOperations.wait(
                P,
                Z,
                c.disks
                        .deleteCallable()
                        .call(DeleteDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setDisk("d")
                                .build())
                        .getName());

        // image mutations count against the mutating rate limit
        disk("e", 10);
        emu.faults().setRateLimit(2);
        int limited = 0;
        for (int i = 0; i < 5; i++) {
            try {
                insertImage(Image.newBuilder().setName("rl-" + i).setSourceDisk(diskPath("e")), false);
            } catch (ApiException e) {
                assertEquals("rateLimitExceeded", reason(e));
                limited++;
            }
        }
        assertTrue(limited >= 2, "limited " + limited);
        emu.faults().setRateLimit(0);

        // slow operations: globalOperations.get sees PENDING/RUNNING before DONE
        emu.faults().setOperationDuration(Duration.ofMillis(300));
        Operation slow = insertImage(Image.newBuilder().setName("slow").setSourceDisk(diskPath("e")), false);
        assertNotEquals(
                Operation.Status.DONE, c.globalOperations.get(P, slow.getName()).getStatus());
        assertEquals(Operation.Status.DONE, waitGlobal(slow).getStatus());
        // wait returns the operation as it is when the wait cap runs out
        emu.setWaitTimeout(Duration.ofMillis(50));
        emu.faults().setOperationDuration(Duration.ofMillis(500));
        Operation capped =
                waitGlobal(insertImage(Image.newBuilder().setName("capped").setSourceDisk(diskPath("e")), false));
        assertNotEquals(Operation.Status.DONE, capped.getStatus());
        emu.setWaitTimeout(Duration.ofSeconds(10));
        assertEquals(Operation.Status.DONE, waitGlobal(capped).getStatus());
    }
}
