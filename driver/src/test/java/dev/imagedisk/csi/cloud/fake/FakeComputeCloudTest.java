package dev.imagedisk.csi.cloud.fake;

import dev.imagedisk.csi.cloud.CloudException.Kind;
import dev.imagedisk.csi.cloud.ComputeCloud;
import dev.imagedisk.csi.cloud.ComputeCloudContract;
import org.junit.jupiter.api.BeforeEach;

/** The contract on the in-memory fake. */
class FakeComputeCloudTest extends ComputeCloudContract {
    private FakeComputeCloud fake;

    @BeforeEach
    void setUp() {
        fake = new FakeComputeCloud();
        fake.addImage(P, "img", "fam", 10);
        fake.addInstance(P, Z, "vm1");
        fake.addInstance(P, Z, "vm2");
    }

    @Override
    protected ComputeCloud cloud() {
        return fake;
    }

    @Override
    protected void addImage(String name, String family, long sizeGb) {
        fake.addImage(P, name, family, sizeGb);
    }

    @Override
    protected void refuseRequests(String method, Kind kind, int times) {
        fake.failNext(method, kind, times);
    }

    @Override
    protected void setReaderCap(String type, int cap) {
        fake.setReaderCap(type, cap);
    }

    @Override
    protected void paceAttachesFrozen(int attaches) {
        fake.setAttachPace(attaches, java.time.Duration.ofSeconds(30), () -> 0L);
    }

    @Override
    protected void addInstance(String name) {
        fake.addInstance(P, Z, name);
    }

    @Override
    protected void failNextInsertOperation() {
        fake.failNextOperations("disks.insert", Kind.UNAVAILABLE, 1);
    }

    @Override
    protected void failNextInsertForCapacity(Kind kind, boolean stockout) {
        fake.failNextOperations(
                "disks.insert", kind, kind == Kind.ZONE_EXHAUSTED ? Z : Z.substring(0, Z.lastIndexOf('-')), 1);
    }
}
