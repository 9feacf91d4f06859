package dev.imagedisk.gce.emulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnitsTest {
    @Test
    void linksAcceptFullPartialAndBareReferences() {
        assertEquals(
                new Links.Zonal("p", "z-a1-b", "d"),
                Links.zonal(
                        "https://www.googleapis.com/compute/v1/projects/p/zones/z-a1-b/disks/d", "disks", "x", "y"));
        assertEquals(
                new Links.Zonal("p", "z", "d"),
                Links.zonal("http://127.0.0.1:1/compute/v1/projects/p/zones/z/disks/d", "disks", "x", "y"));
        assertEquals(new Links.Zonal("p", "z", "d"), Links.zonal("projects/p/zones/z/disks/d", "disks", "x", "y"));
        assertEquals(new Links.Zonal("x", "z", "t"), Links.zonal("zones/z/diskTypes/t", "diskTypes", "x", "y"));
        assertEquals(new Links.Zonal("x", "y", "pd-ssd"), Links.zonal("pd-ssd", "diskTypes", "x", "y"));
        assertNull(Links.zonal("projects/p/zones/z/instances/i", "disks", "x", "y"));
        assertEquals(
                new Links.ImageRef("p", "f", true),
                Links.parseImage("https://compute.googleapis.com/compute/v1/projects/p/global/images/family/f", "x"));
        assertEquals(new Links.ImageRef("x", "i", false), Links.parseImage("global/images/i", "x"));
        assertEquals(new Links.ImageRef("p", "i", false), Links.parseImage("projects/p/global/images/i", "x"));
        assertNull(Links.parseImage("projects/p/zones/z/disks/d", "x"));
    }

    @Test
    void durations() {
        assertEquals(Duration.ofMillis(200), Durations.parse("200ms"));
        assertEquals(Duration.ofSeconds(2), Durations.parse("2s"));
        assertEquals(Duration.ofMinutes(2), Durations.parse("2m"));
        assertEquals(Duration.ZERO, Durations.parse("0"));
        assertEquals(Duration.ofSeconds(3), Durations.parse("PT3S"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("5"));
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("fast"));
    }

    @Test
    void sparseCopyKeepsHolesAndBytes(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("src");
        byte[] a = new byte[10_000];
        new Random(1).nextBytes(a);
        try (FileChannel ch = FileChannel.open(src, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(a), 0);
            ch.write(ByteBuffer.wrap(a), 40L << 20); // a 40 MiB hole between two data runs
            ch.write(ByteBuffer.wrap(new byte[8192]), (40L << 20) + 20_000); // explicit zeros
        }
        Path dst = dir.resolve("dst");
        SparseFiles.copy(src, dst, 100L << 20);
        assertEquals(100L << 20, Files.size(dst));
        try (FileChannel s = FileChannel.open(src);
                FileChannel d = FileChannel.open(dst)) {
            ByteBuffer x = ByteBuffer.allocate((int) s.size());
            ByteBuffer y = ByteBuffer.allocate((int) s.size());
            while (x.hasRemaining() && s.read(x) > 0) {}
            while (y.hasRemaining() && d.read(y) > 0) {}
            assertArrayEquals(x.array(), y.array());
        }
        long allocated = Long.parseLong(
                        TestSupport.run("stat", "-c", "%b", dst.toString()).trim())
                * 512;
        assertTrue(allocated < 1 << 20, "allocated " + allocated);
    }

    @Test
    void faultsRateLimitWindow() {
        Faults f = new Faults(Duration.ZERO);
        assertTrue(f.admitMutating());
        f.setRateLimit(2);
        assertTrue(f.admitMutating());
        assertTrue(f.admitMutating());
        assertTrue(!f.admitMutating());
        f.clear();
        assertTrue(f.admitMutating());
        assertEquals(503, Faults.httpStatusFor("ZONE_RESOURCE_POOL_EXHAUSTED"));
        assertEquals(403, Faults.httpStatusFor("QUOTA_EXCEEDED"));
        f.failNextOperations("attachDisk", "X", "m", 0, 1);
        assertNull(f.takeOperationFailure("insert", "disks.insert"));
        assertEquals("X", f.takeOperationFailure("attachDisk", "instances.attachDisk").code);
        assertNull(f.takeOperationFailure("attachDisk", "instances.attachDisk"));
        // a method name picks one API's operations of a shared type
        f.failNextOperations("images.insert", "Y", "m", 0, 1);
        assertNull(f.takeOperationFailure("insert", "disks.insert"));
        assertEquals("Y", f.takeOperationFailure("insert", "images.insert").code);
    }
}
