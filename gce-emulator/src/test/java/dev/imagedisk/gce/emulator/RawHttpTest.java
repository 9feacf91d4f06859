package dev.imagedisk.gce.emulator;

import static dev.imagedisk.gce.emulator.TestSupport.P;
import static dev.imagedisk.gce.emulator.TestSupport.Z;
import static dev.imagedisk.gce.emulator.TestSupport.raw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.imagedisk.gce.emulator.TestSupport.Raw;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the client library hides: exact JSON shapes, headers and status codes. */
class RawHttpTest {
    GceEmulator emu;
    String api;

    @BeforeEach
    void start() throws Exception {
        emu = GceEmulator.builder()
                .storage(false)
                .waitTimeout(Duration.ofMillis(300))
                .start();
        api = emu.baseUrl() + "/compute/v1/projects/" + P;
        emu.registerImage(P, "img", "fam", 2);
        emu.addInstance(P, Z, "node-1", "n2-standard-8");
    }

    @AfterEach
    void stop() {
        emu.close();
    }

    @Test
    void errorBodyHasGooglesShape() throws Exception {
        Raw r = raw("GET", api + "/zones/" + Z + "/disks/missing", null);
        assertEquals(404, r.status());
        assertTrue(r.response().headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode err = r.json().get("error");
        assertEquals(404, err.get("code").intValue());
        String msg = "The resource 'projects/" + P + "/zones/" + Z + "/disks/missing' was not found";
        assertEquals(msg, err.get("message").asText());
        assertEquals(1, err.get("errors").size());
        JsonNode e0 = err.get("errors").get(0);
        assertEquals("notFound", e0.get("reason").asText());
        assertEquals("global", e0.get("domain").asText());
        assertEquals(msg, e0.get("message").asText());

        assertEquals(
                404, raw("GET", emu.baseUrl() + "/compute/v1/nothing", null).status());
        Raw parse = raw("POST", api + "/zones/" + Z + "/disks", "{not json");
        assertEquals(400, parse.status());
        assertEquals("parseError", parse.json().at("/error/errors/0/reason").asText());
        Raw noName = raw("POST", api + "/zones/" + Z + "/disks", "{\"sizeGb\":\"10\"}");
        assertEquals("required", noName.json().at("/error/errors/0/reason").asText());
    }

    @Test
    void int64FieldsAreJsonStringsAndNumbersAreAccepted() throws Exception {
        // sizeGb sent as a JSON number, sourceImage as a query parameter, unknown params tolerated
        Raw ins = raw(
                "POST",
                api + "/zones/" + Z + "/disks?sourceImage=projects/" + P
                        + "/global/images/img&requestId=r-1&fields=name&%24alt=json&prettyPrint=false",
                "{\"name\":\"d1\",\"sizeGb\":12,\"type\":\"pd-ssd\"}");
        assertEquals(200, ins.status(), ins.text());
        JsonNode op = ins.json();
        assertEquals("compute#operation", op.get("kind").asText());
        assertTrue(op.get("id").isTextual());
        assertTrue(op.get("targetId").isTextual());
        assertTrue(op.get("progress").isInt());
        assertEquals("DONE", op.get("status").asText());
        assertTrue(op.get("zone").asText().endsWith("/compute/v1/projects/" + P + "/zones/" + Z));
        assertTrue(op.get("selfLink").asText().startsWith(emu.baseUrl()));
        assertFalse(op.has("error"));
        assertFalse(op.has("httpErrorStatusCode"));

        JsonNode disk = raw("GET", api + "/zones/" + Z + "/disks/d1", null).json();
        assertEquals("compute#disk", disk.get("kind").asText());
        assertTrue(disk.get("id").isTextual());
        assertEquals("12", disk.get("sizeGb").textValue());
        assertTrue(disk.get("sourceImageId").isTextual());
        assertEquals(api + "/global/images/img", disk.get("sourceImage").asText());
        assertEquals(api + "/zones/" + Z + "/diskTypes/pd-ssd", disk.get("type").asText());
        assertEquals("READY", disk.get("status").asText());
        assertFalse(disk.has("users"));

        JsonNode img = raw("GET", api + "/global/images/img", null).json();
        assertEquals("compute#image", img.get("kind").asText());
        assertEquals("2", img.get("diskSizeGb").textValue());
        assertEquals(Long.toString(2L << 30), img.get("archiveSizeBytes").textValue());
        assertEquals(
                "fam",
                raw("GET", api + "/global/images/family/fam", null)
                        .json()
                        .get("family")
                        .asText());

        raw(
                "POST",
                api + "/zones/" + Z + "/instances/node-1/attachDisk",
                "{\"source\":\"zones/" + Z + "/disks/d1\",\"deviceName\":\"d1\"}");
        JsonNode inst =
                raw("GET", api + "/zones/" + Z + "/instances/node-1", null).json();
        assertEquals("compute#instance", inst.get("kind").asText());
        assertTrue(inst.get("id").isTextual());
        JsonNode ad = inst.get("disks").get(1);
        assertTrue(ad.get("index").isInt());
        assertEquals(1, ad.get("index").intValue());
        assertEquals("READ_WRITE", ad.get("mode").asText());
        assertEquals("12", ad.get("diskSizeGb").textValue());
        assertEquals(
                List.of(api + "/zones/" + Z + "/instances/node-1"),
                List.of(raw("GET", api + "/zones/" + Z + "/disks/d1", null)
                        .json()
                        .get("users")
                        .get(0)
                        .asText()));

        Raw resized = raw("POST", api + "/zones/" + Z + "/disks/d1/resize", "{\"sizeGb\":\"20\"}");
        assertEquals(200, resized.status(), resized.text());
        assertEquals(
                "20",
                raw("GET", api + "/zones/" + Z + "/disks/d1", null)
                        .json()
                        .get("sizeGb")
                        .textValue());
    }

    @Test
    void waitReturnsTheOperationAsItIsWhenTheWaitRunsOut() throws Exception {
        // an operation that cannot end during the test: the 300 ms wait runs out first, whatever the machine's speed
        emu.faults().setOperationDuration(Duration.ofHours(1));
        JsonNode pending = raw("POST", api + "/zones/" + Z + "/disks", "{\"name\":\"stuck\"}")
                .json();
        assertEquals("PENDING", pending.get("status").asText());
        Raw w = raw(
                "POST",
                api + "/zones/" + Z + "/operations/" + pending.get("name").asText() + "/wait",
                null);
        assertEquals(200, w.status());
        assertNotEquals("DONE", w.json().get("status").asText());
        // a wait longer than the operation is answered when it is DONE
        emu.setWaitTimeout(Duration.ofMinutes(10));
        emu.faults().setOperationDuration(Duration.ofSeconds(1));
        JsonNode op = raw("POST", api + "/zones/" + Z + "/disks", "{\"name\":\"slow\"}")
                .json();
        assertEquals("PENDING", op.get("status").asText());
        Raw done = raw(
                "POST", api + "/zones/" + Z + "/operations/" + op.get("name").asText() + "/wait", null);
        assertEquals("DONE", done.json().get("status").asText());
        assertEquals(
                "READY",
                raw("GET", api + "/zones/" + Z + "/disks/slow", null)
                        .json()
                        .get("status")
                        .asText());
        // a blank pd-standard disk without sizeGb gets Compute Engine's default of 500 GB
        assertEquals(
                "500",
                raw("GET", api + "/zones/" + Z + "/disks/slow", null)
                        .json()
                        .get("sizeGb")
                        .textValue());
        // operations can be deleted
        assertEquals(
                200,
                raw(
                                "DELETE",
                                api + "/zones/" + Z + "/operations/"
                                        + op.get("name").asText(),
                                null)
                        .status());
        assertEquals(
                404,
                raw("GET", api + "/zones/" + Z + "/operations/" + op.get("name").asText(), null)
                        .status());
    }

    @Test
    void failedOperationShapeWithAndWithoutHttpStatus() throws Exception {
        emu.faults().failNextOperations("insert", "ZONE_RESOURCE_POOL_EXHAUSTED", "no capacity", true, 1);
        JsonNode op = raw("POST", api + "/zones/" + Z + "/disks", "{\"name\":\"f\",\"sizeGb\":\"10\"}")
                .json();
        assertEquals("DONE", op.get("status").asText());
        assertEquals(
                "ZONE_RESOURCE_POOL_EXHAUSTED", op.at("/error/errors/0/code").asText());
        assertEquals("no capacity", op.at("/error/errors/0/message").asText());
        assertEquals(503, op.get("httpErrorStatusCode").intValue());
        assertEquals("SERVICE UNAVAILABLE", op.get("httpErrorMessage").asText());
        emu.faults().failNextOperations("*", "QUOTA_EXCEEDED", "quota", false, 1);
        op = raw("POST", api + "/zones/" + Z + "/disks", "{\"name\":\"f\",\"sizeGb\":\"10\"}")
                .json();
        assertEquals("QUOTA_EXCEEDED", op.at("/error/errors/0/code").asText());
        assertFalse(op.has("httpErrorStatusCode"));
        assertEquals(404, raw("GET", api + "/zones/" + Z + "/disks/f", null).status());
    }

    @Test
    void listFilterAndPageTokens() throws Exception {
        for (String n : List.of("a1", "a2", "b1")) {
            raw(
                    "POST",
                    api + "/zones/" + Z + "/disks",
                    "{\"name\":\"" + n + "\",\"sizeGb\":\"10\"," + "\"labels\":{\"group\":\"" + n.charAt(0) + "\"}}");
        }
        JsonNode l = raw("GET", api + "/zones/" + Z + "/disks?filter=labels.group%3D%22a%22", null)
                .json();
        assertEquals("compute#diskList", l.get("kind").asText());
        assertEquals(2, l.get("items").size());
        assertFalse(l.has("nextPageToken"));
        JsonNode p1 =
                raw("GET", api + "/zones/" + Z + "/disks?maxResults=2", null).json();
        assertEquals(2, p1.get("items").size());
        JsonNode p2 = raw(
                        "GET",
                        api + "/zones/" + Z + "/disks?maxResults=2&pageToken="
                                + p1.get("nextPageToken").asText(),
                        null)
                .json();
        assertEquals("b1", p2.get("items").get(0).get("name").asText());
        assertEquals("node-1", p2.get("items").get(1).get("name").asText()); // the boot disk
        assertFalse(p2.has("nextPageToken"));
        JsonNode none = raw("GET", api + "/zones/" + Z + "/disks?filter=name%3Dzzz", null)
                .json();
        assertFalse(none.has("items"));
        assertEquals(
                400,
                raw("GET", api + "/zones/" + Z + "/disks?maxResults=501", null).status());
        assertEquals(
                400,
                raw("GET", api + "/zones/" + Z + "/disks?filter=%28%28%28", null)
                        .status());
    }

    @Test
    void metadataServerRequiresTheFlavorHeader() throws Exception {
        String md = emu.baseUrl() + "/computeMetadata/v1/";
        Raw none = raw("GET", md + "instance/name", null);
        assertEquals(
                404,
                raw("GET", md + "instance/name", null, "Metadata-Flavor", "Google")
                        .status()); // no instance chosen yet
        assertEquals(403, none.status());
        assertEquals(
                "Google",
                none.response().headers().firstValue("Metadata-Flavor").orElse(null));
        emu.setMetadataInstance(P, Z, "node-1");
        assertEquals(403, raw("GET", md + "instance/name", null).status());
        assertEquals(
                403,
                raw("GET", md + "instance/name", null, "Metadata-Flavor", "google")
                        .status());
        Raw name = raw("GET", md + "instance/name", null, "Metadata-Flavor", "Google");
        assertEquals(200, name.status());
        assertEquals("node-1", name.text());
        assertEquals(
                "Google",
                name.response().headers().firstValue("Metadata-Flavor").orElse(null));
        long number = GceEmulator.projectNumber(P);
        assertEquals(
                P,
                raw("GET", md + "project/project-id", null, "Metadata-Flavor", "Google")
                        .text());
        assertEquals(
                Long.toString(number),
                raw("GET", md + "project/numeric-project-id", null, "Metadata-Flavor", "Google")
                        .text());
        assertEquals(
                "projects/" + number + "/zones/" + Z,
                raw("GET", md + "instance/zone", null, "Metadata-Flavor", "Google")
                        .text());
        assertEquals(
                "projects/" + number + "/machineTypes/n2-standard-8",
                raw("GET", md + "instance/machine-type", null, "Metadata-Flavor", "Google")
                        .text());
        String id = raw("GET", md + "instance/id", null, "Metadata-Flavor", "Google")
                .text();
        assertEquals(
                raw("GET", api + "/zones/" + Z + "/instances/node-1", null)
                        .json()
                        .get("id")
                        .asText(),
                id);
        assertEquals(
                404,
                raw("GET", md + "instance/nothing", null, "Metadata-Flavor", "Google")
                        .status());

        emu.addInstance(P, "europe-west1-b", "node-2", "e2-small");
        String md2 = emu.metadataEndpoint(P, "europe-west1-b", "node-2") + "/computeMetadata/v1/";
        assertEquals(
                "node-2",
                raw("GET", md2 + "instance/name", null, "Metadata-Flavor", "Google")
                        .text());
        assertEquals(
                "projects/" + number + "/zones/europe-west1-b",
                raw("GET", md2 + "instance/zone", null, "Metadata-Flavor", "Google")
                        .text());
        assertEquals(403, raw("GET", md2 + "instance/name", null).status());
        assertTrue(emu.requestCount("metadata") >= 10);
    }

    @Test
    void imageInsertAndGlobalOperationShapes() throws Exception {
        raw("POST", api + "/zones/" + Z + "/disks", "{\"name\":\"src\",\"sizeGb\":\"10\"}");
        raw(
                "POST",
                api + "/zones/" + Z + "/instances/node-1/attachDisk",
                "{\"source\":\"zones/" + Z + "/disks/src\",\"deviceName\":\"src\"}");
        String body = "{\"name\":\"cap\",\"sourceDisk\":\"projects/" + P + "/zones/" + Z
                + "/disks/src\",\"family\":\"fam\",\"labels\":{\"a\":\"b\"},"
                + "\"storageLocations\":[\"eu\"],\"description\":\"d\"}";
        Raw refused = raw("POST", api + "/global/images", body);
        assertEquals(400, refused.status());
        assertEquals(
                "resourceInUseByAnotherResource",
                refused.json().at("/error/errors/0/reason").asText());
        // forceCreate and requestId are query parameters; a repeated requestId replays
        Raw ins = raw("POST", api + "/global/images?forceCreate=true&requestId=r-img", body);
        assertEquals(200, ins.status(), ins.text());
        JsonNode op = ins.json();
        assertEquals("compute#operation", op.get("kind").asText());
        assertEquals("insert", op.get("operationType").asText());
        assertFalse(op.has("zone"));
        assertEquals(
                api + "/global/operations/" + op.get("name").asText(),
                op.get("selfLink").asText());
        assertEquals(api + "/global/images/cap", op.get("targetLink").asText());
        assertTrue(op.get("targetId").isTextual());
        assertEquals(
                op.get("name"),
                raw("POST", api + "/global/images?forceCreate=true" + "&requestId=r-img", body)
                        .json()
                        .get("name"));
        JsonNode waited = raw(
                        "POST", api + "/global/operations/" + op.get("name").asText() + "/wait", null)
                .json();
        assertEquals("DONE", waited.get("status").asText());
        assertEquals(
                waited,
                raw("GET", api + "/global/operations/" + op.get("name").asText(), null)
                        .json());

        JsonNode img = raw("GET", api + "/global/images/cap", null).json();
        assertEquals("READY", img.get("status").asText());
        assertEquals("10", img.get("diskSizeGb").textValue());
        assertTrue(img.get("archiveSizeBytes").isTextual());
        assertTrue(img.get("id").isTextual());
        assertTrue(img.get("sourceDiskId").isTextual());
        assertEquals(api + "/zones/" + Z + "/disks/src", img.get("sourceDisk").asText());
        assertEquals("b", img.at("/labels/a").asText());
        assertTrue(img.get("labelFingerprint").isTextual());
        assertEquals("eu", img.at("/storageLocations/0").asText());
        assertEquals("d", img.get("description").asText());
        assertEquals("RAW", img.get("sourceType").asText());
        assertEquals(
                "cap",
                raw("GET", api + "/global/images/family/fam", null)
                        .json()
                        .get("name")
                        .asText());
        JsonNode list =
                raw("GET", api + "/global/images?filter=labels.a%3Db", null).json();
        assertEquals("compute#imageList", list.get("kind").asText());
        assertEquals(1, list.get("items").size());

        Raw del = raw("DELETE", api + "/global/images/cap", null);
        assertEquals(200, del.status());
        assertEquals("delete", del.json().get("operationType").asText());
        assertEquals(404, raw("GET", api + "/global/images/cap", null).status());
        assertEquals(
                404, raw("GET", api + "/global/operations/operation-none", null).status());
    }
}
