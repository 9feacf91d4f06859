package dev.imagedisk.csi.cloud.gce;

import dev.imagedisk.csi.cloud.CloudException.Kind;
import dev.imagedisk.csi.cloud.ComputeCloud;
import dev.imagedisk.csi.cloud.ComputeCloudContract;
import dev.imagedisk.gce.emulator.ComputeFailure;
import dev.imagedisk.gce.emulator.Faults;
import dev.imagedisk.gce.emulator.GceEmulator;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/** The contract on the real adapter, over HTTP against the emulator. */
@Tag("integration")
class GoogleComputeCloudContractTest extends ComputeCloudContract {
    static {
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private GceEmulator emulator;
    private ComputeClients clients;
    private GoogleComputeCloud cloud;

    @BeforeEach
    void start() throws Exception {
        // operations take a little while: an insert answered DONE at once would not count as this call's own
        emulator = GceEmulator.builder()
                .storage(false)
                .operationDuration(Duration.ofMillis(200))
                .waitTimeout(Duration.ofSeconds(5))
                .start();
        emulator.registerImage(P, "img", "fam", 10);
        emulator.addInstance(P, Z, "vm1", "e2-small");
        emulator.addInstance(P, Z, "vm2", "e2-small");
        clients = ComputeClients.create(emulator.baseUrl(), "test", Duration.ofSeconds(10), Duration.ofSeconds(30));
        cloud = EmulatorClouds.google(clients, P, Z, Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() {
        cloud.close();
        clients.close();
        emulator.close();
    }

    @Override
    protected ComputeCloud cloud() {
        return cloud;
    }

    @Override
    protected void addImage(String name, String family, long sizeGb) {
        emulator.registerImage(P, name, family, sizeGb);
    }

    @Override
    protected void refuseRequests(String method, Kind kind, int times) {
        switch (kind) {
            case UNAVAILABLE -> emulator.faults().injectError(method, 503, "backendError", times);
            // the adapter retries a rate-limit answer: every attempt is refused
            case RATE_LIMITED ->
                emulator.faults().injectError(method, 403, "rateLimitExceeded", 1 + EmulatorClouds.RETRIES);
            default -> throw new IllegalArgumentException("no emulator fault for " + kind);
        }
    }

    @Override
    protected void setReaderCap(String type, int cap) {
        emulator.sharing().setReaderCap(type, cap);
    }

    @Override
    protected void paceAttachesFrozen(int attaches) {
        java.time.Instant frozen = java.time.Instant.parse("2026-01-01T00:00:00Z");
        emulator.sharing().setAttachPace(attaches, Duration.ofSeconds(30)).setClock(() -> frozen);
    }

    @Override
    protected void addInstance(String name) {
        emulator.addInstance(P, Z, name, "e2-small");
    }

    @Override
    protected void failNextInsertOperation() {
        emulator.faults().failNextOperations("insert", "INTERNAL_ERROR", "Internal error", 503, 1);
    }

    @Override
    protected void failNextInsertForCapacity(Kind kind, boolean stockout) {
        ComputeFailure failure = kind == Kind.QUOTA_EXCEEDED
                ? ComputeFailure.REGIONAL_QUOTA_EXCEEDED
                : stockout
                        ? ComputeFailure.ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS
                        : ComputeFailure.ZONAL_QUOTA_EXCEEDED;
        emulator.faults().failNext("disks.insert", failure, Faults.Delivery.OPERATION, 1);
    }
}
