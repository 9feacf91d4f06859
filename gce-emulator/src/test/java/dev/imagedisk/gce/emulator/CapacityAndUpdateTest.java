package dev.imagedisk.gce.emulator;

import static dev.imagedisk.gce.emulator.TestSupport.P;
import static dev.imagedisk.gce.emulator.TestSupport.Z;
import static dev.imagedisk.gce.emulator.TestSupport.errorBody;
import static dev.imagedisk.gce.emulator.TestSupport.reason;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.NotFoundException;
import com.google.cloud.compute.v1.AttachDiskInstanceRequest;
import com.google.cloud.compute.v1.AttachedDisk;
import com.google.cloud.compute.v1.Disk;
import com.google.cloud.compute.v1.ErrorDetails;
import com.google.cloud.compute.v1.Errors;
import com.google.cloud.compute.v1.InsertDiskRequest;
import com.google.cloud.compute.v1.Operation;
import com.google.cloud.compute.v1.UpdateDiskRequest;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The stockout, quota and not-ready answers as the real google-cloud-compute client reads them (in the operation and
 * as the call's error), and {@code disks.update} of provisioned IOPS/throughput with Compute Engine's checks.
 */
class CapacityAndUpdateTest extends ClientTestBase {
    private static final String REGION = Z.substring(0, Z.lastIndexOf('-'));

    @BeforeEach
    void start() {
        emu.addInstance(P, Z, "node-1", "e2-standard-4");
    }

    private Operation insert(String name, String type, long sizeGb) {
        return c.disks
                .insertCallable()
                .call(InsertDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDiskResource(Disk.newBuilder()
                                .setName(name)
                                .setSizeGb(sizeGb)
                                .setType("zones/" + Z + "/diskTypes/" + type))
                        .build());
    }

    private Operation waitOp(Operation op) {
        return c.zoneOperations.wait(P, Z, op.getName());
    }

    private Operation attach(String disk) {
        return c.instances
                .attachDiskCallable()
                .call(AttachDiskInstanceRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setInstance("node-1")
                        .setAttachedDiskResource(AttachedDisk.newBuilder()
                                .setSource("projects/" + P + "/zones/" + Z + "/disks/" + disk)
                                .setDeviceName(disk))
                        .build());
    }

    private Operation update(String disk, Disk values, String updateMask, String paths) {
        UpdateDiskRequest.Builder b = UpdateDiskRequest.newBuilder()
                .setProject(P)
                .setZone(Z)
                .setDisk(disk)
                .setDiskResource(values);
        if (updateMask != null) {
            b.setUpdateMask(updateMask);
        }
        if (paths != null) {
            b.setPaths(paths);
        }
        return c.disks.updateCallable().call(b.build());
    }

    @Test
    void stockoutInTheOperationNamesTheZoneAndCarries503() throws Exception {
        emu.faults()
                .failNext("disks.insert", ComputeFailure.ZONE_RESOURCE_POOL_EXHAUSTED, Faults.Delivery.OPERATION, 1);
        Operation op = waitOp(insert("s1", "pd-balanced", 10));
        Errors e = op.getError().getErrors(0);
        assertEquals("ZONE_RESOURCE_POOL_EXHAUSTED", e.getCode());
        assertTrue(e.getMessage().contains("'projects/" + P + "/zones/" + Z + "'"), e.getMessage());
        assertEquals(503, op.getHttpErrorStatusCode());
        assertEquals("SERVICE UNAVAILABLE", op.getHttpErrorMessage());
        assertThrows(NotFoundException.class, () -> c.disks.get(P, Z, "s1"));

        // the client's future fails on the 503 too
        emu.faults().failNext("insert", ComputeFailure.ZONE_RESOURCE_POOL_EXHAUSTED, Faults.Delivery.OPERATION, 1);
        ExecutionException ee = assertThrows(
                ExecutionException.class,
                () -> c.disks
                        .insertAsync(
                                P,
                                Z,
                                Disk.newBuilder().setName("s2").setSizeGb(10).build())
                        .get());
        assertEquals(
                503,
                assertInstanceOf(ApiException.class, ee.getCause())
                        .getStatusCode()
                        .getCode()
                        .getHttpStatusCode());
        // once only
        assertFalse(waitOp(insert("s3", "pd-balanced", 10)).hasError());
    }

    @Test
    void stockoutWithDetailsCarriesErrorInfoAndHelp() {
        emu.faults()
                .failNext(
                        "disks.insert",
                        ComputeFailure.ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS,
                        Faults.Delivery.OPERATION,
                        1);
        Errors e = waitOp(insert("d1", "hyperdisk-balanced", 10)).getError().getErrors(0);
        assertEquals("ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS", e.getCode());
        assertTrue(e.getMessage().contains("zones/" + Z), e.getMessage());
        ErrorDetails info = e.getErrorDetailsList().stream()
                .filter(ErrorDetails::hasErrorInfo)
                .findFirst()
                .orElseThrow();
        assertEquals("compute.googleapis.com", info.getErrorInfo().getDomain());
        assertEquals(Z, info.getErrorInfo().getMetadatasMap().get("zone"));
        assertTrue(e.getErrorDetailsList().stream()
                .anyMatch(d -> d.hasHelp() && d.getHelp().getLinks(0).getUrl().contains("resource-error")));
    }

    @Test
    void zonalAndRegionalQuotaDifferInTheirDimension() {
        emu.faults().failNext("disks.insert", ComputeFailure.ZONAL_QUOTA_EXCEEDED, Faults.Delivery.OPERATION, 1);
        Operation zonal = waitOp(insert("q1", "pd-ssd", 10));
        Errors z = zonal.getError().getErrors(0);
        assertEquals("QUOTA_EXCEEDED", z.getCode());
        assertEquals(403, zonal.getHttpErrorStatusCode());
        assertTrue(z.getMessage().endsWith("in zone " + Z + "."), z.getMessage());
        var zq = z.getErrorDetails(0).getQuotaInfo();
        assertEquals(Z, zq.getDimensionsMap().get("zone"));
        assertFalse(zq.getDimensionsMap().containsKey("region"));
        assertEquals("SSD-TOTAL-GB-per-project-zone", zq.getLimitName());

        emu.faults().failNext("disks.insert", ComputeFailure.REGIONAL_QUOTA_EXCEEDED, Faults.Delivery.OPERATION, 1);
        Errors r = waitOp(insert("q2", "pd-ssd", 10)).getError().getErrors(0);
        assertTrue(r.getMessage().endsWith("in region " + REGION + "."), r.getMessage());
        assertEquals(
                REGION, r.getErrorDetails(0).getQuotaInfo().getDimensionsMap().get("region"));
        assertEquals(
                "compute.googleapis.com/ssd_total_storage",
                r.getErrorDetails(0).getQuotaInfo().getMetricName());
    }

    @Test
    void eachFailureAlsoAnswersAsTheCallsError() throws Exception {
        record Case(ComputeFailure failure, int status, String reason, String says) {}
        for (Case k : new Case[] {
            new Case(ComputeFailure.ZONE_RESOURCE_POOL_EXHAUSTED, 503, "ZONE_RESOURCE_POOL_EXHAUSTED", "zones/" + Z),
            new Case(
                    ComputeFailure.ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS,
                    503,
                    "ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS",
                    "zones/" + Z),
            new Case(ComputeFailure.ZONAL_QUOTA_EXCEEDED, 403, "quotaExceeded", "in zone " + Z),
            new Case(ComputeFailure.REGIONAL_QUOTA_EXCEEDED, 403, "quotaExceeded", "in region " + REGION)
        }) {
            emu.faults().failNext("disks.insert", k.failure(), Faults.Delivery.CALL, 1);
            ApiException e = assertThrows(ApiException.class, () -> insert("c1", "pd-balanced", 10), k.toString());
            assertEquals(k.status(), e.getStatusCode().getCode().getHttpStatusCode(), k.toString());
            assertEquals(k.reason(), reason(e), k.toString());
            JsonNode body = errorBody(e);
            assertTrue(body.at("/error/message").asText().contains(k.says()), body.toString());
            assertThrows(NotFoundException.class, () -> c.disks.get(P, Z, "c1"));
        }
        assertEquals("usageLimits", domainOfNextQuotaError());
    }

    private String domainOfNextQuotaError() throws Exception {
        emu.faults().failNext("disks.insert", ComputeFailure.ZONAL_QUOTA_EXCEEDED, Faults.Delivery.CALL, 1);
        ApiException e = assertThrows(ApiException.class, () -> insert("c2", "pd-balanced", 10));
        return errorBody(e).at("/error/errors/0/domain").asText();
    }

    @Test
    void resourceNotReadyOnAttachNamesTheDiskInBothShapes() throws Exception {
        waitOp(insert("nr", "pd-balanced", 10));
        emu.faults().failNext("instances.attachDisk", ComputeFailure.RESOURCE_NOT_READY, Faults.Delivery.CALL, 1);
        ApiException call = assertThrows(ApiException.class, () -> attach("nr"));
        assertEquals(400, call.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("resourceNotReady", reason(call));
        assertEquals(
                "The resource 'projects/" + P + "/zones/" + Z + "/disks/nr' is not ready",
                errorBody(call).at("/error/message").asText());

        emu.faults().failNext("attachDisk", ComputeFailure.RESOURCE_NOT_READY, Faults.Delivery.OPERATION, 1);
        Operation op = waitOp(attach("nr"));
        assertEquals("RESOURCE_NOT_READY", op.getError().getErrors(0).getCode());
        assertEquals(
                "The resource 'projects/" + P + "/zones/" + Z + "/disks/nr' is not ready",
                op.getError().getErrors(0).getMessage());
        assertEquals(400, op.getHttpErrorStatusCode());
        assertEquals(1, c.instances.get(P, Z, "node-1").getDisksCount(), "only the boot disk");
        // the next attach goes through, its device name free again
        assertFalse(waitOp(attach("nr")).hasError());
        assertEquals(2, c.instances.get(P, Z, "node-1").getDisksCount());
    }

    @Test
    void updateChangesProvisionedIopsAndThroughputOfHyperdisk() {
        waitOp(insert("hd", "hyperdisk-balanced", 100));
        Operation op = waitOp(update(
                "hd",
                Disk.newBuilder()
                        .setProvisionedIops(6000)
                        .setProvisionedThroughput(400)
                        .build(),
                "provisionedIops,provisionedThroughput",
                null));
        assertFalse(op.hasError());
        assertEquals("update", op.getOperationType());
        Disk d = c.disks.get(P, Z, "hd");
        assertEquals(6000, d.getProvisionedIops());
        assertEquals(400, d.getProvisionedThroughput());

        // paths names one field: the other stays
        waitOp(update(
                "hd",
                Disk.newBuilder()
                        .setProvisionedIops(9000)
                        .setProvisionedThroughput(999)
                        .build(),
                null,
                "provisionedIops"));
        d = c.disks.get(P, Z, "hd");
        assertEquals(9000, d.getProvisionedIops());
        assertEquals(400, d.getProvisionedThroughput());
        assertEquals(2, emu.requestCount("disks.update"));
    }

    @Test
    void updateRefusesWhatComputeEngineRefuses() throws Exception {
        waitOp(insert("hd", "hyperdisk-balanced", 10));
        waitOp(insert("pd", "pd-balanced", 10));
        waitOp(insert("ht", "hyperdisk-throughput", 2048));

        // below the minimum, above 500 IOPS per GiB
        ApiException low = assertThrows(
                ApiException.class,
                () -> update("hd", Disk.newBuilder().setProvisionedIops(100).build(), "provisionedIops", null));
        assertEquals(400, low.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("invalid", reason(low));
        assertTrue(errorBody(low).at("/error/message").asText().contains("resource.provisionedIops"));
        ApiException high = assertThrows(
                ApiException.class,
                () -> update("hd", Disk.newBuilder().setProvisionedIops(5001).build(), "provisionedIops", null));
        assertTrue(errorBody(high).at("/error/message").asText().contains("between 3000 and 5000"));
        // throughput above a quarter of the IOPS
        ApiException tput = assertThrows(
                ApiException.class,
                () -> update(
                        "hd",
                        Disk.newBuilder()
                                .setProvisionedIops(4000)
                                .setProvisionedThroughput(1001)
                                .build(),
                        "provisionedIops,provisionedThroughput",
                        null));
        assertTrue(errorBody(tput).at("/error/message").asText().contains("resource.provisionedThroughput"));
        // Persistent Disk: no provisioned performance
        ApiException pd = assertThrows(
                ApiException.class,
                () -> update("pd", Disk.newBuilder().setProvisionedIops(3000).build(), "provisionedIops", null));
        assertTrue(errorBody(pd).at("/error/message").asText().contains("not supported for disk type pd-balanced"));
        // hyperdisk-throughput has no IOPS to set, but throughput (10..90 MiB/s per TiB, at least 20)
        assertThrows(
                ApiException.class,
                () -> update("ht", Disk.newBuilder().setProvisionedIops(3000).build(), "provisionedIops", null));
        assertFalse(waitOp(update(
                        "ht", Disk.newBuilder().setProvisionedThroughput(100).build(), "provisionedThroughput", null))
                .hasError());
        // a field it cannot change; no mask at all; a disk that does not exist
        ApiException field = assertThrows(
                ApiException.class,
                () -> update("hd", Disk.newBuilder().setSizeGb(20).build(), "sizeGb", null));
        assertEquals("invalid", reason(field));
        ApiException noMask = assertThrows(
                ApiException.class,
                () -> update("hd", Disk.newBuilder().setProvisionedIops(4000).build(), null, null));
        assertEquals("required", reason(noMask));
        assertThrows(
                NotFoundException.class,
                () -> update("nope", Disk.newBuilder().setProvisionedIops(4000).build(), "provisionedIops", null));
        assertEquals(false, c.disks.get(P, Z, "hd").hasProvisionedIops());
    }

    @Test
    void repeatedPathsParametersAreAllRead() throws Exception {
        waitOp(insert("hd", "hyperdisk-balanced", 100));
        TestSupport.Raw r = TestSupport.raw(
                "PATCH",
                emu.baseUrl() + "/compute/v1/projects/" + P + "/zones/" + Z
                        + "/disks/hd?paths=provisionedIops&paths=provisionedThroughput",
                "{\"provisionedIops\":\"7000\",\"provisionedThroughput\":\"500\"}");
        assertEquals(200, r.status(), r.text());
        c.zoneOperations.wait(P, Z, r.json().get("name").asText());
        Disk d = c.disks.get(P, Z, "hd");
        assertEquals(7000, d.getProvisionedIops());
        assertEquals(500, d.getProvisionedThroughput());
    }
}
