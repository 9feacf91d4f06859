package dev.imagedisk.csi.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.cloud.CloudException.Kind;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ComputeCloud} does, errors included, through the forms production uses (a mutation answers with a
 * future): run against the in-memory fake
 * ({@code FakeComputeCloudTest}) and against the real adapter on the emulator ({@code GoogleComputeCloudContractTest}),
 * so the fake the controller's logic tests run on answers as the real thing does.
 */
public abstract class ComputeCloudContract {
    protected static final String P = "proj";
    protected static final String Z = "us-central1-a";
    protected static final String OTHER_ZONE = "us-central1-b";
    protected static final Map<String, String> MANAGED = Map.of("imagedisk-csi", "managed");

    /** The cloud under test, with image {@code img} (10 GB, family {@code fam}), instances {@code vm1}, {@code vm2}. */
    protected abstract ComputeCloud cloud();

    /** Adds a READY image, the newest of its family. */
    protected abstract void addImage(String name, String family, long sizeGb);

    /**
     * The next {@code times} requests of {@code method} are refused with {@code kind}; a rate limit is answered to
     * every retry the adapter makes, so the call fails once.
     */
    protected abstract void refuseRequests(String method, Kind kind, int times);

    /** The next disk insert's operation fails with ZONE_RESOURCE_POOL_EXHAUSTED. */
    protected abstract void failNextInsertOperation();

    /** Sets how many instances may hold a disk of a shareable {@code type} read-only. */
    protected abstract void setReaderCap(String type, int cap);

    /** Hyperdisk ML's attach pace: {@code attaches} per 30 s per disk, on a clock that stands still. */
    protected abstract void paceAttachesFrozen(int attaches);

    /** Adds a RUNNING instance {@code name} in zone {@code Z}. */
    protected abstract void addInstance(String name);

    /**
     * The next disk insert's operation fails for capacity: {@link Kind#ZONE_EXHAUSTED} (a stockout when
     * {@code stockout}, else a zonal quota) in zone {@link #Z}, or {@link Kind#QUOTA_EXCEEDED} (a regional quota) in
     * its region.
     */
    protected abstract void failNextInsertForCapacity(Kind kind, boolean stockout);

    protected static DiskRef disk(String name) {
        return new DiskRef(P, Z, name);
    }

    protected static InstanceRef vm(String name) {
        return new InstanceRef(P, Z, name);
    }

    protected static DiskSpec spec(DiskRef ref, long sizeGb, String image) {
        return new DiskSpec(
                ref,
                sizeGb,
                "pd-balanced",
                "projects/" + P + "/global/images/" + image,
                MANAGED,
                "made for a test",
                null,
                null,
                null);
    }

    @Test
    void missingResourcesReadEmpty() {
        assertEquals(Optional.empty(), cloud().getDisk(disk("nope")));
        assertEquals(Optional.empty(), cloud().getImage(ImageRef.image(P, "nope")));
        assertEquals(Optional.empty(), cloud().getImageFromFamily(ImageRef.family(P, "nope")));
        assertEquals(Optional.empty(), cloud().getInstance(vm("nope")));
    }

    @Test
    void aCreatedDiskReadsBackAsSpecified() {
        assertTrue(
                done(cloud().createDiskAsync(spec(disk("d1"), 12, "img"), "key-d1")),
                "this call's own request made it");
        Disk d = cloud().getDisk(disk("d1")).orElseThrow();
        assertEquals(disk("d1"), d.ref());
        assertTrue(d.ready());
        assertEquals(12, d.sizeGb());
        assertEquals("pd-balanced", d.type());
        assertEquals(ImageRef.image(P, "img"), d.sourceImageRef());
        assertEquals("managed", d.labels().get("imagedisk-csi"));
        assertEquals("made for a test", d.description());
        assertEquals(List.of(), d.users());
    }

    @Test
    void theSameKeyIsTheSameRequestAnotherKeyIsAlreadyExists() {
        done(cloud().createDiskAsync(spec(disk("d2"), 10, "img"), "key-d2"));
        assertFalse(
                done(cloud().createDiskAsync(spec(disk("d2"), 10, "img"), "key-d2")), "answered by the first request");
        CloudException e = assertThrows(
                CloudException.class, () -> done(cloud().createDiskAsync(spec(disk("d2"), 10, "img"), "another-key")));
        assertEquals(Kind.ALREADY_EXISTS, e.kind(), e.toString());
    }

    @Test
    void badInsertsAreRefused() {
        // Compute Engine answers a source that does not exist with 400 invalid ("... cannot be found"), not 404
        assertEquals(
                Kind.INVALID, failure(() -> done(cloud().createDiskAsync(spec(disk("x1"), 10, "no-image"), "k1"))));
        assertEquals(
                Kind.INVALID,
                failure(() -> done(cloud().createDiskAsync(spec(disk("x2"), 5, "img"), "k2"))),
                "smaller than the image");
        assertEquals(Optional.empty(), cloud().getDisk(disk("x1")));
        assertEquals(Optional.empty(), cloud().getDisk(disk("x2")));
    }

    private static ImageSpec imageSpec(String name, DiskRef source, String family) {
        return new ImageSpec(
                ImageRef.image(P, name), source, family, List.of(), MANAGED, "{\"snapshot\":\"" + name + "\"}", true);
    }

    @Test
    void anImageCapturedFromADiskReadsBackAndJoinsItsFamily() {
        done(cloud().createDiskAsync(spec(disk("src-1"), 12, "img"), "key-src-1"));
        done(cloud().createImageAsync(imageSpec("snap-1", disk("src-1"), "fam-snap"), "key-snap-1"));
        Image i = cloud().getImage(ImageRef.image(P, "snap-1")).orElseThrow();
        assertTrue(i.ready());
        assertEquals(disk("src-1"), i.sourceDisk());
        assertEquals("fam-snap", i.family());
        assertEquals("managed", i.labels().get("imagedisk-csi"));
        assertEquals("{\"snapshot\":\"snap-1\"}", i.description());
        assertTrue(i.creationTimestamp() != null && !i.creationTimestamp().isEmpty());
        assertEquals(12, i.diskSizeGb());
        assertEquals(
                ImageRef.image(P, "snap-1"),
                cloud().getImageFromFamily(ImageRef.family(P, "fam-snap"))
                        .orElseThrow()
                        .ref());
        // the same key again is the same request; another key is ALREADY_EXISTS
        done(cloud().createImageAsync(imageSpec("snap-1", disk("src-1"), "fam-snap"), "key-snap-1"));
        assertEquals(
                Kind.ALREADY_EXISTS,
                failure(() -> done(cloud().createImageAsync(imageSpec("snap-1", disk("src-1"), null), "other-key"))));
    }

    @Test
    void imagesAreListedByLabelAndDeleted() {
        done(cloud().createDiskAsync(spec(disk("src-2"), 10, "img"), "key-src-2"));
        done(cloud().createImageAsync(imageSpec("snap-b", disk("src-2"), null), "key-snap-b"));
        done(cloud().createImageAsync(imageSpec("snap-a", disk("src-2"), null), "key-snap-a"));
        List<String> names = cloud().listImages(P, MANAGED).stream()
                .map(i -> i.ref().name())
                .filter(n -> n.startsWith("snap-"))
                .toList();
        assertTrue(names.containsAll(List.of("snap-a", "snap-b")), names.toString());
        assertTrue(
                cloud().listImages(P, MANAGED).stream()
                        .noneMatch(i -> i.ref().name().equals("img")),
                "an image without the label is not listed");
        done(cloud().deleteImageAsync(ImageRef.image(P, "snap-a")));
        assertEquals(Optional.empty(), cloud().getImage(ImageRef.image(P, "snap-a")));
        assertEquals(Kind.NOT_FOUND, failure(() -> done(cloud().deleteImageAsync(ImageRef.image(P, "snap-a")))));
        // made again under the same key right after its deletion: a new image
        done(cloud().createImageAsync(imageSpec("snap-a", disk("src-2"), null), "key-snap-a"));
        assertTrue(cloud().getImage(ImageRef.image(P, "snap-a")).isPresent());
    }

    @Test
    void aDiskClonedFromAnotherReadsBackWithItsSource() {
        done(cloud().createDiskAsync(spec(disk("src-3"), 11, "img"), "key-src-3"));
        DiskSpec clone = new DiskSpec(
                disk("clone-3"), 11, "pd-balanced", null, MANAGED, "a clone", null, null, null, disk("src-3"));
        done(cloud().createDiskAsync(clone, "key-clone-3"));
        Disk d = cloud().getDisk(disk("clone-3")).orElseThrow();
        assertEquals(disk("src-3"), d.sourceDisk());
        assertEquals(11, d.sizeGb());
        DiskSpec orphan = new DiskSpec(
                disk("clone-4"), 11, "pd-balanced", null, MANAGED, "", null, null, null, disk("no-such-disk"));
        assertEquals(
                Kind.INVALID,
                failure(() -> done(cloud().createDiskAsync(orphan, "key-clone-4"))),
                "a source that does not exist is 400 invalid");
    }

    @Test
    void imagesAndFamilies() {
        Image img = cloud().getImage(ImageRef.image(P, "img")).orElseThrow();
        assertEquals(10, img.diskSizeGb());
        assertEquals("fam", img.family());
        assertTrue(img.ready() && img.usable());
        assertEquals(
                ImageRef.image(P, "img"),
                cloud().getImageFromFamily(ImageRef.family(P, "fam"))
                        .orElseThrow()
                        .ref());
        addImage("img-2", "fam", 20);
        assertEquals(
                ImageRef.image(P, "img-2"),
                cloud().getImageFromFamily(ImageRef.family(P, "fam"))
                        .orElseThrow()
                        .ref(),
                "the newest");
    }

    @Test
    void attachAndDetach() {
        done(cloud().createDiskAsync(spec(disk("a1"), 10, "img"), "key-a1"));
        done(cloud().attachDiskAsync(vm("vm1"), disk("a1"), "a1", false));
        Instance.AttachedDisk a = cloud().getInstance(vm("vm1"))
                .orElseThrow()
                .attachment(disk("a1"))
                .orElseThrow();
        assertEquals("a1", a.deviceName());
        assertFalse(a.readOnly());
        assertEquals(
                List.of(vm("vm1")), cloud().getDisk(disk("a1")).orElseThrow().users());

        assertEquals(
                Kind.IN_USE,
                failure(() -> done(cloud().attachDiskAsync(vm("vm2"), disk("a1"), "a1", false))),
                "read-write elsewhere");
        assertEquals(
                Kind.IN_USE,
                failure(() -> done(cloud().attachDiskAsync(vm("vm2"), disk("a1"), "a1", true))),
                "read-only while read-write elsewhere");
        assertEquals(
                Kind.IN_USE,
                failure(() -> done(cloud().attachDiskAsync(vm("vm1"), disk("a1"), "a1", false))),
                "attached here already");
        assertEquals(
                Kind.IN_USE, failure(() -> done(cloud().deleteDiskAsync(disk("a1")))), "deleting an attached disk");

        done(cloud().detachDiskAsync(vm("vm1"), "a1"));
        assertEquals(
                Optional.empty(), cloud().getInstance(vm("vm1")).orElseThrow().attachment(disk("a1")));
        assertEquals(List.of(), cloud().getDisk(disk("a1")).orElseThrow().users());
        assertEquals(Kind.INVALID, failure(() -> done(cloud().detachDiskAsync(vm("vm1"), "a1"))), "no such device");
    }

    @Test
    void readOnlyOnManyNodes() {
        done(cloud().createDiskAsync(spec(disk("ro"), 10, "img"), "key-ro"));
        done(cloud().attachDiskAsync(vm("vm1"), disk("ro"), "ro", true));
        done(cloud().attachDiskAsync(vm("vm2"), disk("ro"), "ro", true));
        assertEquals(2, cloud().getDisk(disk("ro")).orElseThrow().users().size());
        assertTrue(cloud().getInstance(vm("vm2"))
                .orElseThrow()
                .attachment(disk("ro"))
                .orElseThrow()
                .readOnly());
    }

    private static DiskSpec typed(DiskSpec spec, String type) {
        return new DiskSpec(
                        spec.ref(),
                        spec.sizeGb(),
                        type,
                        spec.sourceImage(),
                        spec.labels(),
                        spec.description(),
                        null,
                        null,
                        null)
                .withAccessMode(spec.accessMode());
    }

    @Test
    void hyperdiskMlFromAnImageIsReadOnlyManyAndNeverAttachedReadWrite() {
        DiskSpec ml = typed(spec(disk("ml"), 10, "img"), "hyperdisk-ml");
        assertEquals(
                Kind.INVALID, failure(() -> done(cloud().createDiskAsync(ml, "key-ml"))), "hyperdisk-ml from an image");
        assertEquals(Optional.empty(), cloud().getDisk(disk("ml")));
        done(cloud().createDiskAsync(ml.withAccessMode(DiskSpec.READ_ONLY_MANY), "key-ml-rom"));
        Disk d = cloud().getDisk(disk("ml")).orElseThrow();
        assertEquals("READ_ONLY_MANY", d.accessMode());
        assertEquals("hyperdisk-ml", d.type());
        assertEquals(
                Kind.INVALID,
                failure(() -> done(cloud().attachDiskAsync(vm("vm1"), disk("ml"), "ml", false))),
                "rw attach");
        done(cloud().attachDiskAsync(vm("vm1"), disk("ml"), "ml", true));
        done(cloud().attachDiskAsync(vm("vm2"), disk("ml"), "ml", true));
        assertEquals(2, cloud().getDisk(disk("ml")).orElseThrow().users().size());
    }

    @Test
    void accessModesAreForHyperdiskOnly() {
        done(cloud().createDiskAsync(spec(disk("pd"), 10, "img"), "key-pd"));
        assertEquals(null, cloud().getDisk(disk("pd")).orElseThrow().accessMode());
        DiskSpec rom = spec(disk("pd2"), 10, "img").withAccessMode(DiskSpec.READ_ONLY_MANY);
        assertEquals(Kind.INVALID, failure(() -> done(cloud().createDiskAsync(rom, "key-pd2"))));
        assertEquals(Optional.empty(), cloud().getDisk(disk("pd2")));
    }

    @Test
    void aReadWriteAttachOfADiskHeldReadOnlyIsInUse() {
        done(cloud().createDiskAsync(spec(disk("held"), 10, "img"), "key-held"));
        done(cloud().attachDiskAsync(vm("vm1"), disk("held"), "held", true));
        assertEquals(Kind.IN_USE, failure(() -> done(cloud().attachDiskAsync(vm("vm2"), disk("held"), "held", false))));
        assertEquals(
                List.of(vm("vm1")), cloud().getDisk(disk("held")).orElseThrow().users());
    }

    @Test
    void oneReaderPastTheCapIsLimitExceeded() {
        setReaderCap("pd-balanced", 2);
        addInstance("vm3");
        done(cloud().createDiskAsync(spec(disk("capped"), 10, "img"), "key-capped"));
        done(cloud().attachDiskAsync(vm("vm1"), disk("capped"), "capped", true));
        done(cloud().attachDiskAsync(vm("vm2"), disk("capped"), "capped", true));
        assertEquals(
                Kind.LIMIT_EXCEEDED,
                failure(() -> done(cloud().attachDiskAsync(vm("vm3"), disk("capped"), "capped", true))));
        done(cloud().detachDiskAsync(vm("vm1"), "capped"));
        done(cloud().attachDiskAsync(vm("vm3"), disk("capped"), "capped", true));
        assertEquals(2, cloud().getDisk(disk("capped")).orElseThrow().users().size());
    }

    @Test
    void hyperdiskMlAttachesPastThePaceAreRateLimited() {
        paceAttachesFrozen(1);
        done(cloud().createDiskAsync(
                        typed(spec(disk("paced"), 10, "img"), "hyperdisk-ml").withAccessMode(DiskSpec.READ_ONLY_MANY),
                        "key-paced"));
        done(cloud().attachDiskAsync(vm("vm1"), disk("paced"), "paced", true));
        assertEquals(
                Kind.RATE_LIMITED,
                failure(() -> done(cloud().attachDiskAsync(vm("vm2"), disk("paced"), "paced", true))));
        assertEquals(1, cloud().getDisk(disk("paced")).orElseThrow().users().size());
    }

    @Test
    void attachingWhatDoesNotExistIsNotFound() {
        done(cloud().createDiskAsync(spec(disk("n1"), 10, "img"), "key-n1"));
        assertEquals(
                Kind.NOT_FOUND, failure(() -> done(cloud().attachDiskAsync(vm("vm1"), disk("nope"), "nope", false))));
        assertEquals(Kind.NOT_FOUND, failure(() -> done(cloud().attachDiskAsync(vm("nope"), disk("n1"), "n1", false))));
        assertEquals(Kind.NOT_FOUND, failure(() -> done(cloud().detachDiskAsync(vm("nope"), "n1"))));
    }

    @Test
    void resizeAndDelete() {
        done(cloud().createDiskAsync(spec(disk("r1"), 10, "img"), "key-r1"));
        done(cloud().resizeDiskAsync(disk("r1"), 15));
        assertEquals(15, cloud().getDisk(disk("r1")).orElseThrow().sizeGb());
        assertEquals(Kind.INVALID, failure(() -> done(cloud().resizeDiskAsync(disk("r1"), 12))), "shrinking");
        assertEquals(Kind.NOT_FOUND, failure(() -> done(cloud().resizeDiskAsync(disk("nope"), 20))));
        done(cloud().deleteDiskAsync(disk("r1")));
        assertEquals(Optional.empty(), cloud().getDisk(disk("r1")));
        assertEquals(Kind.NOT_FOUND, failure(() -> done(cloud().deleteDiskAsync(disk("r1")))));
    }

    @Test
    void listsByLabelAcrossZones() {
        done(cloud().createDiskAsync(spec(disk("l1"), 10, "img"), "key-l1"));
        done(cloud().createDiskAsync(spec(new DiskRef(P, OTHER_ZONE, "l2"), 10, "img"), "key-l2"));
        done(cloud().createDiskAsync(
                        new DiskSpec(
                                disk("l3"),
                                10,
                                "pd-balanced",
                                "projects/" + P + "/global/images/img",
                                Map.of("other", "x"),
                                "",
                                null,
                                null,
                                null),
                        "key-l3"));
        assertEquals(
                List.of("l1", "l2"),
                cloud().listDisks(MANAGED).stream()
                        .map(d -> d.ref().name())
                        .sorted()
                        .toList());
        assertEquals(
                3,
                cloud().listDisks(Map.of()).stream()
                        .filter(d -> d.ref().name().startsWith("l"))
                        .count());
    }

    @Test
    void refusedRequestsAndFailedOperations() {
        refuseRequests("disks.get", Kind.UNAVAILABLE, 1);
        assertEquals(Kind.UNAVAILABLE, failure(() -> cloud().getDisk(disk("any"))));
        assertEquals(Optional.empty(), cloud().getDisk(disk("any")), "only the next request");

        refuseRequests("disks.get", Kind.RATE_LIMITED, 1);
        CloudException limited = assertThrows(CloudException.class, () -> cloud().getDisk(disk("any")));
        assertEquals(Kind.RATE_LIMITED, limited.kind());
        assertEquals(Optional.empty(), cloud().getDisk(disk("any")), "then the budget is back");

        failNextInsertOperation();
        assertEquals(
                Kind.UNAVAILABLE, failure(() -> done(cloud().createDiskAsync(spec(disk("f1"), 10, "img"), "key-f1"))));
        assertEquals(Optional.empty(), cloud().getDisk(disk("f1")), "a failed operation makes nothing");
    }

    @Test
    void updatesProvisionedPerformanceOfHyperdiskOnly() {
        DiskRef hd = disk("hd");
        done(cloud().createDiskAsync(
                        new DiskSpec(
                                hd,
                                100,
                                "hyperdisk-balanced",
                                "projects/" + P + "/global/images/img",
                                MANAGED,
                                "made for a test",
                                null,
                                3000L,
                                140L),
                        "key-hd"));
        assertEquals(3000L, cloud().getDisk(hd).orElseThrow().provisionedIops());
        done(cloud().updateDiskPerformanceAsync(hd, 6000L, 400L));
        Disk updated = cloud().getDisk(hd).orElseThrow();
        assertEquals(6000L, updated.provisionedIops());
        assertEquals(400L, updated.provisionedThroughput());
        done(cloud().updateDiskPerformanceAsync(hd, null, 500L));
        assertEquals(6000L, cloud().getDisk(hd).orElseThrow().provisionedIops(), "null leaves it");
        assertEquals(500L, cloud().getDisk(hd).orElseThrow().provisionedThroughput());

        // out of range for the size; throughput above a quarter of the IOPS; a Persistent Disk type
        assertEquals(Kind.INVALID, failure(() -> done(cloud().updateDiskPerformanceAsync(hd, 60_000L, null))));
        assertEquals(Kind.INVALID, failure(() -> done(cloud().updateDiskPerformanceAsync(hd, 4000L, 1001L))));
        done(cloud().createDiskAsync(spec(disk("pd"), 10, "img"), "key-pd"));
        assertEquals(Kind.INVALID, failure(() -> done(cloud().updateDiskPerformanceAsync(disk("pd"), 3000L, null))));
        assertEquals(
                Kind.NOT_FOUND, failure(() -> done(cloud().updateDiskPerformanceAsync(disk("none"), 3000L, null))));
        assertEquals(
                500L, cloud().getDisk(hd).orElseThrow().provisionedThroughput(), "a refused update changes nothing");
    }

    @Test
    void capacityFailuresNameTheirZoneOrRegion() {
        String region = Z.substring(0, Z.lastIndexOf('-'));
        failNextInsertForCapacity(Kind.ZONE_EXHAUSTED, true);
        CloudException stockout = assertThrows(
                CloudException.class, () -> done(cloud().createDiskAsync(spec(disk("c1"), 10, "img"), "key-c1")));
        assertEquals(Kind.ZONE_EXHAUSTED, stockout.kind());
        assertEquals(Z, stockout.location());
        failNextInsertForCapacity(Kind.ZONE_EXHAUSTED, false);
        CloudException zonal = assertThrows(
                CloudException.class, () -> done(cloud().createDiskAsync(spec(disk("c2"), 10, "img"), "key-c2")));
        assertEquals(Kind.ZONE_EXHAUSTED, zonal.kind());
        assertEquals(Z, zonal.location());
        failNextInsertForCapacity(Kind.QUOTA_EXCEEDED, false);
        CloudException regional = assertThrows(
                CloudException.class, () -> done(cloud().createDiskAsync(spec(disk("c3"), 10, "img"), "key-c3")));
        assertEquals(Kind.QUOTA_EXCEEDED, regional.kind());
        assertEquals(region, regional.location());
        assertEquals(Optional.empty(), cloud().getDisk(disk("c3")), "a failed operation makes nothing");
    }

    @Test
    void checkAccessSucceeds() {
        cloud().checkAccess();
    }

    /**
     * The result of a mutation's future, waited for here (the test's thread, not the adapter's), or its failure
     * unwrapped.
     */
    public static <T> T done(CompletableFuture<T> future) {
        try {
            return future.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new AssertionError(e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("no answer from " + future, e);
        }
    }

    protected static Kind failure(Runnable call) {
        return assertThrows(CloudException.class, call::run).kind();
    }
}
