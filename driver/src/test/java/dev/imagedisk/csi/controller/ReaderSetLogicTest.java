package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.FakeController.IMAGE;
import static dev.imagedisk.csi.controller.FakeController.OTHER_ZONE;
import static dev.imagedisk.csi.controller.FakeController.PROJECT;
import static dev.imagedisk.csi.controller.FakeController.ZONE;
import static dev.imagedisk.csi.controller.FakeController.cap;
import static dev.imagedisk.csi.controller.FakeController.nodeId;
import static dev.imagedisk.csi.controller.FakeController.zone;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerGetVolumeResponse;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerPublishVolumeResponse;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.CreateVolumeResponse;
import csi.v1.DeleteVolumeRequest;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import csi.v1.TopologyRequirement;
import csi.v1.ValidateVolumeCapabilitiesRequest;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.imagedisk.csi.cloud.CloudException.Kind;
import dev.imagedisk.csi.cloud.Disk;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.cloud.Instance;
import dev.imagedisk.csi.cloud.InstanceRef;
import dev.imagedisk.csi.contract.Keys;
import io.grpc.Status.Code;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * ReadOnlyMany volumes and reader sets ({@code replicas: on-demand}) on the in-memory cloud, by direct calls of the
 * service: which types can be shared, hyperdisk-ml READ_ONLY_MANY, one disk per zone made as readers appear, reader
 * room, the Hyperdisk ML pace on a manual clock (no sleeps), crash safety, and what List/GetVolume report.
 */
class ReaderSetLogicTest {
    private static final VolumeCapability ROX = cap(Mode.MULTI_NODE_READER_ONLY, false);
    private static final Map<String, String> MANAGED = Map.of(Keys.MANAGED_LABEL_KEY, Keys.MANAGED_LABEL_VALUE);

    private final FakeController f = new FakeController();

    private static CreateVolumeRequest.Builder rox(String name, String type) {
        return CreateVolumeRequest.newBuilder()
                .setName(name)
                .addVolumeCapabilities(ROX)
                .putParameters("image", "projects/" + PROJECT + "/global/images/family/" + FakeController.FAMILY)
                .putParameters("type", type);
    }

    /** A reader set over both test zones, its first disk in {@link FakeController#ZONE}. */
    private static CreateVolumeRequest.Builder set(String name, String type) {
        return rox(name, type)
                .putParameters("replicas", "on-demand")
                .setAccessibilityRequirements(TopologyRequirement.newBuilder()
                        .addRequisite(zone(ZONE))
                        .addRequisite(zone(OTHER_ZONE))
                        .addPreferred(zone(ZONE)));
    }

    private Answer<CreateVolumeResponse> create(CreateVolumeRequest request) {
        return f.call(f.service::createVolume, request);
    }

    private Answer<ControllerPublishVolumeResponse> publish(String volume, String node, VolumeCapability cap) {
        return f.call(
                f.service::controllerPublishVolume,
                ControllerPublishVolumeRequest.newBuilder()
                        .setVolumeId(volume)
                        .setNodeId(node)
                        .setVolumeCapability(cap)
                        .build());
    }

    private Code unpublish(String volume, String node) {
        return f.call(
                        f.service::controllerUnpublishVolume,
                        ControllerUnpublishVolumeRequest.newBuilder()
                                .setVolumeId(volume)
                                .setNodeId(node)
                                .build())
                .code();
    }

    private Code delete(String volume) {
        return f.call(
                        f.service::deleteVolume,
                        DeleteVolumeRequest.newBuilder().setVolumeId(volume).build())
                .code();
    }

    private List<Disk> disks() {
        return f.cloud.listDisks(MANAGED);
    }

    private List<Disk> disksIn(String zone) {
        return disks().stream().filter(d -> d.ref().zone().equals(zone)).toList();
    }

    private Instance.AttachedDisk attachment(String zone, String node, DiskRef disk) {
        return f.cloud
                .getInstance(new InstanceRef(PROJECT, zone, node))
                .orElseThrow()
                .attachment(disk)
                .orElseThrow();
    }

    // ------------------------------------------------------------------------------------ one shared disk

    @Test
    void aHyperdiskMlVolumeIsReadOnlyManyAndAttachedReadOnlyToEveryNode() {
        String id = create(rox("pvc-ml", "hyperdisk-ml").build())
                .value()
                .getVolume()
                .getVolumeId();
        assertEquals(FakeController.volumeId(ZONE, "pvc-ml"), id);
        Disk d = disks().get(0);
        assertEquals("READ_ONLY_MANY", d.accessMode());
        assertEquals("hyperdisk-ml", d.type());
        for (String node : List.of("node-1", "node-2")) {
            assertEquals(Code.OK, publish(id, nodeId(node), ROX).code());
            assertTrue(attachment(ZONE, node, d.ref()).readOnly(), node);
        }
        assertEquals(2, f.cloud.getDisk(d.ref()).orElseThrow().users().size());
    }

    @Test
    void aReadWritePublishOfADiskThatReadersHoldFailsAsComputeEngineFailsIt() {
        String id = create(rox("pvc-held", "pd-balanced")
                        .addVolumeCapabilities(cap(Mode.SINGLE_NODE_WRITER, false))
                        .build())
                .value()
                .getVolume()
                .getVolumeId();
        assertEquals(Code.OK, publish(id, nodeId("node-1"), ROX).code());
        assertEquals(Code.OK, publish(id, nodeId("node-2"), ROX).code());
        f.cloud.addInstance(PROJECT, ZONE, "node-4");
        Answer<ControllerPublishVolumeResponse> rw = publish(id, nodeId("node-4"), cap(Mode.SINGLE_NODE_WRITER, false));
        assertEquals(Code.FAILED_PRECONDITION, rw.code());
        assertTrue(rw.description().contains(nodeId("node-1")), rw.description());
        assertEquals(2, disks().get(0).users().size());
        // a READ_ONLY_MANY disk: a writer capability is not confirmed
        String ml = create(rox("pvc-ml-v", "hyperdisk-ml").build())
                .value()
                .getVolume()
                .getVolumeId();
        assertFalse(f.call(
                        f.service::validateVolumeCapabilities,
                        ValidateVolumeCapabilitiesRequest.newBuilder()
                                .setVolumeId(ml)
                                .addVolumeCapabilities(cap(Mode.SINGLE_NODE_WRITER, false))
                                .build())
                .value()
                .hasConfirmed());
    }

    @Test
    void onlyShareableTypesMakeReadOnlyManyVolumesAndTheRefusalNamesThem() {
        for (String type : List.of("hyperdisk-balanced", "pd-extreme", "hyperdisk-throughput")) {
            Answer<CreateVolumeResponse> refused =
                    create(rox("pvc-" + type, type).build());
            assertEquals(Code.INVALID_ARGUMENT, refused.code(), type);
            assertTrue(
                    refused.description().contains("types that can: hyperdisk-ml, pd-balanced, pd-ssd, pd-standard"),
                    refused.description());
        }
        // pd-* is shareable (no access mode)
        assertEquals(Code.OK, create(rox("pvc-pd", "pd-ssd").build()).code());
        assertEquals(null, disks().get(0).accessMode());
        // hyperdisk-ml with a writer is refused: such a disk is READ_ONLY_MANY
        Answer<CreateVolumeResponse> writer = create(rox("pvc-ml-rw", "hyperdisk-ml")
                .clearVolumeCapabilities()
                .addVolumeCapabilities(cap(Mode.SINGLE_NODE_WRITER, false))
                .build());
        assertEquals(Code.INVALID_ARGUMENT, writer.code());
        assertTrue(writer.description().contains("READ_ONLY_MANY"), writer.description());
        assertEquals(1, disks().size());
        assertEquals(0, f.cloud.requestCount("disks.insert") - 1);
    }

    @Test
    void readerSetParametersAreChecked() {
        assertEquals(
                Code.INVALID_ARGUMENT,
                create(rox("a", "pd-balanced")
                                .putParameters("replicas", "always")
                                .build())
                        .code());
        assertEquals(
                Code.INVALID_ARGUMENT,
                create(rox("b", "pd-balanced")
                                .putParameters("max-readers-per-disk", "5")
                                .build())
                        .code(),
                "max-readers-per-disk without replicas: on-demand");
        assertEquals(
                Code.INVALID_ARGUMENT,
                create(set("c", "pd-balanced")
                                .putParameters("max-readers-per-disk", "0")
                                .build())
                        .code());
        assertEquals(
                Code.INVALID_ARGUMENT,
                create(set("d", "pd-balanced")
                                .clearVolumeCapabilities()
                                .addVolumeCapabilities(cap(Mode.SINGLE_NODE_WRITER, false))
                                .build())
                        .code(),
                "a reader set with a writer");
        assertEquals(0, f.cloud.requestCount("disks.insert"));
    }

    // ------------------------------------------------------------------------------------------ reader sets

    @Test
    void aReaderSetServesThreeNodesInTwoZonesWithOneDiskPerZone() {
        CreateVolumeResponse created =
                create(set("pvc-set", "hyperdisk-ml").build()).value();
        String id = created.getVolume().getVolumeId();
        assertEquals("projects/" + PROJECT + "/zones/multi-zone/disks/pvc-set", id);
        assertEquals(
                Set.of(ZONE, OTHER_ZONE),
                created.getVolume().getAccessibleTopologyList().stream()
                        .map(t -> t.getSegmentsMap().get(Keys.TOPOLOGY_ZONE))
                        .collect(Collectors.toSet()));
        assertTrue(created.getVolume()
                .getVolumeContextMap()
                .get(Keys.CONTEXT_IMAGE)
                .endsWith("/images/" + IMAGE));
        assertEquals(1, disks().size(), "CreateVolume makes the first disk only");

        for (String[] node : new String[][] {{ZONE, "node-1"}, {ZONE, "node-2"}, {OTHER_ZONE, "node-3"}}) {
            Answer<ControllerPublishVolumeResponse> a = publish(id, nodeId(node[0], node[1]), ROX);
            assertEquals(Code.OK, a.code(), a.description());
            String device = a.value().getPublishContextMap().get(Keys.PUBLISH_DEVICE_NAME);
            assertEquals("pvc-set", device, "each zone's first disk is named as the set");
            assertTrue(attachment(node[0], node[1], new DiskRef(PROJECT, node[0], device))
                    .readOnly());
        }
        assertEquals(1, disksIn(ZONE).size());
        assertEquals(1, disksIn(OTHER_ZONE).size());
        Disk other = disksIn(OTHER_ZONE).get(0);
        Disk first = disksIn(ZONE).get(0);
        assertEquals(first.sourceImage(), other.sourceImage(), "every disk from the one concrete image");
        assertEquals("READ_ONLY_MANY", other.accessMode());
        // idempotent: again is the same answer, no new attach
        long attaches = f.cloud.requestCount("instances.attachDisk");
        assertEquals(Code.OK, publish(id, nodeId(OTHER_ZONE, "node-3"), ROX).code());
        assertEquals(attaches, f.cloud.requestCount("instances.attachDisk"));

        Set<String> readers = Set.of(nodeId("node-1"), nodeId("node-2"), nodeId(OTHER_ZONE, "node-3"));
        ControllerGetVolumeResponse got = f.call(
                        f.service::controllerGetVolume,
                        ControllerGetVolumeRequest.newBuilder().setVolumeId(id).build())
                .value();
        assertEquals(readers, Set.copyOf(got.getStatus().getPublishedNodeIdsList()));
        assertFalse(got.getStatus().getVolumeCondition().getAbnormal());
        ListVolumesResponse list = f.call(f.service::listVolumes, ListVolumesRequest.getDefaultInstance())
                .value();
        assertEquals(1, list.getEntriesCount(), "one volume, whatever its disks");
        assertEquals(id, list.getEntries(0).getVolume().getVolumeId());
        assertEquals(readers, Set.copyOf(list.getEntries(0).getStatus().getPublishedNodeIdsList()));
        assertEquals(
                Code.OK,
                f.call(
                                f.service::validateVolumeCapabilities,
                                ValidateVolumeCapabilitiesRequest.newBuilder()
                                        .setVolumeId(id)
                                        .addVolumeCapabilities(ROX)
                                        .build())
                        .code());

        assertEquals(Code.FAILED_PRECONDITION, delete(id), "deleting a set with readers");
        assertEquals(2, disks().size());
        assertEquals(Code.OK, unpublish(id, nodeId("node-1")));
        assertEquals(Code.OK, unpublish(id, nodeId("node-1")), "again: detached already");
        assertEquals(Code.OK, unpublish(id, nodeId("node-2")));
        assertEquals(Code.OK, unpublish(id, nodeId(OTHER_ZONE, "node-3")));
        assertEquals(Code.OK, delete(id));
        assertEquals(List.of(), disks());
        assertEquals(Code.OK, delete(id), "again: deleted already");
        assertEquals(
                Code.NOT_FOUND,
                f.call(
                                f.service::controllerGetVolume,
                                ControllerGetVolumeRequest.newBuilder()
                                        .setVolumeId(id)
                                        .build())
                        .code());
    }

    @Test
    void withTwoReadersPerDiskFiveReadersInOneZoneUseThreeDisks() {
        List<String> nodes = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            f.cloud.addInstance(PROJECT, OTHER_ZONE, "reader-" + i);
            nodes.add(nodeId(OTHER_ZONE, "reader-" + i));
        }
        String id = create(set("pvc-cap", "pd-balanced")
                        .putParameters("max-readers-per-disk", "2")
                        .build())
                .value()
                .getVolume()
                .getVolumeId();
        Set<String> devices = new java.util.HashSet<>();
        for (String node : nodes) {
            Answer<ControllerPublishVolumeResponse> a = publish(id, node, ROX);
            assertEquals(Code.OK, a.code(), a.description());
            devices.add(a.value().getPublishContextMap().get(Keys.PUBLISH_DEVICE_NAME));
        }
        assertEquals(3, disksIn(OTHER_ZONE).size());
        assertEquals(3, devices.size());
        assertTrue(disksIn(OTHER_ZONE).stream().allMatch(d -> d.users().size() <= 2));
        assertEquals(1, disksIn(ZONE).size(), "the first disk, made by CreateVolume, has no reader yet");
        // a reader leaves: the next one takes its place on the disk with room, no fourth disk
        assertEquals(Code.OK, unpublish(id, nodes.get(0)));
        f.cloud.addInstance(PROJECT, OTHER_ZONE, "reader-6");
        assertEquals(Code.OK, publish(id, nodeId(OTHER_ZONE, "reader-6"), ROX).code());
        assertEquals(3, disksIn(OTHER_ZONE).size());
    }

    @Test
    void aControllerThatDiedAfterCreatingAZonesDiskLeavesOneDiskAfterTheRetry() {
        String id = create(set("pvc-crash", "pd-balanced").build())
                .value()
                .getVolume()
                .getVolumeId();
        // the first controller makes zone b's disk, then its attach never answers (it dies)
        f.cloud.failNext("instances.attachDisk", Kind.UNAVAILABLE, 1);
        assertEquals(
                Code.UNAVAILABLE, publish(id, nodeId(OTHER_ZONE, "node-3"), ROX).code());
        assertEquals(1, disksIn(OTHER_ZONE).size());
        // a new controller (nothing in memory) on the same cloud retries the publish
        ControllerService restarted = f.serviceWith(new ReaderSets(
                f.cloud, PROJECT, f.pace, Duration.ofSeconds(60), TestSchedulers.SHARED, Duration.ofSeconds(5)));
        long inserts = f.cloud.requestCount("disks.insert");
        assertEquals(
                Code.OK,
                f.call(
                                restarted::controllerPublishVolume,
                                ControllerPublishVolumeRequest.newBuilder()
                                        .setVolumeId(id)
                                        .setNodeId(nodeId(OTHER_ZONE, "node-3"))
                                        .setVolumeCapability(ROX)
                                        .build())
                        .code());
        assertEquals(inserts, f.cloud.requestCount("disks.insert"), "the disk was found, not made again");
        assertEquals(1, disksIn(OTHER_ZONE).size());
        assertEquals(1, disksIn(OTHER_ZONE).get(0).users().size());
    }

    @Test
    void aDiskBeingCreatedUnderTheSameRequestIsNotMadeTwice() {
        String id = create(set("pvc-twice", "pd-balanced").build())
                .value()
                .getVolume()
                .getVolumeId();
        // an earlier attempt's insert of zone b's first disk (same name, same request key) went through
        DiskRef b1 = new DiskRef(PROJECT, OTHER_ZONE, "pvc-twice");
        Disk template = disksIn(ZONE).get(0);
        dev.imagedisk.csi.cloud.ComputeCloudContract.done(f.cloud.createDiskAsync(
                new dev.imagedisk.csi.cloud.DiskSpec(
                        b1,
                        template.sizeGb(),
                        template.type(),
                        template.sourceImage(),
                        template.labels(),
                        template.description(),
                        null,
                        null,
                        null),
                b1.path()));
        assertEquals(Code.OK, publish(id, nodeId(OTHER_ZONE, "node-3"), ROX).code());
        assertEquals(List.of(b1), disksIn(OTHER_ZONE).stream().map(Disk::ref).toList());
    }

    @Test
    void concurrentPublishesNeedingANewDiskShareItsOneInsert() {
        String id = create(set("pvc-burst", "pd-balanced").build())
                .value()
                .getVolume()
                .getVolumeId();
        f.cloud.holdCreations();
        long inserts = f.cloud.requestCount("disks.insert");
        List<Answer<ControllerPublishVolumeResponse>> answers = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            f.cloud.addInstance(PROJECT, OTHER_ZONE, "burst-" + i);
            answers.add(publish(id, nodeId(OTHER_ZONE, "burst-" + i), ROX));
        }
        for (Answer<ControllerPublishVolumeResponse> a : answers) {
            assertFalse(a.answered(), "every publish waits for zone b's disk, still CREATING");
        }
        assertEquals(
                inserts + 1,
                f.cloud.requestCount("disks.insert"),
                "one disks.insert for zone b's disk, shared by the 5 publishes that need it");
        f.cloud.finishCreations();
        for (Answer<ControllerPublishVolumeResponse> a : answers) {
            assertEquals(Code.OK, a.code(), a.description());
        }
        assertEquals(inserts + 1, f.cloud.requestCount("disks.insert"));
        assertEquals(1, disksIn(OTHER_ZONE).size());
        assertEquals(5, disksIn(OTHER_ZONE).get(0).users().size());
    }

    @Test
    void aDiskAnEarlierControllerIsStillCreatingIsWaitedForWithoutAnotherInsert() {
        String id = create(set("pvc-earlier", "pd-balanced").build())
                .value()
                .getVolume()
                .getVolumeId();
        // an earlier controller's insert of zone b's first disk: the disk is CREATING, its answer is not in yet
        f.cloud.holdCreations();
        DiskRef b1 = new DiskRef(PROJECT, OTHER_ZONE, "pvc-earlier");
        Disk template = disksIn(ZONE).get(0);
        f.cloud.createDiskAsync(
                new dev.imagedisk.csi.cloud.DiskSpec(
                        b1,
                        template.sizeGb(),
                        template.type(),
                        template.sourceImage(),
                        template.labels(),
                        template.description(),
                        null,
                        null,
                        null),
                b1.path());
        long inserts = f.cloud.requestCount("disks.insert");
        f.cloud.addInstance(PROJECT, OTHER_ZONE, "node-4");
        Answer<ControllerPublishVolumeResponse> first = publish(id, nodeId(OTHER_ZONE, "node-3"), ROX);
        Answer<ControllerPublishVolumeResponse> second = publish(id, nodeId(OTHER_ZONE, "node-4"), ROX);
        assertFalse(first.answered(), "the publish waits for the disk CREATING");
        f.cloud.finishCreations();
        assertEquals(Code.OK, first.code(), first.description());
        assertEquals(Code.OK, second.code(), second.description());
        assertEquals(inserts, f.cloud.requestCount("disks.insert"), "the disk was waited for, not inserted again");
        assertEquals(List.of(b1), disksIn(OTHER_ZONE).stream().map(Disk::ref).toList());
        assertEquals(2, disksIn(OTHER_ZONE).get(0).users().size());
    }

    @Test
    void hyperdiskMlAttachesOverThePaceWaitOnTheTimerThenAttach() {
        List<String> nodes = new ArrayList<>();
        for (int i = 1; i <= 101; i++) {
            f.cloud.addInstance(PROJECT, ZONE, "r-" + i);
            nodes.add(nodeId(ZONE, "r-" + i));
        }
        String id = create(set("pvc-pace", "hyperdisk-ml").build())
                .value()
                .getVolume()
                .getVolumeId();
        for (int i = 0; i < 100; i++) {
            assertEquals(Code.OK, publish(id, nodes.get(i), ROX).code(), "attach " + (i + 1));
        }
        assertEquals(0, f.time.waiting());
        Answer<ControllerPublishVolumeResponse> waiting = publish(id, nodes.get(100), ROX);
        assertFalse(waiting.answered(), "the 101st attach within 30 s waits for its slot");
        assertEquals(1, f.time.waiting());
        assertEquals(100, f.cloud.requestCount("instances.attachDisk"));
        f.time.advance(Duration.ofSeconds(29));
        assertFalse(waiting.answered());
        f.time.advance(Duration.ofSeconds(1));
        assertEquals(Code.OK, waiting.code(), waiting.description());
        assertEquals(
                101,
                f.cloud
                        .getDisk(new DiskRef(PROJECT, ZONE, "pvc-pace"))
                        .orElseThrow()
                        .users()
                        .size());
        assertEquals(1, disksIn(ZONE).size(), "the pace is no reason for another disk");
    }

    @Test
    void anAttachSlotFurtherThanAPublishMayWaitIsUnavailableNotAnError() {
        ReaderSets sets = new ReaderSets(
                f.cloud,
                PROJECT,
                new AttachPace(1, Duration.ofSeconds(30), f.time::nanoTime, f.time),
                Duration.ofSeconds(10),
                TestSchedulers.SHARED,
                Duration.ofSeconds(5));
        ControllerService service = f.serviceWith(sets);
        String id = f.call(
                        service::createVolume, set("pvc-slow", "hyperdisk-ml").build())
                .value()
                .getVolume()
                .getVolumeId();
        ControllerPublishVolumeRequest.Builder req =
                ControllerPublishVolumeRequest.newBuilder().setVolumeId(id).setVolumeCapability(ROX);
        assertEquals(
                Code.OK,
                f.call(
                                service::controllerPublishVolume,
                                req.setNodeId(nodeId("node-1")).build())
                        .code());
        Answer<ControllerPublishVolumeResponse> over = f.call(
                service::controllerPublishVolume,
                req.setNodeId(nodeId("node-2")).build());
        assertEquals(Code.UNAVAILABLE, over.code());
        assertTrue(over.description().contains("retry in 30 s"), over.description());
        assertEquals(1, f.cloud.requestCount("instances.attachDisk"));
        f.time.advance(Duration.ofSeconds(30));
        assertEquals(
                Code.OK,
                f.call(
                                service::controllerPublishVolume,
                                req.setNodeId(nodeId("node-2")).build())
                        .code());
    }

    @Test
    void aReaderSetRefusesWritersOtherZonesExpansionAndSnapshots() {
        String id =
                create(set("pvc-ro", "pd-balanced").build()).value().getVolume().getVolumeId();
        assertEquals(
                Code.INVALID_ARGUMENT,
                publish(id, nodeId("node-1"), cap(Mode.SINGLE_NODE_WRITER, false))
                        .code());
        f.cloud.addInstance(PROJECT, "europe-west1-b", "far");
        Answer<ControllerPublishVolumeResponse> far = publish(id, nodeId("europe-west1-b", "far"), ROX);
        assertEquals(Code.FAILED_PRECONDITION, far.code());
        assertTrue(far.description().contains(ZONE + ", " + OTHER_ZONE), far.description());
        assertEquals(
                Code.FAILED_PRECONDITION,
                f.call(
                                f.service::controllerExpandVolume,
                                ControllerExpandVolumeRequest.newBuilder()
                                        .setVolumeId(id)
                                        .setCapacityRange(csi.v1.CapacityRange.newBuilder()
                                                .setRequiredBytes(100L << 30))
                                        .build())
                        .code());
        assertEquals(
                Code.FAILED_PRECONDITION,
                f.call(
                                f.service::createSnapshot,
                                csi.v1.CreateSnapshotRequest.newBuilder()
                                        .setName("snap")
                                        .setSourceVolumeId(id)
                                        .build())
                        .code());
        assertEquals(
                Code.NOT_FOUND,
                publish("projects/" + PROJECT + "/zones/multi-zone/disks/nope", nodeId("node-1"), ROX)
                        .code());
    }
}
