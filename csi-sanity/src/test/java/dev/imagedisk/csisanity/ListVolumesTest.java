package dev.imagedisk.csisanity;

import static dev.imagedisk.csisanity.Codes.assertCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.DeleteVolumeRequest;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import csi.v1.Volume;
import dev.imagedisk.csi.requests.CsiRequests;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** ListVolumes (LIST_VOLUMES): contents, pagination, tokens. */
class ListVolumesTest extends SanityTest {
    @BeforeEach
    void needsList() {
        assumeTrue(csi.has(Type.LIST_VOLUMES), "LIST_VOLUMES not advertised");
    }

    private ListVolumesResponse list(int max, String token) {
        return csi.controller()
                .listVolumes(ListVolumesRequest.newBuilder()
                        .setMaxEntries(max)
                        .setStartingToken(token)
                        .build());
    }

    private List<String> allIds() {
        return list(0, "").getEntriesList().stream()
                .map(e -> e.getVolume().getVolumeId())
                .toList();
    }

    /** Creates {@code n} volumes at once. */
    private List<Volume> createMany(String what, int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Volume>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(pool.submit(() -> res.create(what)));
            }
            List<Volume> out = new ArrayList<>();
            for (Future<Volume> f : fs) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("lists a new volume and no longer lists it once deleted (upstream); every entry has a volume_id")
    void presenceAndAbsence() {
        Volume v = res.create("listed");
        List<ListVolumesResponse.Entry> entries = list(0, "").getEntriesList();
        entries.forEach(e -> assertFalse(e.getVolume().getVolumeId().isEmpty(), "entry without volume_id"));
        ListVolumesResponse.Entry mine = entries.stream()
                .filter(e -> e.getVolume().getVolumeId().equals(v.getVolumeId()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("not listed: " + v));
        assertEquals(v.getCapacityBytes(), mine.getVolume().getCapacityBytes());
        if (csi.has(Type.VOLUME_CONDITION)) {
            assertTrue(mine.getStatus().hasVolumeCondition(), "VOLUME_CONDITION advertised, entry without condition");
            assertFalse(mine.getStatus().getVolumeCondition().getAbnormal());
        }
        csi.controller()
                .deleteVolume(DeleteVolumeRequest.newBuilder()
                        .setVolumeId(v.getVolumeId())
                        .build());
        assertFalse(allIds().contains(v.getVolumeId()), "a deleted volume is still listed");
    }

    @Test
    @DisplayName("pages of max_entries 2 via next_token list each of 5 new volumes exactly once")
    void pagination() throws Exception {
        List<Volume> mine = createMany("page", 5);
        Set<String> ids = new HashSet<>();
        mine.forEach(v -> ids.add(v.getVolumeId()));
        Map<String, Integer> seen = new HashMap<>();
        int total = allIds().size();
        String token = "";
        int pages = 0;
        int entries = 0;
        do {
            ListVolumesResponse page = list(2, token);
            assertTrue(page.getEntriesCount() <= 2, "a page of max_entries 2 has " + page.getEntriesCount());
            assertTrue(page.getEntriesCount() > 0 || page.getNextToken().isEmpty(), "an empty page with a next_token");
            for (ListVolumesResponse.Entry e : page.getEntriesList()) {
                seen.merge(e.getVolume().getVolumeId(), 1, Integer::sum);
                entries++;
            }
            token = page.getNextToken();
            assertTrue(++pages <= total + 1, "next_token never ends");
        } while (!token.isEmpty());
        for (String id : ids) {
            assertEquals(1, seen.getOrDefault(id, 0), "volume " + id + " seen " + seen.getOrDefault(id, 0) + " times");
        }
        assertEquals(total, entries, "the pages together do not hold what one unpaged ListVolumes does");
        assertTrue(pages >= 3, "5 volumes in pages of 2 take at least 3 pages, got " + pages);
    }

    @Test
    @DisplayName("tokens survive changes between pages: nothing twice, nothing deleted, every survivor once "
            + "(upstream's disabled pagination test, made strict)")
    void paginationAcrossChanges() throws Exception {
        List<Volume> mine = createMany("change", 4);
        Set<String> ids = new HashSet<>();
        mine.forEach(v -> ids.add(v.getVolumeId()));
        ListVolumesResponse first = list(2, "");
        assertEquals(2, first.getEntriesCount());
        assertFalse(first.getNextToken().isEmpty(), "more volumes exist, but no next_token");
        Set<String> deleted = new HashSet<>();
        for (ListVolumesResponse.Entry e : first.getEntriesList()) {
            String id = e.getVolume().getVolumeId();
            if (ids.contains(id)) {
                csi.controller()
                        .deleteVolume(
                                DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
                deleted.add(id);
            }
        }
        Volume added = res.create("added");
        Map<String, Integer> seen = new HashMap<>();
        first.getEntriesList().forEach(e -> seen.merge(e.getVolume().getVolumeId(), 1, Integer::sum));
        String token = first.getNextToken();
        int pages = 0;
        while (!token.isEmpty()) {
            ListVolumesResponse page = list(2, token);
            for (ListVolumesResponse.Entry e : page.getEntriesList()) {
                String id = e.getVolume().getVolumeId();
                assertFalse(deleted.contains(id), "a volume deleted before its page was listed: " + id);
                seen.merge(id, 1, Integer::sum);
            }
            token = page.getNextToken();
            assertTrue(++pages < 100, "next_token never ends");
        }
        for (String id : ids) {
            if (!deleted.contains(id)) {
                assertEquals(
                        1,
                        seen.getOrDefault(id, 0),
                        "surviving volume " + id + " seen " + seen.getOrDefault(id, 0) + " times");
            }
        }
        seen.forEach((id, n) -> assertEquals(1, n, "listed twice: " + id));
        assertTrue(seen.getOrDefault(added.getVolumeId(), 0) <= 1);
    }

    @Test
    @DisplayName("an invalid starting_token: ABORTED (upstream); negative max_entries: INVALID_ARGUMENT")
    void badRequests() {
        assertCode(
                Status.Code.ABORTED, () -> list(0, "invalid-token"), "ListVolumes with starting_token invalid-token");
        assertCode(Status.Code.INVALID_ARGUMENT, () -> list(-1, ""), "ListVolumes with max_entries -1");
    }

    @Test
    @DisplayName("max_entries 0 lists everything with no next_token; published nodes are listed "
            + "(LIST_VOLUMES_PUBLISHED_NODES)")
    void unpagedAndPublishedNodes() {
        Volume v = res.create("listpub");
        ListVolumesResponse all = list(0, "");
        assertTrue(all.getNextToken().isEmpty(), "max_entries 0 must return everything");
        if (csi.has(Type.LIST_VOLUMES_PUBLISHED_NODES) && csi.has(Type.PUBLISH_UNPUBLISH_VOLUME)) {
            res.controllerPublish(v, CsiRequests.RWO, false);
            ListVolumesResponse.Entry e = list(0, "").getEntriesList().stream()
                    .filter(x -> x.getVolume().getVolumeId().equals(v.getVolumeId()))
                    .findFirst()
                    .orElseThrow();
            assertEquals(List.of(csi.nodeId), e.getStatus().getPublishedNodeIdsList());
        }
    }
}
