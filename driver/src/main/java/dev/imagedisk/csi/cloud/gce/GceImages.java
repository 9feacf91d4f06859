package dev.imagedisk.csi.cloud.gce;

import com.google.cloud.compute.v1.DeleteImageRequest;
import com.google.cloud.compute.v1.GetImageRequest;
import com.google.cloud.compute.v1.ImageList;
import com.google.cloud.compute.v1.InsertImageRequest;
import com.google.cloud.compute.v1.ListImagesRequest;
import com.google.cloud.compute.v1.Operation;
import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.Image;
import dev.imagedisk.csi.cloud.ImageRef;
import dev.imagedisk.csi.cloud.ImageSpec;
import dev.imagedisk.csi.cloud.Retrier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The image half of {@link GoogleComputeCloud}: {@code images.insert} from a disk, {@code images.delete} and
 * {@code images.list}. Image operations are global: they are awaited with {@code globalOperations.wait}. The
 * insert is idempotent by key as a disk's is ({@link IdempotentInsert}).
 * Requests go through the same rate budgets and retry policy as every other call.
 */
final class GceImages {
    private static final int LIST_PAGE_SIZE = 500;

    private final ComputeClients clients;
    /** Awaits an operation without holding the thread. */
    interface Await {
        CompletableFuture<Operation> await(String what, String project, String zone, Operation op);
    }

    private final GceOperations.Requests requests;
    /** Requests without a retry of their own, for the sends inside an asynchronous retry loop. */
    private final GceOperations.Requests sends;

    private final Await waiter;
    private final IdempotentInsert inserts;
    private final Retrier retrier;

    GceImages(
            ComputeClients clients,
            GceOperations.Requests requests,
            GceOperations.Requests sends,
            Await waiter,
            IdempotentInsert inserts,
            Retrier retrier) {
        this.clients = clients;
        this.requests = requests;
        this.sends = sends;
        this.waiter = waiter;
        this.inserts = inserts;
        this.retrier = retrier;
    }

    CompletableFuture<Void> create(ImageSpec spec, String idempotencyKey) {
        ImageRef ref = spec.ref();
        com.google.cloud.compute.v1.Image.Builder image = com.google.cloud.compute.v1.Image.newBuilder()
                .setName(ref.name())
                .setSourceDisk(spec.sourceDisk().path())
                .putAllLabels(spec.labels())
                .addAllStorageLocations(spec.storageLocations());
        if (spec.family() != null) {
            image.setFamily(spec.family());
        }
        if (!spec.description().isEmpty()) {
            image.setDescription(spec.description());
        }
        com.google.cloud.compute.v1.Image resource = image.build();
        String what = "images.insert " + ref;
        return inserts.runAsync(
                        what,
                        idempotencyKey,
                        requestId -> {
                            InsertImageRequest request = InsertImageRequest.newBuilder()
                                    .setProject(ref.project())
                                    .setRequestId(requestId)
                                    .setForceCreate(spec.forceCreate())
                                    .setImageResource(resource)
                                    .build();
                            return sends.call(
                                    "images.insert",
                                    () -> clients.images().insertCallable().call(request));
                        },
                        op -> waiter.await(what, ref.project(), null, op),
                        () -> !exists(ref))
                .thenApply(ours -> null);
    }

    private boolean exists(ImageRef ref) {
        GetImageRequest request = GetImageRequest.newBuilder()
                .setProject(ref.project())
                .setImage(ref.name())
                .build();
        try {
            requests.call("images.get", () -> clients.images().getCallable().call(request));
            return true;
        } catch (CloudException e) {
            if (e.is(CloudException.Kind.NOT_FOUND)) {
                return false;
            }
            throw e;
        }
    }

    CompletableFuture<Void> delete(ImageRef ref) {
        String what = "images.delete " + ref;
        DeleteImageRequest request = DeleteImageRequest.newBuilder()
                .setProject(ref.project())
                .setImage(ref.name())
                .build();
        return retrier.callAsync(what, () -> {
                    Operation op = sends.call(
                            "images.delete",
                            () -> clients.images().deleteCallable().call(request));
                    return waiter.await(what, ref.project(), null, op);
                })
                .thenApply(done -> null);
    }

    List<Image> list(String project, Map<String, String> labels) {
        String filter = GoogleComputeCloud.filter(labels);
        List<Image> out = new ArrayList<>();
        String token = "";
        do {
            ListImagesRequest.Builder b = ListImagesRequest.newBuilder()
                    .setProject(project)
                    .setMaxResults(LIST_PAGE_SIZE)
                    .setPageToken(token);
            if (!filter.isEmpty()) {
                b.setFilter(filter);
            }
            ListImagesRequest request = b.build();
            ImageList page = requests.call(
                    "images.list", () -> clients.images().listCallable().call(request));
            for (com.google.cloud.compute.v1.Image i : page.getItemsList()) {
                Image image = GceModel.image(ImageRef.image(project, i.getName()), i);
                // the filter is applied by the server; checked again in case it was not understood
                if (image.labels().entrySet().containsAll(labels.entrySet())) {
                    out.add(image);
                }
            }
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        return out;
    }
}
