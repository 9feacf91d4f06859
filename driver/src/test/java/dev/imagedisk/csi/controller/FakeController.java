package dev.imagedisk.csi.controller;

import csi.v1.CreateVolumeRequest;
import csi.v1.Topology;
import csi.v1.VolumeCapability;
import dev.imagedisk.csi.cloud.fake.FakeComputeCloud;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.requests.CsiRequests;
import dev.imagedisk.csi.server.InFlight;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.function.BiConsumer;

/**
 * The Controller service on the in-memory cloud, called directly (no socket, no HTTP, no flags): project
 * {@value #PROJECT}, default zone {@value #ZONE}; image {@value #IMAGE} (10 GB, family {@value #FAMILY});
 * instances {@code node-1} and {@code node-2} in {@value #ZONE}, {@code node-3} in {@value #OTHER_ZONE}.
 */
final class FakeController {
    static final String PROJECT = "imagedisk-test";
    static final String ZONE = "us-central1-a";
    static final String OTHER_ZONE = "us-central1-b";
    static final String IMAGE = "base-v1";
    static final String FAMILY = "base";

    final FakeComputeCloud cloud = new FakeComputeCloud();
    /** The clock of the Hyperdisk ML attach pace (controller and fake cloud alike) and its timer. */
    final ManualTime time = new ManualTime();

    final AttachPace pace =
            new AttachPace(AttachPace.HYPERDISK_ML_ATTACHES, AttachPace.HYPERDISK_ML_WINDOW, time::nanoTime, time);
    final ControllerService service;

    FakeController() {
        this(ImageCache.none());
    }

    /** With {@code images} caching the image reads (the default keeps none). */
    FakeController(ImageCache images) {
        cloud.addImage(PROJECT, IMAGE, FAMILY, 10);
        cloud.addInstance(PROJECT, ZONE, "node-1");
        cloud.addInstance(PROJECT, ZONE, "node-2");
        cloud.addInstance(PROJECT, OTHER_ZONE, "node-3");
        cloud.setAttachPace(AttachPace.HYPERDISK_ML_ATTACHES, AttachPace.HYPERDISK_ML_WINDOW, time::nanoTime);
        service = serviceWith(
                images,
                new ReaderSets(
                        cloud, PROJECT, pace, Duration.ofSeconds(60), TestSchedulers.SHARED, Duration.ofSeconds(5)));
    }

    /**
     * A controller service on this fake cloud with its own reader sets (its own memory, as a restarted controller
     * has, or another attach pace) and no image cache.
     */
    ControllerService serviceWith(ReaderSets sets) {
        return serviceWith(ImageCache.none(), sets);
    }

    private ControllerService serviceWith(ImageCache images, ReaderSets sets) {
        return new ControllerService(
                PROJECT,
                null,
                new VolumeProvisioner(
                        cloud, PROJECT, new ZonePicker(ZONE), Duration.ofSeconds(5), images, TestSchedulers.SHARED),
                new Attacher(cloud),
                new VolumeCatalog(cloud, PROJECT),
                new Snapshotter(cloud, PROJECT),
                new VolumeModifier(cloud),
                sets,
                new InFlight());
    }

    /** Calls an RPC of the service ({@code service::createVolume}) and returns its answer. */
    <Q, R> Answer<R> call(BiConsumer<Q, StreamObserver<R>> rpc, Q request) {
        Answer<R> answer = new Answer<>();
        rpc.accept(request, answer);
        return answer;
    }

    static String nodeId(String instance) {
        return nodeId(ZONE, instance);
    }

    static String nodeId(String zone, String instance) {
        return "projects/" + PROJECT + "/zones/" + zone + "/instances/" + instance;
    }

    static String volumeId(String zone, String disk) {
        return "projects/" + PROJECT + "/zones/" + zone + "/disks/" + disk;
    }

    static Topology zone(String zone) {
        return Topology.newBuilder().putSegments(Keys.TOPOLOGY_ZONE, zone).build();
    }

    /** Block, or an ext4 mount. */
    static VolumeCapability cap(VolumeCapability.AccessMode.Mode mode, boolean block) {
        return CsiRequests.capability(mode, block, "ext4");
    }

    static VolumeCapability mountWriter() {
        return CsiRequests.RWO_EXT4;
    }

    /** A CreateVolume for {@code name} from the test image, single-node writer, mount. */
    static CreateVolumeRequest.Builder create(String name) {
        return CsiRequests.createVolume(name, "projects/" + PROJECT + "/global/images/" + IMAGE, mountWriter());
    }
}
