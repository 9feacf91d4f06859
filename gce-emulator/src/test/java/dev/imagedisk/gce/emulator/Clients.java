package dev.imagedisk.gce.emulator;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.cloud.compute.v1.DisksClient;
import com.google.cloud.compute.v1.DisksSettings;
import com.google.cloud.compute.v1.GlobalOperationsClient;
import com.google.cloud.compute.v1.GlobalOperationsSettings;
import com.google.cloud.compute.v1.ImagesClient;
import com.google.cloud.compute.v1.ImagesSettings;
import com.google.cloud.compute.v1.InstancesClient;
import com.google.cloud.compute.v1.InstancesSettings;
import com.google.cloud.compute.v1.ZoneOperationsClient;
import com.google.cloud.compute.v1.ZoneOperationsSettings;
import java.io.IOException;

/**
 * The real google-cloud-compute clients pointed at the emulator: the HttpJson transport takes an
 * {@code http://} endpoint as it is (it only adds {@code https://} when no scheme is given), and
 * {@link NoCredentialsProvider} sends no Authorization header.
 */
final class Clients implements AutoCloseable {
    final DisksClient disks;
    final InstancesClient instances;
    final ImagesClient images;
    final ZoneOperationsClient zoneOperations;
    final GlobalOperationsClient globalOperations;

    Clients(String baseUrl) throws IOException {
        disks = DisksClient.create(DisksSettings.newBuilder()
                .setEndpoint(baseUrl)
                .setCredentialsProvider(NoCredentialsProvider.create())
                .build());
        instances = InstancesClient.create(InstancesSettings.newBuilder()
                .setEndpoint(baseUrl)
                .setCredentialsProvider(NoCredentialsProvider.create())
                .build());
        images = ImagesClient.create(ImagesSettings.newBuilder()
                .setEndpoint(baseUrl)
                .setCredentialsProvider(NoCredentialsProvider.create())
                .build());
        zoneOperations = ZoneOperationsClient.create(ZoneOperationsSettings.newBuilder()
                .setEndpoint(baseUrl)
                .setCredentialsProvider(NoCredentialsProvider.create())
                .build());
        globalOperations = GlobalOperationsClient.create(GlobalOperationsSettings.newBuilder()
                .setEndpoint(baseUrl)
                .setCredentialsProvider(NoCredentialsProvider.create())
                .build());
    }

    @Override
    public void close() {
        disks.close();
        instances.close();
        images.close();
        zoneOperations.close();
        globalOperations.close();
    }
}
