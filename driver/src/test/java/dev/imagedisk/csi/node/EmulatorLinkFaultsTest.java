package dev.imagedisk.csi.node;

import static dev.imagedisk.csi.node.NodePlugin.mount;
import static dev.imagedisk.csi.node.NodePlugin.stage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.compute.v1.AttachDiskInstanceRequest;
import com.google.cloud.compute.v1.AttachedDisk;
import com.google.cloud.compute.v1.Disk;
import com.google.cloud.compute.v1.InsertDiskRequest;
import com.google.cloud.compute.v1.Operation;
import dev.imagedisk.csi.cloud.gce.ComputeClients;
import dev.imagedisk.csi.device.BlockDevice;
import dev.imagedisk.csi.device.DeviceNodes;
import dev.imagedisk.csi.mount.MountInfo;
import dev.imagedisk.gce.emulator.Faults;
import dev.imagedisk.gce.emulator.GceEmulator;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The emulator's device-link faults against the node plugin: disks attached through the real client, their
 * {@code google-<deviceName>} link left out, made late, or pointed at another disk's loop device.
 */
@Tag("integration")
class EmulatorLinkFaultsTest {
    static final String P = "p";
    static final String Z = "us-central1-a";
    static final String V = "projects/p/zones/us-central1-a/disks/";

    @RegisterExtension
    final DeviceLab lab = DeviceLab.perTest();

    GceEmulator emu;
    ComputeClients clients;
    NodePlugin plugin;

    @BeforeEach
    void start() throws Exception {
        emu = GceEmulator.builder()
                .storage(true)
                .dataDir(lab.root.resolve("emulator"))
                .deviceDir(lab.deviceDir)
                .start();
        emu.addInstance(P, Z, "node-1", "e2-standard-4");
        clients = ComputeClients.create(emu.baseUrl(), "test", Duration.ofSeconds(20), Duration.ofSeconds(20));
    }

    /** A node plugin on the emulator's links; with {@code scan} it may find linkless disks among its loops. */
    void node(boolean scan) throws Exception {
        Path loops = scan ? emu.attachmentDir().orElseThrow() : lab.root.resolve("no-loop-disks");
        plugin = new NodePlugin(lab, "--device-wait", "10s", "--loop-disk-dir", loops.toString());
    }

    @AfterEach
    void stop() {
        if (plugin != null) {
            plugin.close();
        }
        if (clients != null) {
            clients.close();
        }
        if (emu != null) {
            emu.close(); // before the lab's cleanup: detaches its loop devices and removes its links
        }
    }

    void attachNewDisk(String name) throws Exception {
        waitDone(clients.disks()
                .insertCallable()
                .call(InsertDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDiskResource(
                                Disk.newBuilder().setName(name).setSizeGb(1).setType("pd-balanced"))
                        .build()));
        waitDone(clients.instances()
                .attachDiskCallable()
                .call(AttachDiskInstanceRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setInstance("node-1")
                        .setAttachedDiskResource(AttachedDisk.newBuilder()
                                .setSource("zones/" + Z + "/disks/" + name)
                                .setDeviceName(name)
                                .setMode("READ_WRITE"))
                        .build()));
    }

    private void waitDone(Operation op) {
        Operation done = clients.zoneOperations()
                .waitCallable()
                .call(com.google.cloud.compute.v1.WaitZoneOperationRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setOperation(op.getName())
                        .build());
        assertEquals(Operation.Status.DONE, done.getStatus());
        assertFalse(done.hasError(), done.toString());
    }

    Path loopOf(String device) {
        return Path.of(emu.loopDevice(P, Z, "node-1", device).orElseThrow());
    }

    void assertStagedFrom(Path staging, Path loop) throws Exception {
        MountInfo m = DeviceLab.mountAt(staging);
        BlockDevice expected = DeviceNodes.blockDevice(loop).orElseThrow();
        assertTrue(m != null && expected.sameDevice(m.major(), m.minor()), "staged from " + m);
    }

    @Test
    void noLinkTheDiskIsFoundByTheNameItsLoopDeviceReports() throws Exception {
        node(true);
        emu.faults().failNextDeviceLinks(Faults.LinkFault.MISSING, 1);
        attachNewDisk("d-nolink");
        assertFalse(Files.exists(lab.deviceDir.resolve("google-d-nolink")));
        Path staging = lab.staging("pv-nolink");
        plugin.node().nodeStageVolume(stage(V + "d-nolink", "d-nolink", staging, mount()));
        assertStagedFrom(staging, loopOf("d-nolink"));
    }

    @Test
    void aLateLinkIsWaitedFor() throws Exception {
        node(false); // no scan: only the link can show the disk
        emu.faults().setLateLinkDelay(Duration.ofMillis(700)).failNextDeviceLinks(Faults.LinkFault.LATE, 1);
        attachNewDisk("d-late");
        Path staging = lab.staging("pv-late");
        plugin.node().nodeStageVolume(stage(V + "d-late", "d-late", staging, mount()));
        assertTrue(Files.isSymbolicLink(lab.deviceDir.resolve("google-d-late")));
        assertStagedFrom(staging, loopOf("d-late"));
    }

    @Test
    void aLinkToAnotherDiskIsRefusedAndThatDiskIsUntouched() throws Exception {
        node(true);
        attachNewDisk("d-other");
        emu.faults().failNextDeviceLinks(Faults.LinkFault.WRONG, 1);
        attachNewDisk("d-mine");
        Path other = loopOf("d-other");
        assertEquals(other, lab.deviceDir.resolve("google-d-mine").toRealPath());
        String before = DeviceLab.sha256(other);
        Path staging = lab.staging("pv-mine");

        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> plugin.node().nodeStageVolume(stage(V + "d-mine", "d-mine", staging, mount())));

        assertEquals(
                Status.Code.FAILED_PRECONDITION,
                e.getStatus().getCode(),
                e.getStatus().getDescription());
        assertTrue(
                e.getStatus().getDescription().contains("d-other"),
                e.getStatus().getDescription());
        assertTrue(
                e.getStatus().getDescription().contains(loopOf("d-mine").toString()),
                e.getStatus().getDescription());
        DeviceLab.assertUnchanged(before, other);
        assertFalse(DeviceLab.isMountPoint(staging));
    }
}
