package dev.imagedisk.gce.emulator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The emulator's records; every field is guarded by the {@link ComputeService} lock. */
final class Model {
    private Model() {}

    static final class Image {
        String project;
        String name;
        long id;
        String family;
        String description;
        long diskSizeGb;
        long archiveSizeBytes;
        String creationTimestamp;
        long sequence; // registration order, breaks creationTimestamp ties for getFromFamily
        String deprecationState; // null, DEPRECATED, OBSOLETE or DELETED
        Path file; // the image's filesystem file (storage on), else null
        String status = "READY"; // PENDING while images.insert copies, then READY
        Map<String, String> labels = new LinkedHashMap<>();
        List<String> storageLocations = new ArrayList<>();
        String sourceDiskProject; // images.insert from a disk; null otherwise
        String sourceDiskZone;
        String sourceDiskName;
        long sourceDiskId;
        boolean deleting; // an accepted images.delete not DONE yet

        String key() {
            return project + "/" + name;
        }
    }

    static final class Disk {
        String project;
        String zone;
        String name;
        long id;
        String creationTimestamp;
        String description;
        long sizeGb;
        String type; // disk type name, e.g. pd-balanced
        String accessMode; // Hyperdisk only: READ_WRITE_SINGLE, READ_ONLY_MANY or READ_WRITE_MANY; null for pd-*
        String sourceImageProject; // null for a blank disk
        String sourceImageName;
        long sourceImageId;
        String sourceDiskProject; // a clone (disks.insert with sourceDisk); null otherwise
        String sourceDiskZone;
        String sourceDiskName;
        long sourceDiskId;
        String kmsKeyName;
        Long provisionedIops;
        Long provisionedThroughput;
        Map<String, String> labels = new LinkedHashMap<>();
        String status; // CREATING, READY, DELETING
        List<String> users = new ArrayList<>(); // instance keys, in attach order
        String lastAttachTimestamp;
        String lastDetachTimestamp;
        boolean boot; // an instance's boot disk: a record only, never backed by a file
        Path file; // backing file (storage on), else null

        /** Paths of images or disks being copied from this disk (operations not DONE yet). */
        final List<String> readers = new ArrayList<>();

        /** Instance keys with an accepted attachDisk operation not yet DONE, with its mode. */
        final Map<String, String> pendingAttach = new LinkedHashMap<>();

        String key() {
            return project + "/" + zone + "/" + name;
        }

        String path() {
            return Links.diskPath(project, zone, name);
        }
    }

    static final class Attachment {
        String diskKey;
        String deviceName;
        String mode; // READ_WRITE or READ_ONLY
        int index;
        boolean boot;
        boolean autoDelete;
        boolean detaching;
        /** Completes when the detach in progress has finished (its loop device released, or it failed). */
        java.util.concurrent.CompletableFuture<Void> detached = new java.util.concurrent.CompletableFuture<>();

        String loopDevice; // storage on: /dev/loopN
        Path link; // storage on: <deviceDir>/google-<deviceName>
    }

    static final class Instance {
        String project;
        String zone;
        String name;
        long id;
        String creationTimestamp;
        String machineType;
        Path deviceDir; // where google-<deviceName> links go; null = the emulator's default
        final List<Attachment> disks = new ArrayList<>();
        /** Device names of accepted attachDisk operations that are not DONE yet. */
        final Map<String, String> pendingDevices = new LinkedHashMap<>(); // deviceName -> diskKey

        String key() {
            return project + "/" + zone + "/" + name;
        }

        String path() {
            return Links.instancePath(project, zone, name);
        }
    }

    static final class Operation {
        String project;
        String zone; // null for a global operation
        String name;
        long id;
        String operationType;
        String method; // the API method that made it, e.g. images.insert (for fault matching)
        String targetLink;
        long targetId;
        String status = "PENDING";
        int progress;
        String insertTime;
        String startTime;
        String endTime;
        String user;
        String errorCode;
        String errorMessage;
        com.fasterxml.jackson.databind.JsonNode errorDetails; // error.errors[0].errorDetails, or null
        /** The resource an injected failure names when it is not the target (attachDisk: the disk). */
        String subject;

        int httpErrorStatusCode;
        String httpErrorMessage;
        String description;
        final CompletableFuture<Void> done = new CompletableFuture<>();

        String key() {
            return zone == null ? project + "/global/" + name : project + "/" + zone + "/" + name;
        }

        String path() {
            return zone == null
                    ? "projects/" + project + "/global/operations/" + name
                    : Links.zonePath(project, zone) + "/operations/" + name;
        }
    }
}
