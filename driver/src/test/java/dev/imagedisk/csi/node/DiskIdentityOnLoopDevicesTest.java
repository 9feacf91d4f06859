package dev.imagedisk.csi.node;

import static dev.imagedisk.csi.node.NodePlugin.mount;
import static dev.imagedisk.csi.node.NodePlugin.stage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.NodeUnstageVolumeRequest;
import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.DeviceNodes;
import dev.imagedisk.csi.mount.MountInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The right disk or none, on real loop devices through the node plugin's socket: each loop reports its disk's
 * device name (its backing file's name, as the emulator binds it), a stale link to another disk is refused and
 * leaves that disk's bytes as they were, and a disk with no link is found by the name it reports.
 */
@Tag("integration")
class DiskIdentityOnLoopDevicesTest {
    static final String V = "projects/p/zones/us-central1-a/disks/";
    private static final long MIB = 1024 * 1024;

    @RegisterExtension
    final DeviceLab lab = DeviceLab.perTest();

    NodePlugin plugin;

    @BeforeEach
    void start() throws Exception {
        plugin = new NodePlugin(lab, "--device-wait", "2s");
    }

    @AfterEach
    void stop() {
        if (plugin != null) {
            plugin.close();
        }
    }

    @Test
    void aStaleLinkToAnotherLoopDeviceIsRefusedAndThatDeviceIsUntouched() throws Exception {
        Path mine = lab.attach(lab.sparse("mine", 64 * MIB), "disk-mine");
        Path other = lab.attach(lab.sparse("other", 64 * MIB), "disk-other");
        // the other disk is blank, exactly what a stage would format: the worst case
        lab.link("disk-mine", other); // a stale link: disk-mine's name now leads to disk-other's device
        String otherBefore = DeviceLab.sha256(other);
        String mineBefore = DeviceLab.sha256(mine);
        Path staging = lab.staging("pv-mine");

        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> plugin.node().nodeStageVolume(stage(V + "disk-mine", "disk-mine", staging, mount())));

        assertEquals(
                Status.Code.FAILED_PRECONDITION,
                e.getStatus().getCode(),
                e.getStatus().getDescription());
        String message = e.getStatus().getDescription();
        assertTrue(message.contains("google-disk-mine"), message);
        assertTrue(message.contains(other.toString()) && message.contains("disk-other"), message);
        assertTrue(message.contains(mine.toString()), "names where disk-mine really is: " + message);
        DeviceLab.assertUnchanged(otherBefore, other);
        DeviceLab.assertUnchanged(mineBefore, mine);
        assertFalse(DeviceLab.isMountPoint(staging));
        assertTrue(DeviceLab.run("blkid", "-p", other.toString()).code() != 0, "disk-other is still blank");
    }

    @Test
    void aDiskWithoutALinkIsFoundByTheNameItReports() throws Exception {
        Path device = lab.attachUnlinked(lab.sparse("nolink", 64 * MIB), "disk-nolink");
        assertFalse(Files.exists(lab.deviceDir.resolve("google-disk-nolink")));
        Path staging = lab.staging("pv-nolink");

        plugin.node().nodeStageVolume(stage(V + "disk-nolink", "disk-nolink", staging, mount()));

        MountInfo m = DeviceLab.mountAt(staging);
        BlockDevice expected = DeviceNodes.blockDevice(device).orElseThrow();
        assertTrue(m != null && expected.sameDevice(m.major(), m.minor()), "staged from " + (m == null ? "-" : m));
        plugin.node()
                .nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(V + "disk-nolink")
                        .setStagingTargetPath(staging.toString())
                        .build());
        assertFalse(DeviceLab.isMountPoint(staging));
    }

    @Test
    void aDiskNobodyReportsIsNotFoundAndSaysWhereItLooked() throws Exception {
        lab.attach(lab.sparse("present", 64 * MIB), "disk-present");
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> plugin.node()
                        .nodeStageVolume(stage(V + "disk-absent", "disk-absent", lab.staging("pv-absent"), mount())));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        assertTrue(
                e.getStatus().getDescription().contains("no disk reports device name disk-absent"),
                e.getStatus().getDescription());
    }
}
