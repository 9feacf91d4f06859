package dev.imagedisk.csi.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CreateVolumeRequest;
import csi.v1.CreateVolumeResponse;
import csi.v1.VolumeCapability;
import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.cloud.DiskSpec;
import dev.imagedisk.csi.cloud.gce.ComputeClients;
import dev.imagedisk.csi.cloud.gce.EmulatorClouds;
import dev.imagedisk.csi.cloud.gce.GoogleComputeCloud;
import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.common.SchedulerThreads;
import dev.imagedisk.csi.server.InFlight;
import dev.imagedisk.gce.emulator.GceEmulator;
import io.grpc.Context;
import io.grpc.Status;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A controller call's deadline and cancellation bound its Compute Engine waits: against the emulator with slow
 * operations, a CreateVolume whose caller's deadline passes stops its operation wait within a second (the
 * operation itself goes on), and a retry finds the disk by name.
 */
@Tag("integration")
class CreateVolumeDeadlineTest {
    private static final String P = "proj";
    private static final String Z = "us-central1-a";
    /** How soon after the deadline or cancellation the wait must have stopped. */
    private static final Duration STOPS_WITHIN = Duration.ofSeconds(1);

    private GceEmulator emulator;
    private ComputeClients clients;
    private GoogleComputeCloud cloud;
    private final ExecutorService callers = Executors.newCachedThreadPool();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    private final SchedulerThreads steps = new SchedulerThreads("test", 2);

    @BeforeEach
    void start() throws Exception {
        // a long poll is answered after 3 s at the latest: longer than a stop may take (the 1 s checked here), short
        // enough that closing the client does not wait long for a poll that was given up
        emulator = GceEmulator.builder()
                .storage(false)
                .operationDuration(Duration.ofSeconds(30))
                .waitTimeout(Duration.ofSeconds(3))
                .start();
        emulator.registerImage(P, "img", "fam", 10);
        clients = ComputeClients.create(emulator.baseUrl(), "test", Duration.ofSeconds(10), Duration.ofSeconds(30));
        cloud = EmulatorClouds.google(clients, P, Z, Duration.ofMinutes(2));
    }

    @AfterEach
    void stop() {
        callers.shutdownNow();
        timers.shutdownNow();
        cloud.close();
        steps.close();
        clients.close();
        emulator.close();
    }

    private static DiskSpec spec(String name) {
        return new DiskSpec(
                new DiskRef(P, Z, name),
                10,
                "pd-balanced",
                "projects/" + P + "/global/images/img",
                Map.of("imagedisk-csi", "managed"),
                "",
                null,
                null,
                null);
    }

    @Test
    void theCallsDeadlineEndsTheOperationWait() throws Exception {
        cloud.getImage(dev.imagedisk.csi.cloud.ImageRef.image(P, "img")); // the client warmed up, not timed
        CallDeadline call = CallDeadline.after(Duration.ofMillis(300));
        Future<Boolean> create = CallDeadline.within(call, () -> cloud.createDiskAsync(spec("late"), "key-late"));
        CloudException e = failure(create, Duration.ofMillis(300).plus(STOPS_WITHIN));
        assertEquals(CloudException.Kind.DEADLINE, e.kind(), e.toString());
        assertTrue(
                e.getMessage().contains("deadline") && e.getMessage().contains("waiting for operation"),
                e.getMessage());
        assertEquals(1, emulator.requestCount("disks.insert"));
    }

    @Test
    void cancellingTheCallEndsTheOperationWait() throws Exception {
        CallDeadline call = CallDeadline.after(null);
        Future<Boolean> create = CallDeadline.within(call, () -> cloud.createDiskAsync(spec("gone"), "key-gone"));
        // the caller goes away while the insert's operation (30 s) is being waited for
        timers.schedule(() -> call.cancel(CallDeadline.Stop.CANCELLED), 300, TimeUnit.MILLISECONDS);
        CloudException e = failure(create, Duration.ofMillis(300).plus(STOPS_WITHIN));
        assertEquals(CloudException.Kind.CANCELLED, e.kind(), e.toString());
        assertFalse(Thread.currentThread().isInterrupted());
    }

    @Test
    void createVolumePastItsGrpcDeadlineAnswersDeadlineExceededAndARetryFindsTheDisk() throws Exception {
        emulator.faults().setOperationDuration(Duration.ofSeconds(2));
        ControllerService service = new ControllerService(
                P,
                null,
                new VolumeProvisioner(cloud, P, new ZonePicker(Z), Duration.ofSeconds(30), ImageCache.none(), steps),
                new Attacher(cloud),
                new VolumeCatalog(cloud, P),
                new Snapshotter(cloud, P),
                new VolumeModifier(cloud),
                new ReaderSets(
                        cloud,
                        P,
                        AttachPace.hyperdiskMl(Runnable::run),
                        Duration.ofSeconds(30),
                        steps,
                        Duration.ofSeconds(30)),
                new InFlight());
        CreateVolumeRequest request = CreateVolumeRequest.newBuilder()
                .setName("pvc-late")
                .addVolumeCapabilities(VolumeCapability.newBuilder()
                        .setMount(VolumeCapability.MountVolume.getDefaultInstance())
                        .setAccessMode(VolumeCapability.AccessMode.newBuilder()
                                .setMode(VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)))
                .putParameters("image", "projects/" + P + "/global/images/img")
                .build();

        Answer<CreateVolumeResponse> late = new Answer<>();
        Context.CancellableContext context = Context.current().withDeadlineAfter(300, TimeUnit.MILLISECONDS, timers);
        callers.submit(() -> context.run(() -> service.createVolume(request, late)));
        assertTrue(
                late.await(Duration.ofMillis(300).plus(STOPS_WITHIN)),
                "CreateVolume still waiting a second after its deadline");
        assertEquals(Status.Code.DEADLINE_EXCEEDED, late.code(), late.status().toString());
        context.cancel(null);

        Answer<CreateVolumeResponse> retry = new Answer<>();
        service.createVolume(request, retry);
        assertEquals(
                "projects/" + P + "/zones/" + Z + "/disks/pvc-late",
                retry.value().getVolume().getVolumeId());
        assertTrue(cloud.getDisk(new DiskRef(P, Z, "pvc-late")).orElseThrow().ready());
        assertEquals(1, cloud.listDisks(Map.of("imagedisk-csi", "managed")).size(), "one disk for both calls");
    }

    private static CloudException failure(Future<?> call, Duration limit) throws Exception {
        try {
            call.get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CloudException c) {
                return c;
            }
            throw e;
        }
        throw new AssertionError("the call succeeded");
    }
}
