package dev.imagedisk.gce.emulator;

import static dev.imagedisk.gce.emulator.TestSupport.P;
import static dev.imagedisk.gce.emulator.TestSupport.Z;
import static dev.imagedisk.gce.emulator.TestSupport.allocatedBytes;
import static dev.imagedisk.gce.emulator.TestSupport.blockDeviceSize;
import static dev.imagedisk.gce.emulator.TestSupport.loopsOf;
import static dev.imagedisk.gce.emulator.TestSupport.reason;
import static dev.imagedisk.gce.emulator.TestSupport.run;
import static dev.imagedisk.gce.emulator.TestSupport.sbin;
import static dev.imagedisk.gce.emulator.TestSupport.tryRun;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.api.gax.rpc.ApiException;
import com.google.cloud.compute.v1.AttachDiskInstanceRequest;
import com.google.cloud.compute.v1.AttachedDisk;
import com.google.cloud.compute.v1.DeleteDiskRequest;
import com.google.cloud.compute.v1.DeleteImageRequest;
import com.google.cloud.compute.v1.DetachDiskInstanceRequest;
import com.google.cloud.compute.v1.Disk;
import com.google.cloud.compute.v1.DisksResizeRequest;
import com.google.cloud.compute.v1.Image;
import com.google.cloud.compute.v1.InsertDiskRequest;
import com.google.cloud.compute.v1.InsertImageRequest;
import com.google.cloud.compute.v1.Operation;
import com.google.cloud.compute.v1.ResizeDiskRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real files and loop devices, driven through the real client. Needs root and
 * {@code /dev/loop-control}; skipped otherwise. Cleans up every loop device, mount and file it
 * made, even when an assertion fails, and touches no other device.
 */
class RealStorageTest {
    static final long GIB = 1L << 30;

    Path tmp;
    Path mnt;
    boolean mounted;
    GceEmulator emu;
    Clients c;
    Path imageFile;
    byte[] blob;

    @BeforeEach
    void setUp() throws Exception {
        TestSupport.assumeLoopDevices();
        tmp = Files.createTempDirectory("gce-emu-storage-");
        Path src = Files.createDirectories(tmp.resolve("content"));
        blob = new byte[300_000];
        new Random(42).nextBytes(blob);
        Files.write(src.resolve("blob.bin"), blob);
        Files.writeString(src.resolve("hello.txt"), "hello from the image\n");
        Files.createDirectories(src.resolve("lib/nested"));
        Files.writeString(src.resolve("lib/nested/version"), "1.2.3\n");
        imageFile = tmp.resolve("image.ext4");
        try (var raf = new java.io.RandomAccessFile(imageFile.toFile(), "rw")) {
            raf.setLength(64L << 20);
        }
        run(sbin("mkfs.ext4"), "-F", "-q", "-d", src.toString(), imageFile.toString());
        mnt = Files.createDirectories(tmp.resolve("mnt"));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (mounted) {
                tryRun("umount", mnt.toString());
            }
            if (c != null) {
                c.close();
            }
            if (emu != null) {
                emu.close();
            }
        } finally {
            if (tmp != null) {
                TestSupport.releaseLoopsUnder(tmp);
                TestSupport.deleteTree(tmp);
            }
        }
    }

    private void start(Path dataDir) throws Exception {
        emu = GceEmulator.builder()
                .dataDir(dataDir)
                .deviceDir(tmp.resolve("by-id"))
                .operationDuration(Duration.ofMillis(100))
                .waitTimeout(Duration.ofSeconds(30))
                .start();
        c = new Clients(emu.baseUrl());
    }

    /**
     * An emulator on {@code dataDir} with image runtime (family fam) from the test's image file, instance
     * node-1, and a 10 GB disk {@code disk} from {@code image} attached to it read-write as device {@code disk}.
     */
    private void startWithAttachedDisk(Path dataDir, String disk, String image) throws Exception {
        start(dataDir);
        emu.registerImage(P, "runtime", "fam", imageFile);
        emu.addInstance(P, Z, "node-1", "e2-standard-4");
        insert(disk, 10, image);
        attach("node-1", disk, disk, "READ_WRITE");
    }

    private Operation waitOp(Operation op) {
        Operation done = c.zoneOperations.wait(P, Z, op.getName());
        assertEquals(Operation.Status.DONE, done.getStatus());
        return done;
    }

    private Operation insert(String name, long sizeGb, String image) {
        Disk.Builder d = Disk.newBuilder().setName(name).setSizeGb(sizeGb).setType("pd-balanced");
        if (image != null) {
            d.setSourceImage(image);
        }
        return waitOp(c.disks
                .insertCallable()
                .call(InsertDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDiskResource(d)
                        .build()));
    }

    private Operation attach(String instance, String disk, String device, String mode) {
        return waitOp(c.instances
                .attachDiskCallable()
                .call(AttachDiskInstanceRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setInstance(instance)
                        .setAttachedDiskResource(AttachedDisk.newBuilder()
                                .setSource("zones/" + Z + "/disks/" + disk)
                                .setDeviceName(device)
                                .setMode(mode))
                        .build()));
    }

    private Operation detach(String instance, String device) {
        return waitOp(c.instances
                .detachDiskCallable()
                .call(DetachDiskInstanceRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setInstance(instance)
                        .setDeviceName(device)
                        .build()));
    }

    @Test
    void diskFromImageIsASparseCopyAttachedAsALoopDevice() throws Exception {
        start(tmp.resolve("data"));
        String image = emu.registerImage(P, "runtime", "runtime-fam", imageFile);
        assertEquals(1, c.images.get(P, "runtime").getDiskSizeGb());
        emu.addInstance(P, Z, "node-1", "e2-standard-4");

        insert("pvc-1", 10, "global/images/family/runtime-fam");
        Path file = emu.diskFile(P, Z, "pvc-1").orElseThrow();
        assertTrue(file.startsWith(tmp.resolve("data")));
        assertEquals(10 * GIB, Files.size(file));
        long allocated = allocatedBytes(file);
        assertTrue(
                allocated <= allocatedBytes(imageFile) + (1 << 20),
                "disk allocates " + allocated + " bytes, image " + allocatedBytes(imageFile));
        assertTrue(allocated < 64L << 20, "allocated " + allocated);
        assertEquals(image, c.disks.get(P, Z, "pvc-1").getSourceImage());

        // attach: the link appears when the operation completes
        attach("node-1", "pvc-1", "pvc-1", "READ_WRITE");
        Path link = tmp.resolve("by-id/google-pvc-1");
        assertTrue(Files.isSymbolicLink(link));
        String loop = Files.readSymbolicLink(link).toString();
        assertTrue(loop.matches("/dev/loop\\d+"), loop);
        assertEquals(emu.loopDevice(P, Z, "node-1", "pvc-1").orElseThrow(), loop);
        assertEquals(List.of(loop), loopsOf(file));
        assertEquals(10 * GIB, blockDeviceSize(link.toString()));
        assertEquals("0", run(sbin("blockdev"), "--getro", loop).trim());
        String blkid = run(sbin("blkid"), "-p", loop);
        assertTrue(blkid.contains("TYPE=\"ext4\""), blkid);

        run("mount", "-o", "ro", loop, mnt.toString());
        mounted = true;
        assertArrayEquals(blob, Files.readAllBytes(mnt.resolve("blob.bin")));
        assertEquals("hello from the image\n", Files.readString(mnt.resolve("hello.txt")));
        assertEquals("1.2.3\n", Files.readString(mnt.resolve("lib/nested/version")));
        run("umount", mnt.toString());
        mounted = false;

        // resize refreshes the attached loop device's size
        waitOp(c.disks
                .resizeCallable()
                .call(ResizeDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDisk("pvc-1")
                        .setDisksResizeRequestResource(
                                DisksResizeRequest.newBuilder().setSizeGb(12))
                        .build()));
        assertEquals(12 * GIB, Files.size(file));
        assertEquals(12 * GIB, blockDeviceSize(loop));
        assertEquals(12, c.disks.get(P, Z, "pvc-1").getSizeGb());

        ApiException inUse = assertThrows(
                ApiException.class,
                () -> c.disks
                        .deleteCallable()
                        .call(DeleteDiskRequest.newBuilder()
                                .setProject(P)
                                .setZone(Z)
                                .setDisk("pvc-1")
                                .build()));
        assertEquals(400, inUse.getStatusCode().getCode().getHttpStatusCode());
        assertEquals("resourceInUseByAnotherResource", reason(inUse));

        // detach removes the link, then the loop device
        detach("node-1", "pvc-1");
        assertFalse(Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertEquals(List.of(), loopsOf(file));
        assertTrue(emu.boundLoopDevices().isEmpty());

        waitOp(c.disks
                .deleteCallable()
                .call(DeleteDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDisk("pvc-1")
                        .build()));
        assertFalse(Files.exists(file));
    }

    @Test
    void aLoopDeviceCarriesItsDeviceNameAsItsBackingFileName() throws Exception {
        start(null);
        emu.addInstance(P, Z, "node-1", "e2-standard-4");
        insert("disk-a", 10, null);
        attach("node-1", "disk-a", "persistent-disk-7", "READ_WRITE");
        String loop = emu.loopDevice(P, Z, "node-1", "persistent-disk-7").orElseThrow();
        Path backing = Path.of(FileStorage.backingFile(loop));
        assertEquals("persistent-disk-7", backing.getFileName().toString());
        // the same file as the disk's: a hard link, so writes reach the disk
        assertEquals(
                Files.getAttribute(emu.diskFile(P, Z, "disk-a").orElseThrow(), "unix:ino"),
                Files.getAttribute(backing, "unix:ino"));
        detach("node-1", "persistent-disk-7");
        assertFalse(Files.exists(backing), "the named link goes with the loop device");
    }

    @Test
    void aDetachIsDoneOnlyOnceTheKernelHasReleasedTheLoopDevice() throws Exception {
        start(null);
        emu.addInstance(P, Z, "node-1", "e2-standard-4");
        insert("held", 10, null);
        attach("node-1", "held", "held", "READ_WRITE");
        Path file = emu.diskFile(P, Z, "held").orElseThrow();
        String loop = emu.loopDevice(P, Z, "node-1", "held").orElseThrow();
        Path autoclear = Path.of("/sys/block", Path.of(loop).getFileName().toString(), "loop", "autoclear");
        Operation op;
        // an opener (as udev's probe is) keeps the loop bound after losetup -d: the kernel only sets autoclear
        try (var holder = java.nio.channels.FileChannel.open(Path.of(loop), java.nio.file.StandardOpenOption.READ)) {
            op = c.instances
                    .detachDiskCallable()
                    .call(DetachDiskInstanceRequest.newBuilder()
                            .setProject(P)
                            .setZone(Z)
                            .setInstance("node-1")
                            .setDeviceName("held")
                            .build());
            // losetup -d has run once the kernel marks the device for release on last close (bounded wait)
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (!"1".equals(Files.readString(autoclear).trim())) {
                assertTrue(System.nanoTime() < deadline, "losetup -d never ran on " + loop);
                Thread.onSpinWait();
            }
            assertEquals(List.of(loop), loopsOf(file), "still bound while held open");
            assertNotEquals(
                    Operation.Status.DONE,
                    c.zoneOperations.get(P, Z, op.getName()).getStatus(),
                    "the detach is not DONE while the kernel still has the loop device bound");
        }
        waitOp(op);
        assertEquals(List.of(), loopsOf(file), "released when the detach is DONE");
        assertTrue(emu.boundLoopDevices().isEmpty());
    }

    @Test
    void linkFaultsLeaveOutDelayOrMisdirectTheDeviceLink() throws Exception {
        start(null);
        emu.addInstance(P, Z, "node-1", "e2-standard-4");
        for (String d : List.of("a", "b", "c", "d")) {
            insert(d, 10, null);
        }
        Path byId = tmp.resolve("by-id");
        attach("node-1", "a", "a", "READ_WRITE");
        String loopA = Files.readSymbolicLink(byId.resolve("google-a")).toString();

        emu.faults().failNextDeviceLinks(Faults.LinkFault.WRONG, 1);
        attach("node-1", "b", "b", "READ_WRITE");
        String loopB = emu.loopDevice(P, Z, "node-1", "b").orElseThrow();
        assertEquals(loopA, Files.readSymbolicLink(byId.resolve("google-b")).toString(), "b's link names a's device");
        assertTrue(!loopA.equals(loopB));

        emu.faults().failNextDeviceLinks(Faults.LinkFault.MISSING, 1);
        attach("node-1", "c", "c", "READ_WRITE");
        assertFalse(Files.exists(byId.resolve("google-c"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertTrue(emu.loopDevice(P, Z, "node-1", "c").isPresent(), "the disk is attached all the same");

        emu.faults().setLateLinkDelay(Duration.ofMillis(200)).failNextDeviceLinks(Faults.LinkFault.LATE, 1);
        Path linkD = byId.resolve("google-d");
        try (java.nio.file.WatchService watch = byId.getFileSystem().newWatchService()) {
            byId.register(watch, java.nio.file.StandardWatchEventKinds.ENTRY_CREATE);
            attach("node-1", "d", "d", "READ_WRITE");
            // the link is made after the operation is DONE: wait for its creation event (bounded)
            while (!Files.isSymbolicLink(linkD)) {
                java.nio.file.WatchKey key = watch.poll(30, java.util.concurrent.TimeUnit.SECONDS);
                assertTrue(key != null, "no late link within 30 s");
                key.pollEvents();
                key.reset();
            }
        }
        String loopD = emu.loopDevice(P, Z, "node-1", "d").orElseThrow();
        assertEquals(loopD, Files.readSymbolicLink(linkD).toString(), "the late link appears, to d's device");

        // b's misdirected link goes with b's attachment; a's own link stays
        detach("node-1", "b");
        assertFalse(Files.exists(byId.resolve("google-b"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertEquals(loopA, Files.readSymbolicLink(byId.resolve("google-a")).toString());
        for (String d : List.of("a", "c", "d")) {
            detach("node-1", d);
        }
        assertTrue(emu.boundLoopDevices().isEmpty());
    }

    @Test
    void readOnlyOnManyInstancesAndBlankDisks() throws Exception {
        start(null);
        emu.registerImage(P, "runtime", null, imageFile);
        emu.addInstance(P, Z, "node-1", "e2-standard-4", tmp.resolve("node-1"));
        emu.addInstance(P, Z, "node-2", "e2-standard-4", tmp.resolve("node-2"));
        insert("shared", 10, "global/images/runtime");
        insert("blank", 10, null);
        Path blank = emu.diskFile(P, Z, "blank").orElseThrow();
        assertEquals(10 * GIB, Files.size(blank));
        assertTrue(allocatedBytes(blank) < (1 << 20));

        attach("node-1", "shared", "lib", "READ_ONLY");
        attach("node-2", "shared", "lib", "READ_ONLY");
        attach("node-1", "blank", "scratch", "READ_WRITE");
        List<String> loops = new ArrayList<>();
        for (String node : List.of("node-1", "node-2")) {
            Path link = tmp.resolve(node).resolve("google-lib");
            String loop = Files.readSymbolicLink(link).toString();
            loops.add(loop);
            assertEquals("1", run(sbin("blockdev"), "--getro", loop).trim());
            assertTrue(run(sbin("blkid"), "-p", loop).contains("TYPE=\"ext4\""));
        }
        assertEquals(2, loopsOf(emu.diskFile(P, Z, "shared").orElseThrow()).size());
        assertEquals(2, c.disks.get(P, Z, "shared").getUsersCount());
        assertEquals(3, emu.boundLoopDevices().size());

        Path dataDir = emu.dataDir().orElseThrow();
        Path shared = emu.diskFile(P, Z, "shared").orElseThrow();
        emu.close();
        // close() released every loop device and link, and deleted its temp data dir
        assertEquals(List.of(), loopsOf(shared));
        assertEquals(List.of(), loopsOf(blank));
        assertFalse(Files.exists(tmp.resolve("node-1/google-lib"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(tmp.resolve("node-1/google-scratch"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(dataDir));
        assertFalse(run(sbin("losetup"), "-a").contains(dataDir.toString()));
        for (String loop : loops) {
            assertEquals("", FileStorage.backingFile(loop) == null ? "" : FileStorage.backingFile(loop));
        }
    }

    @Test
    void concurrentAttachesAndDetachesGetDistinctLoopDevices() throws Exception {
        start(null);
        emu.addInstance(P, Z, "node-1", "e2-standard-4");
        int n = 6;
        for (int i = 0; i < n; i++) {
            insert("c" + i, 10, null);
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            List<java.util.concurrent.Future<Operation>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String name = "c" + i;
                fs.add(pool.submit(() -> attach("node-1", name, name, "READ_WRITE")));
            }
            for (var f : fs) {
                assertFalse(f.get().hasError());
            }
            java.util.Set<String> loops = new java.util.HashSet<>();
            for (int i = 0; i < n; i++) {
                String loop = Files.readSymbolicLink(tmp.resolve("by-id/google-c" + i))
                        .toString();
                loops.add(loop);
                assertEquals(List.of(loop), loopsOf(emu.diskFile(P, Z, "c" + i).orElseThrow()));
            }
            assertEquals(n, loops.size());
            fs.clear();
            for (int i = 0; i < n; i++) {
                String name = "c" + i;
                fs.add(pool.submit(() -> detach("node-1", name)));
            }
            for (var f : fs) {
                assertFalse(f.get().hasError());
            }
            assertTrue(emu.boundLoopDevices().isEmpty());
            for (int i = 0; i < n; i++) {
                assertEquals(List.of(), loopsOf(emu.diskFile(P, Z, "c" + i).orElseThrow()));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void restartOnTheSameDataDirKeepsImagesDisksAndInstances() throws Exception {
        Path data = tmp.resolve("data");
        startWithAttachedDisk(data, "keep", "global/images/family/fam");
        Path file = emu.diskFile(P, Z, "keep").orElseThrow();
        c.close();
        emu.close();
        c = null;
        emu = null;
        assertEquals(List.of(), loopsOf(file));
        assertTrue(Files.exists(file));
        assertTrue(Files.exists(data.resolve("state.json")));

        start(data);
        Disk keep = c.disks.get(P, Z, "keep");
        assertEquals("READY", keep.getStatus());
        assertEquals(0, keep.getUsersCount()); // attachments do not survive a restart
        assertEquals(1, c.instances.get(P, Z, "node-1").getDisksCount()); // the boot disk
        assertEquals("runtime", c.images.getFromFamily(P, "fam").getName());
        attach("node-1", "keep", "keep", "READ_WRITE");
        String loop = emu.loopDevice(P, Z, "node-1", "keep").orElseThrow();
        assertTrue(run(sbin("blkid"), "-p", loop).contains("ext4"));
        insert("from-restored-image", 10, "global/images/runtime");
    }

    private Operation waitGlobal(Operation op) {
        Operation done = c.globalOperations.wait(P, op.getName());
        assertEquals(Operation.Status.DONE, done.getStatus());
        return done;
    }

    private String mountedText(String instance, String device, String file) throws Exception {
        String loop = emu.loopDevice(P, Z, instance, device).orElseThrow();
        run("mount", "-o", "ro", loop, mnt.toString());
        mounted = true;
        try {
            return Files.readString(mnt.resolve(file));
        } finally {
            run("umount", mnt.toString());
            mounted = false;
        }
    }

    @Test
    void imagesFromDisksAndClonesCarryTheDataAndSurviveARestart() throws Exception {
        Path data = tmp.resolve("data");
        startWithAttachedDisk(data, "src", "global/images/runtime");
        String loop = emu.loopDevice(P, Z, "node-1", "src").orElseThrow();
        run("mount", loop, mnt.toString());
        mounted = true;
        Files.writeString(mnt.resolve("added.txt"), "written on the volume\n");
        run("umount", mnt.toString());
        mounted = false;

        // attached read-write: only with forceCreate
        ApiException inUse = assertThrows(
                ApiException.class,
                () -> c.images
                        .insertCallable()
                        .call(InsertImageRequest.newBuilder()
                                .setProject(P)
                                .setImageResource(
                                        Image.newBuilder().setName("snap").setSourceDisk("zones/" + Z + "/disks/src"))
                                .build()));
        assertEquals("resourceInUseByAnotherResource", reason(inUse));
        waitGlobal(c.images
                .insertCallable()
                .call(InsertImageRequest.newBuilder()
                        .setProject(P)
                        .setForceCreate(true)
                        .setImageResource(Image.newBuilder()
                                .setName("snap")
                                .setFamily("fam")
                                .putLabels("k", "v")
                                .setSourceDisk("projects/" + P + "/zones/" + Z + "/disks/src"))
                        .build()));
        Image snap = c.images.get(P, "snap");
        assertEquals("READY", snap.getStatus());
        assertEquals(10, snap.getDiskSizeGb());
        // archiveSizeBytes: the data copied, not the 10 GiB of holes
        assertTrue(
                snap.getArchiveSizeBytes() > 0 && snap.getArchiveSizeBytes() < 64L << 20,
                "archiveSizeBytes " + snap.getArchiveSizeBytes());
        Path imageDir = data.resolve("images").resolve(P);
        long imageBytes = 0;
        try (var files = Files.list(imageDir)) {
            for (Path f : files.toList()) {
                if (f.getFileName().toString().startsWith("snap-")) {
                    assertEquals(10 * GIB, Files.size(f));
                    imageBytes = allocatedBytes(f);
                }
            }
        }
        assertTrue(imageBytes > 0 && imageBytes < 64L << 20, "image allocates " + imageBytes);

        // a disk from the family (now the new image) and a clone both hold the written file
        insert("restored", 10, "global/images/family/fam");
        waitOp(c.disks
                .insertCallable()
                .call(InsertDiskRequest.newBuilder()
                        .setProject(P)
                        .setZone(Z)
                        .setDiskResource(Disk.newBuilder()
                                .setName("copy")
                                .setSizeGb(12)
                                .setSourceDisk("zones/" + Z + "/disks/src"))
                        .build()));
        assertTrue(allocatedBytes(emu.diskFile(P, Z, "copy").orElseThrow()) < 64L << 20);
        assertEquals(12 * GIB, Files.size(emu.diskFile(P, Z, "copy").orElseThrow()));
        attach("node-1", "restored", "restored", "READ_ONLY");
        attach("node-1", "copy", "copy", "READ_ONLY");
        assertEquals("written on the volume\n", mountedText("node-1", "restored", "added.txt"));
        assertEquals("written on the volume\n", mountedText("node-1", "copy", "added.txt"));
        assertEquals("1.2.3\n", mountedText("node-1", "copy", "lib/nested/version"));

        // restart: the image made from a disk and the clone's source are kept
        c.close();
        emu.close();
        c = null;
        emu = null;
        start(data);
        Image kept = c.images.getFromFamily(P, "fam");
        assertEquals("snap", kept.getName());
        assertEquals(snap.getId(), kept.getId());
        assertEquals(snap.getSourceDiskId(), kept.getSourceDiskId());
        assertTrue(kept.getSourceDisk().endsWith("/projects/" + P + "/zones/" + Z + "/disks/src"));
        assertEquals(snap.getLabelsMap(), kept.getLabelsMap());
        assertEquals(snap.getArchiveSizeBytes(), kept.getArchiveSizeBytes());
        assertEquals(snap.getStorageLocationsList(), kept.getStorageLocationsList());
        Disk copy = c.disks.get(P, Z, "copy");
        assertTrue(copy.getSourceDisk().endsWith("/disks/src"), copy.getSourceDisk());
        insert("after-restart", 10, "global/images/snap");
        attach("node-1", "after-restart", "after-restart", "READ_ONLY");
        assertEquals("written on the volume\n", mountedText("node-1", "after-restart", "added.txt"));

        // images.delete removes the stored file
        waitGlobal(c.images
                .deleteCallable()
                .call(DeleteImageRequest.newBuilder()
                        .setProject(P)
                        .setImage("snap")
                        .build()));
        try (var files = Files.list(imageDir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("snap-")));
        }
        assertEquals("runtime", c.images.getFromFamily(P, "fam").getName());
    }
}
