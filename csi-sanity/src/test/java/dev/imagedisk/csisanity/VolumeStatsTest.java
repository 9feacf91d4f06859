package dev.imagedisk.csisanity;

import static dev.imagedisk.csisanity.Codes.assertCode;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeGetVolumeStatsResponse;
import csi.v1.NodeServiceCapability;
import csi.v1.VolumeUsage;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** NodeGetVolumeStats (GET_VOLUME_STATS) and the node's VOLUME_CONDITION, on mounted volumes. */
class VolumeStatsTest extends SanityTest {
    @BeforeEach
    void needsStats() {
        assumeTrue(csi.has(NodeServiceCapability.RPC.Type.GET_VOLUME_STATS), "GET_VOLUME_STATS not advertised");
    }

    private NodeGetVolumeStatsResponse stats(String volumeId, String path) {
        return csi.node()
                .nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                        .setVolumeId(volumeId)
                        .setVolumePath(path)
                        .build());
    }

    private static Optional<VolumeUsage> usage(NodeGetVolumeStatsResponse r, VolumeUsage.Unit unit) {
        return r.getUsageList().stream().filter(u -> u.getUnit() == unit).findFirst();
    }

    @Test
    @DisplayName("bytes and inodes of a published volume, at its target and at its staging path; a normal condition")
    void usage() {
        Resources.Mounted m = res.mountNew("stats");
        for (Path p : new Path[] {m.target(), m.staging()}) {
            NodeGetVolumeStatsResponse r = stats(m.id(), p.toString());
            VolumeUsage bytes = usage(r, VolumeUsage.Unit.BYTES)
                    .orElseThrow(() -> new AssertionError("no BYTES " + "usage at " + p + ": " + Codes.oneLine(r)));
            assertTrue(
                    bytes.getTotal() > Csi.SIZE * 85 / 100
                            && bytes.getTotal() <= m.volume().getCapacityBytes(),
                    "BYTES total " + bytes.getTotal() + " is not about the 10 GiB of the disk");
            assertTrue(
                    bytes.getUsed() > 0
                            && bytes.getAvailable() > 0
                            && bytes.getUsed() + bytes.getAvailable() <= bytes.getTotal(),
                    "BYTES " + Codes.oneLine(bytes));
            VolumeUsage inodes = usage(r, VolumeUsage.Unit.INODES)
                    .orElseThrow(() -> new AssertionError("no INODES usage: " + Codes.oneLine(r)));
            assertTrue(inodes.getTotal() > 0 && inodes.getUsed() > 0, "INODES " + Codes.oneLine(inodes));
            if (csi.has(NodeServiceCapability.RPC.Type.VOLUME_CONDITION)) {
                assertTrue(r.hasVolumeCondition(), "VOLUME_CONDITION advertised, no volume_condition");
                assertFalse(
                        r.getVolumeCondition().getAbnormal(),
                        "a healthy volume is abnormal: "
                                + r.getVolumeCondition().getMessage());
            }
        }
    }

    @Test
    @DisplayName("a volume asked for at a path where it is not: NOT_FOUND (upstream: should fail when volume does "
            + "not exist on the specified path, and the same with absolute paths)")
    void wrongPath() {
        Resources.Mounted a = res.mountNew("stats-a");
        Resources.Mounted b = res.mountNew("stats-b");
        assertCode(
                Status.Code.NOT_FOUND,
                () -> stats(a.id(), b.target().toString()),
                "NodeGetVolumeStats of volume a at the target of volume b");
        assertCode(
                Status.Code.NOT_FOUND,
                () -> stats(a.id(), res.newTargetPath().toString()),
                "NodeGetVolumeStats of volume a at a path that does not exist");
        assertCode(
                Status.Code.NOT_FOUND,
                () -> stats(a.id(), "some/path"),
                "NodeGetVolumeStats of a published volume at \"some/path\" (upstream)");
    }

    @Test
    @DisplayName("a directory where nothing is mounted: NOT_FOUND, or OK with an abnormal condition")
    void unmountedDirectory() {
        Resources.Mounted m = res.mountNew("stats-gone");
        Path empty = res.newDir("empty");
        Status.Code code = Codes.codeOf(() -> stats(m.id(), empty.toString()));
        if (code == Status.Code.OK) {
            NodeGetVolumeStatsResponse r = stats(m.id(), empty.toString());
            assertTrue(
                    csi.has(NodeServiceCapability.RPC.Type.VOLUME_CONDITION)
                            && r.getVolumeCondition().getAbnormal(),
                    "stats of an empty directory reported as a healthy volume: " + Codes.oneLine(r));
        } else {
            assertTrue(code == Status.Code.NOT_FOUND, "expected NOT_FOUND (or OK and abnormal), got " + code);
        }
    }
}
