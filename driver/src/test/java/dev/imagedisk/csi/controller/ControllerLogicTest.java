package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.FakeController.IMAGE;
import static dev.imagedisk.csi.controller.FakeController.OTHER_ZONE;
import static dev.imagedisk.csi.controller.FakeController.PROJECT;
import static dev.imagedisk.csi.controller.FakeController.ZONE;
import static dev.imagedisk.csi.controller.FakeController.cap;
import static dev.imagedisk.csi.controller.FakeController.create;
import static dev.imagedisk.csi.controller.FakeController.mountWriter;
import static dev.imagedisk.csi.controller.FakeController.nodeId;
import static dev.imagedisk.csi.controller.FakeController.volumeId;
import static dev.imagedisk.csi.controller.FakeController.zone;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.ControllerExpandVolumeResponse;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerGetVolumeResponse;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.ControllerPublishVolumeResponse;
import csi.v1.ControllerUnpublishVolumeRequest;
import csi.v1.ControllerUnpublishVolumeResponse;
import csi.v1.CreateVolumeRequest;
import csi.v1.CreateVolumeResponse;
import csi.v1.DeleteVolumeRequest;
import csi.v1.DeleteVolumeResponse;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import csi.v1.TopologyRequirement;
import csi.v1.ValidateVolumeCapabilitiesRequest;
import csi.v1.ValidateVolumeCapabilitiesResponse;
import csi.v1.Volume;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.imagedisk.csi.cloud.CloudException.Kind;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.contract.Keys;
import io.grpc.Status.Code;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The controller's logic as a table, on the in-memory cloud, by direct calls of the service (no socket, HTTP,
 * flags or root): idempotency, how every cloud failure and every refusal is answered, and where a disk is made.
 */
class ControllerLogicTest {
    private static final long GIB = 1L << 30;
    private final FakeController f = new FakeController();

    private Answer<CreateVolumeResponse> createVolume(CreateVolumeRequest request) {
        return f.call(f.service::createVolume, request);
    }

    private String newVolume(String name) {
        return createVolume(create(name).build()).value().getVolume().getVolumeId();
    }

    private Answer<ControllerPublishVolumeResponse> publish(
            String volume, String node, VolumeCapability cap, boolean readonly) {
        return f.call(
                f.service::controllerPublishVolume,
                ControllerPublishVolumeRequest.newBuilder()
                        .setVolumeId(volume)
                        .setNodeId(node)
                        .setVolumeCapability(cap)
                        .setReadonly(readonly)
                        .build());
    }

    private Answer<ControllerUnpublishVolumeResponse> unpublish(String volume, String node) {
        return f.call(
                f.service::controllerUnpublishVolume,
                ControllerUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(volume)
                        .setNodeId(node)
                        .build());
    }

    private Answer<DeleteVolumeResponse> delete(String volume) {
        return f.call(
                f.service::deleteVolume,
                DeleteVolumeRequest.newBuilder().setVolumeId(volume).build());
    }

    private Answer<ControllerGetVolumeResponse> get(String volume) {
        return f.call(
                f.service::controllerGetVolume,
                ControllerGetVolumeRequest.newBuilder().setVolumeId(volume).build());
    }

    // ------------------------------------------------------------------------------------------ idempotency

    @Test
    void createVolumeTwiceIsOneDisk() {
        Volume first = createVolume(create("pvc-a").build()).value().getVolume();
        Volume again = createVolume(create("pvc-a").build()).value().getVolume();
        assertEquals(first, again);
        assertEquals(volumeId(ZONE, "pvc-a"), first.getVolumeId());
        assertEquals(10 * GIB, first.getCapacityBytes());
        assertEquals(
                Map.of(Keys.TOPOLOGY_ZONE, ZONE), first.getAccessibleTopology(0).getSegmentsMap());
        assertTrue(first.getVolumeContextOrThrow(Keys.CONTEXT_IMAGE).endsWith("/global/images/" + IMAGE));
        assertEquals(1, f.cloud.listDisks(Map.of()).size());
    }

    @Test
    void createVolumeAgainWithOtherParametersIsAlreadyExists() {
        newVolume("pvc-b");
        assertEquals(
                Code.ALREADY_EXISTS,
                createVolume(create("pvc-b")
                                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(20 * GIB))
                                .build())
                        .code());
        assertEquals(
                Code.ALREADY_EXISTS,
                createVolume(create("pvc-b").putParameters("type", "pd-ssd").build())
                        .code());
    }

    @Test
    void aDiskMadeByAnEarlierAttemptUnderAnotherKeyIsAcceptedWhenItMatches() {
        newVolume("pvc-c");
        // a disk of that name made by a request the cloud does not remember (e.g. after its request ids expired)
        f.cloud.failNext("disks.insert", Kind.ALREADY_EXISTS, 1);
        assertEquals(
                volumeId(ZONE, "pvc-c"),
                createVolume(create("pvc-c").build()).value().getVolume().getVolumeId());
    }

    @Test
    void publishUnpublishAndDeleteAreIdempotent() {
        String v = newVolume("pvc-d");
        Map<String, String> context =
                publish(v, nodeId("node-1"), mountWriter(), false).value().getPublishContextMap();
        assertEquals(Map.of(Keys.PUBLISH_DEVICE_NAME, "pvc-d"), context);
        assertEquals(
                context,
                publish(v, nodeId("node-1"), mountWriter(), false).value().getPublishContextMap());
        assertEquals(1, f.cloud.requestCount("instances.attachDisk"), "the second publish found it attached");
        assertEquals(Code.OK, unpublish(v, nodeId("node-1")).code());
        assertEquals(Code.OK, unpublish(v, nodeId("node-1")).code());
        assertEquals(Code.OK, delete(v).code());
        assertEquals(Code.OK, delete(v).code());
        assertEquals(Code.NOT_FOUND, get(v).code());
    }

    @Test
    void unpublishFromEveryNodeWhenNoNodeIsNamed() {
        String v = createVolume(create("pvc-e")
                        .clearVolumeCapabilities()
                        .addVolumeCapabilities(cap(Mode.MULTI_NODE_READER_ONLY, false))
                        .build())
                .value()
                .getVolume()
                .getVolumeId();
        VolumeCapability rox = cap(Mode.MULTI_NODE_READER_ONLY, false);
        publish(v, nodeId("node-1"), rox, false).value();
        publish(v, nodeId("node-2"), rox, false).value();
        assertEquals(2, get(v).value().getStatus().getPublishedNodeIdsCount());
        assertEquals(Code.OK, unpublish(v, "").code());
        assertEquals(0, get(v).value().getStatus().getPublishedNodeIdsCount());
    }

    // ---------------------------------------------------------------------------------- every error mapping

    /** A cloud failure of any kind reaches the caller with the code the CSI spec names for it. */
    @ParameterizedTest
    @CsvSource({
        "NOT_FOUND, NOT_FOUND",
        "ALREADY_EXISTS, ALREADY_EXISTS",
        "IN_USE, FAILED_PRECONDITION",
        "NOT_READY, ABORTED",
        "RATE_LIMITED, RESOURCE_EXHAUSTED",
        "LIMIT_EXCEEDED, RESOURCE_EXHAUSTED",
        "ZONE_EXHAUSTED, RESOURCE_EXHAUSTED",
        "QUOTA_EXCEEDED, RESOURCE_EXHAUSTED",
        "UNAVAILABLE, UNAVAILABLE",
        "DEADLINE, DEADLINE_EXCEEDED",
        "INVALID, INVALID_ARGUMENT",
        "PERMISSION_DENIED, PERMISSION_DENIED",
        "UNAUTHENTICATED, UNAUTHENTICATED",
        "CANCELLED, CANCELLED",
        "OTHER, INTERNAL"
    })
    void cloudFailuresAreAnsweredWithTheirCode(Kind kind, Code code) {
        String v = newVolume("pvc-f");
        f.cloud.failNext("disks.get", kind, 1);
        Answer<ControllerGetVolumeResponse> answer = get(v);
        assertEquals(code, answer.code(), answer.status().toString());
        assertTrue(
                answer.status().getDescription().contains("disks.get"),
                answer.status().getDescription());
    }

    @Test
    void theTableCoversEveryKind() {
        assertEquals(15, Kind.values().length, "a new Kind needs a row in cloudFailuresAreAnsweredWithTheirCode");
    }

    @ParameterizedTest
    @EnumSource(
            value = Kind.class,
            names = {"UNAVAILABLE", "RATE_LIMITED", "INVALID", "PERMISSION_DENIED"})
    void aFailedInsertOperationIsAnsweredAndLeavesNoDisk(Kind kind) {
        f.cloud.failNextOperations("disks.insert", kind, 1);
        Answer<CreateVolumeResponse> answer = createVolume(create("pvc-g").build());
        assertFalse(answer.status().isOk());
        assertEquals(0, f.cloud.listDisks(Map.of()).size(), "a failed operation makes nothing");
        assertEquals(
                volumeId(ZONE, "pvc-g"),
                createVolume(create("pvc-g").build()).value().getVolume().getVolumeId(),
                "a retry makes the disk");
    }

    @Test
    void refusalsNameTheirReason() {
        String v = newVolume("pvc-h");
        // bad input
        assertEquals(Code.INVALID_ARGUMENT, createVolume(create("").build()).code());
        assertEquals(
                Code.INVALID_ARGUMENT,
                createVolume(create("pvc-x").clearVolumeCapabilities().build()).code());
        assertEquals(
                Code.INVALID_ARGUMENT,
                createVolume(create("pvc-x")
                                .clearVolumeCapabilities()
                                .addVolumeCapabilities(cap(Mode.MULTI_NODE_MULTI_WRITER, true))
                                .build())
                        .code());
        assertEquals(
                Code.INVALID_ARGUMENT,
                createVolume(create("pvc-x").putParameters("colour", "red").build())
                        .code());
        assertEquals(
                Code.INVALID_ARGUMENT,
                publish(v, nodeId("node-1"), cap(Mode.MULTI_NODE_SINGLE_WRITER, false), false)
                        .code());
        // what does not exist
        assertEquals(
                Code.NOT_FOUND,
                createVolume(create("pvc-x")
                                .putParameters("image", "projects/" + PROJECT + "/global/images/nope")
                                .build())
                        .code());
        assertEquals(
                Code.NOT_FOUND,
                publish(volumeId(ZONE, "nope"), nodeId("node-1"), mountWriter(), false)
                        .code());
        assertEquals(
                Code.NOT_FOUND,
                publish("garbage", nodeId("node-1"), mountWriter(), false).code());
        assertEquals(
                Code.NOT_FOUND, publish(v, nodeId("nope"), mountWriter(), false).code());
        assertEquals(Code.NOT_FOUND, publish(v, "garbage", mountWriter(), false).code());
        assertEquals(Code.OK, delete("garbage").code(), "an id that names nothing of ours is deleted already");
        assertEquals(Code.OK, unpublish("garbage", nodeId("node-1")).code());
        // what cannot be done now
        assertEquals(
                Code.FAILED_PRECONDITION,
                publish(v, nodeId(OTHER_ZONE, "node-3"), mountWriter(), false).code(),
                "another zone");
        publish(v, nodeId("node-1"), mountWriter(), false).value();
        Answer<ControllerPublishVolumeResponse> elsewhere = publish(v, nodeId("node-2"), mountWriter(), false);
        assertEquals(Code.FAILED_PRECONDITION, elsewhere.code());
        assertTrue(elsewhere.status().getDescription().contains(nodeId("node-1")), "names where it is attached");
        assertEquals(
                Code.ALREADY_EXISTS,
                publish(v, nodeId("node-1"), mountWriter(), true).code(),
                "read-only where it is read-write");
        Answer<DeleteVolumeResponse> attached = delete(v);
        assertEquals(Code.FAILED_PRECONDITION, attached.code());
        assertTrue(
                attached.status().getDescription().contains("attached"),
                attached.status().getDescription());
        f.cloud.deprecateImage(PROJECT, IMAGE, "OBSOLETE");
        assertEquals(
                Code.FAILED_PRECONDITION, createVolume(create("pvc-y").build()).code(), "an obsolete image");
    }

    @Test
    void aDiskNotMadeByTheDriverIsNotDeleted() {
        f.cloud
                .createDiskAsync(
                        new dev.imagedisk.csi.cloud.DiskSpec(
                                new DiskRef(PROJECT, ZONE, "theirs"),
                                10,
                                "pd-balanced",
                                "projects/" + PROJECT + "/global/images/" + IMAGE,
                                Map.of(),
                                "",
                                null,
                                null,
                                null),
                        "k")
                .join();
        assertEquals(Code.FAILED_PRECONDITION, delete(volumeId(ZONE, "theirs")).code());
        assertTrue(f.cloud.getDisk(new DiskRef(PROJECT, ZONE, "theirs")).isPresent());
    }

    // ------------------------------------------------------------------------------------------ zone choice

    private String zoneOf(TopologyRequirement requirement, String name) {
        return createVolume(
                        create(name).setAccessibilityRequirements(requirement).build())
                .value()
                .getVolume()
                .getAccessibleTopology(0)
                .getSegmentsOrThrow(Keys.TOPOLOGY_ZONE);
    }

    @Test
    void noRequirementIsTheDefaultZone() {
        assertEquals(ZONE, zoneOf(TopologyRequirement.getDefaultInstance(), "pvc-z0"));
    }

    @Test
    void thePreferredZoneWins() {
        assertEquals(
                OTHER_ZONE,
                zoneOf(
                        TopologyRequirement.newBuilder()
                                .addRequisite(zone(ZONE))
                                .addRequisite(zone(OTHER_ZONE))
                                .addPreferred(zone(OTHER_ZONE))
                                .addPreferred(zone(ZONE))
                                .build(),
                        "pvc-z1"));
        assertEquals(
                volumeId(OTHER_ZONE, "pvc-z1"),
                get(volumeId(OTHER_ZONE, "pvc-z1")).value().getVolume().getVolumeId());
    }

    @Test
    void requisiteZonesAreSpreadByNameAndStablePerName() {
        TopologyRequirement both = TopologyRequirement.newBuilder()
                .addRequisite(zone(ZONE))
                .addRequisite(zone(OTHER_ZONE))
                .build();
        Set<String> chosen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            String z = zoneOf(both, "pvc-s" + i);
            assertEquals(z, zoneOf(both, "pvc-s" + i), "a retry picks the same zone");
            chosen.add(z);
        }
        assertEquals(Set.of(ZONE, OTHER_ZONE), chosen);
    }

    @Test
    void aRequisiteWithoutTheZoneKeyIsInvalid() {
        assertEquals(
                Code.INVALID_ARGUMENT,
                createVolume(create("pvc-z2")
                                .setAccessibilityRequirements(TopologyRequirement.newBuilder()
                                        .addRequisite(csi.v1.Topology.newBuilder()
                                                .putSegments("kubernetes.io/hostname", "n")))
                                .build())
                        .code());
    }

    // ------------------------------------------------------------------------------- expand, validate, list

    @Test
    void expandGrowsAndNeverShrinks() {
        String v = newVolume("pvc-x1");
        ControllerExpandVolumeResponse grown = f.call(
                        f.service::controllerExpandVolume,
                        ControllerExpandVolumeRequest.newBuilder()
                                .setVolumeId(v)
                                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(12 * GIB + 1))
                                .build())
                .value();
        assertEquals(13 * GIB, grown.getCapacityBytes());
        assertTrue(grown.getNodeExpansionRequired());
        ControllerExpandVolumeResponse same = f.call(
                        f.service::controllerExpandVolume,
                        ControllerExpandVolumeRequest.newBuilder()
                                .setVolumeId(v)
                                .setVolumeCapability(cap(Mode.SINGLE_NODE_WRITER, true))
                                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(11 * GIB))
                                .build())
                .value();
        assertEquals(13 * GIB, same.getCapacityBytes());
        assertFalse(same.getNodeExpansionRequired(), "a block volume needs no node step");
        assertEquals(1, f.cloud.requestCount("disks.resize"));
    }

    @ParameterizedTest
    @CsvSource({
        "SINGLE_NODE_WRITER, false, true",
        "SINGLE_NODE_MULTI_WRITER, true, true",
        "MULTI_NODE_READER_ONLY, false, true",
        "MULTI_NODE_SINGLE_WRITER, false, false",
        "MULTI_NODE_MULTI_WRITER, true, false"
    })
    void validateConfirmsWhatTheAccessPolicyAllows(Mode mode, boolean block, boolean confirmed) {
        String v = newVolume("pvc-v");
        ValidateVolumeCapabilitiesResponse r = f.call(
                        f.service::validateVolumeCapabilities,
                        ValidateVolumeCapabilitiesRequest.newBuilder()
                                .setVolumeId(v)
                                .addVolumeCapabilities(cap(mode, block))
                                .build())
                .value();
        assertEquals(confirmed, r.hasConfirmed(), r.toString());
        assertEquals(confirmed, r.getMessage().isEmpty(), r.getMessage());
    }

    @Test
    void validateReportsParametersThatDoNotMatch() {
        String v = newVolume("pvc-v2");
        ValidateVolumeCapabilitiesRequest.Builder request = ValidateVolumeCapabilitiesRequest.newBuilder()
                .setVolumeId(v)
                .addVolumeCapabilities(mountWriter())
                .putParameters("image", "projects/" + PROJECT + "/global/images/" + IMAGE);
        assertTrue(f.call(f.service::validateVolumeCapabilities, request.build())
                .value()
                .hasConfirmed());
        ValidateVolumeCapabilitiesResponse type = f.call(
                        f.service::validateVolumeCapabilities,
                        request.clone().putParameters("type", "pd-ssd").build())
                .value();
        assertTrue(type.getMessage().contains("pd-ssd"), type.getMessage());
        ValidateVolumeCapabilitiesResponse bad = f.call(
                        f.service::validateVolumeCapabilities,
                        request.clone().putParameters("colour", "red").build())
                .value();
        assertTrue(bad.getMessage().contains("colour"), bad.getMessage());
        ValidateVolumeCapabilitiesResponse missing = f.call(
                        f.service::validateVolumeCapabilities,
                        request.clone()
                                .putParameters("image", "projects/" + PROJECT + "/global/images/other")
                                .build())
                .value();
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        assertEquals(
                Code.NOT_FOUND,
                f.call(
                                f.service::validateVolumeCapabilities,
                                request.clone()
                                        .setVolumeId(volumeId(ZONE, "nope"))
                                        .build())
                        .code());
    }

    @Test
    void listVolumesPagesInIdOrder() {
        for (String n : new String[] {"pvc-l3", "pvc-l1", "pvc-l2"}) {
            newVolume(n);
        }
        ListVolumesResponse page = f.call(
                        f.service::listVolumes,
                        ListVolumesRequest.newBuilder().setMaxEntries(2).build())
                .value();
        assertEquals(2, page.getEntriesCount());
        assertEquals(volumeId(ZONE, "pvc-l1"), page.getEntries(0).getVolume().getVolumeId());
        ListVolumesResponse rest = f.call(
                        f.service::listVolumes,
                        ListVolumesRequest.newBuilder()
                                .setStartingToken(page.getNextToken())
                                .build())
                .value();
        assertEquals(1, rest.getEntriesCount());
        assertEquals(volumeId(ZONE, "pvc-l3"), rest.getEntries(0).getVolume().getVolumeId());
        assertEquals(
                Code.ABORTED,
                f.call(
                                f.service::listVolumes,
                                ListVolumesRequest.newBuilder()
                                        .setStartingToken("garbage")
                                        .build())
                        .code());
    }
}
