package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.controller.ControllerFixture.NODE_1;
import static dev.imagedisk.csi.controller.ControllerFixture.create;
import static dev.imagedisk.csi.controller.ControllerFixture.mountWriter;
import static dev.imagedisk.csi.controller.ControllerFixture.nodeId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import csi.v1.ControllerGrpc;
import csi.v1.ControllerPublishVolumeRequest;
import csi.v1.CreateVolumeResponse;
import csi.v1.ListVolumesRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Calls in parallel, with operations that take long enough (400 ms) to overlap: one volume admits one call
 * at a time (the second is ABORTED), different volumes proceed together, and a plugin that stops between an
 * insert and its reply is followed by one that returns the same volume without a second disk.
 */
@Tag("integration")
class ConcurrencyTest {
    @RegisterExtension
    static final ControllerFixture f = ControllerFixture.perClass(Duration.ofMillis(400));

    private static ControllerGrpc.ControllerFutureStub async() {
        return ControllerGrpc.newFutureStub(f.client.channel());
    }

    /** Waits until the emulator has seen {@code atLeast} requests of {@code method} (30 s against a hang). */
    private static void awaitCount(String method, long atLeast) {
        assertTimeoutPreemptively(
                Duration.ofSeconds(30),
                () -> {
                    while (f.emulator.requestCount(method) < atLeast) {
                        Thread.sleep(5);
                    }
                },
                method + " never sent");
    }

    private static long operationReads() {
        return f.emulator.requestCount("zoneOperations.wait")
                + f.emulator.requestCount("zoneOperations.get")
                + f.emulator.requestCount("zoneOperations.list");
    }

    @Test
    void secondCallOnABusyVolumeIsAborted() throws Exception {
        long inserts = f.emulator.requestCount("disks.insert");
        ListenableFuture<CreateVolumeResponse> first =
                async().createVolume(create("busy-1").build());
        awaitCount("disks.insert", inserts + 1);
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> f.stub().createVolume(create("busy-1").build()));
        assertEquals(Status.Code.ABORTED, e.getStatus().getCode());
        String v = first.get(10, TimeUnit.SECONDS).getVolume().getVolumeId();

        long attaches = f.emulator.requestCount("instances.attachDisk");
        ControllerPublishVolumeRequest publish = ControllerPublishVolumeRequest.newBuilder()
                .setVolumeId(v)
                .setNodeId(nodeId(NODE_1))
                .setVolumeCapability(mountWriter())
                .build();
        // the attach's operation takes 3 s; the other volume's operations are DONE at once
        f.emulator.faults().setOperationDuration(Duration.ofSeconds(3));
        ListenableFuture<?> attach;
        try {
            long polls = operationReads();
            attach = async().controllerPublishVolume(publish);
            awaitCount("instances.attachDisk", attaches + 1);
            // the plugin reads the operation once it has the insert's answer: the 3 s operation exists
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                while (operationReads() == polls) {
                    Thread.sleep(5);
                }
            });
            f.emulator.faults().setOperationDuration(Duration.ZERO);
            e = assertThrows(StatusRuntimeException.class, () -> f.stub().controllerPublishVolume(publish));
            assertEquals(Status.Code.ABORTED, e.getStatus().getCode());
            // a different volume is not held up meanwhile: it is created while the attach still waits
            f.stub().createVolume(create("busy-2").build());
            assertFalse(attach.isDone(), "busy-2 was created before busy-1's attach ended, not after it");
        } finally {
            f.emulator.faults().setOperationDuration(Duration.ofMillis(400));
        }
        assertEquals(
                "busy-1",
                ((csi.v1.ControllerPublishVolumeResponse) attach.get(30, TimeUnit.SECONDS))
                        .getPublishContextOrThrow("deviceName"));
    }

    @Test
    void fiftyParallelCreatesAllSucceed() throws Exception {
        int before =
                f.stub().listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesCount();
        long inserts = f.emulator.requestCount("disks.insert");
        List<ListenableFuture<CreateVolumeResponse>> calls = new ArrayList<>();
        // operations of 10 s: all 50 inserts are sent while none of the calls has ended, so they run together,
        // not one after another (a call waits for its operation)
        f.emulator.faults().setOperationDuration(Duration.ofSeconds(10));
        try {
            for (int i = 0; i < 50; i++) {
                calls.add(async().createVolume(
                                create(String.format("pvc-par-%02d", i)).build()));
            }
            awaitCount("disks.insert", inserts + 50);
            assertEquals(
                    0,
                    calls.stream().filter(java.util.concurrent.Future::isDone).count(),
                    "every insert was sent while all 50 calls were in flight");
        } finally {
            f.emulator.faults().setOperationDuration(Duration.ofMillis(400));
        }
        Set<String> ids = new HashSet<>();
        for (ListenableFuture<CreateVolumeResponse> c : calls) {
            ids.add(c.get(60, TimeUnit.SECONDS).getVolume().getVolumeId());
        }
        assertEquals(50, ids.size());
        assertEquals(
                before + 50,
                f.stub().listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesCount());
        assertEquals(inserts + 50, f.emulator.requestCount("disks.insert"), "one insert per volume");
    }

    @Test
    void restartBetweenInsertAndReplyGivesTheSameVolumeAndOneDisk() throws Exception {
        long inserts = f.emulator.requestCount("disks.insert");
        ListenableFuture<CreateVolumeResponse> lost =
                async().createVolume(create("pvc-crash").build());
        awaitCount("disks.insert", inserts + 1);
        f.stopPlugin(); // the reply is never sent
        assertThrows(ExecutionException.class, () -> lost.get(10, TimeUnit.SECONDS));
        f.startPlugin();
        CreateVolumeResponse again = f.stub().createVolume(create("pvc-crash").build());
        assertTrue(again.getVolume().getVolumeId().endsWith("/disks/pvc-crash"));
        long disks = f.stub().listVolumes(ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
                .filter(e -> e.getVolume().getVolumeId().endsWith("/disks/pvc-crash"))
                .count();
        assertEquals(1, disks);
        assertEquals(
                inserts + 2,
                f.emulator.requestCount("disks.insert"),
                "the second insert carried the first one's request id and was answered with its operation");
    }
}
