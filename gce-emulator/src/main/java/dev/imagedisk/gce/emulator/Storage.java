package dev.imagedisk.gce.emulator;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Where disk contents live: real files and loop devices, or nothing (records only). */
interface Storage extends AutoCloseable {
    /** A bound disk: the loop device and the {@code google-<deviceName>} link to it. */
    record Bound(String loopDevice, Path link) {}

    boolean enabled();

    /** Copies an image file into the emulator's keeping; returns the stored file, or null. */
    Path importImage(String project, String name, Path source) throws IOException;

    /** An image captured from a disk: its stored file and the bytes of data in it. */
    record Captured(Path file, long dataBytes) {}

    /**
     * Copies a disk's file (sparse) into a new image file; returns it with its data size, or null
     * when there is no storage.
     */
    Captured captureImage(String project, String name, long id, Path diskFile) throws IOException;

    /** Removes an image's stored file. */
    void deleteImage(Path file) throws IOException;

    /** Creates a disk's backing file from an image file (or blank); returns it, or null. */
    Path createDisk(String project, String zone, String name, long id, long sizeBytes, Path imageFile)
            throws IOException;

    void deleteDisk(Path file) throws IOException;

    /** Grows the disk file and refreshes the size of the loop devices bound to it. */
    void resizeDisk(Path file, long sizeBytes, List<String> loopDevices) throws IOException;

    Bound attach(Path file, boolean readOnly, Path deviceDir, String deviceName) throws IOException;

    /**
     * Removes the link and releases the loop device; the returned stage completes once the kernel has really
     * released the device (a {@code losetup -d} on a device someone still holds open only marks it for release on
     * last close), and fails when it is not released within the storage's timeout.
     */
    java.util.concurrent.CompletionStage<Void> detach(Bound bound) throws IOException;

    @Override
    void close();

    /** Records only: no files, no loop devices, no links. */
    final class None implements Storage {
        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public Path importImage(String project, String name, Path source) {
            return null;
        }

        @Override
        public Captured captureImage(String project, String name, long id, Path diskFile) {
            return null;
        }

        @Override
        public void deleteImage(Path file) {}

        @Override
        public Path createDisk(String project, String zone, String name, long id, long sizeBytes, Path imageFile) {
            return null;
        }

        @Override
        public void deleteDisk(Path file) {}

        @Override
        public void resizeDisk(Path file, long sizeBytes, List<String> loopDevices) {}

        @Override
        public Bound attach(Path file, boolean readOnly, Path deviceDir, String deviceName) {
            return null;
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> detach(Bound bound) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {}
    }
}
