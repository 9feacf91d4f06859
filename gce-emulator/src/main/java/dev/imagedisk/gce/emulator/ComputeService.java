package dev.imagedisk.gce.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compute Engine's behaviour: records, validation, operations and their effects. Every record is
 * guarded by {@link #lock}; storage work (file copies, losetup) runs outside it, protected by the
 * reservations an accepted operation holds until it is DONE.
 */
final class ComputeService {
  private static final Logger log = LoggerFactory.getLogger(ComputeService.class);

  static final long GIB = 1L << 30;
  static final int MAX_ATTACHED_DISKS = 128;
  /**
   * Shared-core machine types attach at most 16 disks (boot disk included), the others 128:
   * Compute Engine, "About Persistent Disk" / machine types' disk limits ("Shared-core machine
   * types are limited to 16 Persistent Disk volumes").
   */
  static final int MAX_ATTACHED_DISKS_SHARED_CORE = 16;
  static final Set<String> SHARED_CORE = Set.of("e2-micro", "e2-small", "e2-medium", "f1-micro",
      "g1-small");
  /**
   * The longest {@code description} accepted. The Compute Engine REST reference documents no
   * limit for the field; 2048 characters is this emulator's assumption (see the README), so that a
   * caller writing whole 100,000-character names into descriptions fails here as it would there.
   */
  static final int MAX_DESCRIPTION = 2048;
  /**
   * Labels as documented in "Requirements for labels" (cloud.google.com/compute/docs/labeling-resources):
   * at most 64 per resource; keys 1-63 characters, starting with a lowercase letter (or an
   * international character), then lowercase letters, digits, underscores and dashes; values 0-63
   * of the same characters.
   */
  static final int MAX_LABELS = 64;
  private static final Pattern LABEL_KEY =
      Pattern.compile("[\\p{Ll}\\p{Lo}][\\p{Ll}\\p{Lo}\\p{Nd}_-]{0,62}");
  private static final Pattern LABEL_VALUE = Pattern.compile("[\\p{Ll}\\p{Lo}\\p{Nd}_-]{0,63}");
  static final String EMPTY_LABEL_FINGERPRINT = "42WmSpB8rSM=";
  private static final Pattern NAME = Pattern.compile("[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?");
  private static final String NAME_REGEX = "(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)";
  private static final Pattern ZONE = Pattern.compile("[a-z]+-[a-z]+[0-9]+-[a-z]");
  /*
   * min, max GB. pd-standard, pd-balanced and pd-ssd: Compute Engine accepts any whole size from
   * 1 GB. The capacity tables of "About Persistent Disk" print 10 GiB as the low end, but that is
   * not enforced by disks.insert: the GCE PD CSI driver's end-to-end tests create 5 GB
   * pd-standard/pd-balanced/pd-ssd disks on real Compute Engine (kubernetes-sigs/
   * gcp-compute-persistent-disk-csi-driver test/e2e/tests/single_zone_e2e_test.go,
   * defaultSizeGb = 5), and public scripts create 1 GB pd-ssd and pd-standard disks with gcloud
   * (which only warns that disks under 200 GB may perform poorly). hyperdisk-balanced: "Disk size
   * cannot be smaller than 4 GB for disk type hyperdisk-balanced" (same project, issue 2038).
   */
  private static final Map<String, long[]> DISK_TYPE_SIZES = Map.of(
      "pd-standard", new long[] {1, 65536},
      "pd-balanced", new long[] {1, 65536},
      "pd-ssd", new long[] {1, 65536},
      "pd-extreme", new long[] {500, 65536},
      "hyperdisk-balanced", new long[] {4, 65536},
      "hyperdisk-throughput", new long[] {2048, 32768},
      "hyperdisk-extreme", new long[] {64, 65536},
      "hyperdisk-ml", new long[] {4, 65536});

  final Object lock = new Object();
  private final Storage storage;
  private final Faults faults;
  private final ScheduledExecutorService scheduler;
  private final Path defaultDeviceDir;
  private volatile Duration waitTimeout;
  private volatile Links links;
  private volatile Runnable onChange = () -> {};

  private final Map<String, Model.Image> images = new LinkedHashMap<>();
  private final Map<String, Model.Disk> disks = new LinkedHashMap<>();
  private final Map<String, Model.Instance> instances = new LinkedHashMap<>();
  private final Map<String, Model.Operation> operations = new HashMap<>();
  private final Map<String, Model.Operation> requestIds = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Model.Operation> e) {
      return size() > 100_000;
    }
  };
  private long imageSequence;
  private volatile boolean closed;

  ComputeService(Storage storage, Faults faults, ScheduledExecutorService scheduler,
      Path defaultDeviceDir, Duration waitTimeout) {
    this.storage = storage;
    this.faults = faults;
    this.scheduler = scheduler;
    this.defaultDeviceDir = defaultDeviceDir;
    this.waitTimeout = waitTimeout;
  }

  void setLinks(Links links) {
    this.links = links;
  }

  Links links() {
    return links;
  }

  void setOnChange(Runnable onChange) {
    this.onChange = onChange;
  }

  void setWaitTimeout(Duration waitTimeout) {
    this.waitTimeout = waitTimeout;
  }

  Storage storage() {
    return storage;
  }

  static long newId() {
    return ThreadLocalRandom.current().nextLong(1_000_000_000_000_000_000L, Long.MAX_VALUE);
  }

  static String newOperationName() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return String.format("operation-%d-%013x-%08x-%08x", System.currentTimeMillis(),
        r.nextLong(1L << 52), r.nextInt() & 0xffffffffL, r.nextInt() & 0xffffffffL);
  }

  // ---------------------------------------------------------------------------------- images

  Model.Image registerImage(String project, String name, String family, Path file,
      Long diskSizeGb) throws IOException {
    checkName("image name", name);
    if (family != null) {
      checkName("image family", family);
    }
    synchronized (lock) {
      if (images.containsKey(project + "/" + name)) {
        throw GceException.alreadyExists(Links.imagePath(project, name));
      }
    }
    long size;
    long archive;
    Path stored = null;
    if (file != null) {
      long bytes = Files.size(file);
      size = Math.max(1, (bytes + GIB - 1) / GIB);
      archive = bytes;
      stored = storage.importImage(project, name, file);
    } else {
      size = diskSizeGb;
      archive = diskSizeGb * GIB;
    }
    Model.Image img = new Model.Image();
    img.project = project;
    img.name = name;
    img.family = family;
    img.id = newId();
    img.diskSizeGb = size;
    img.archiveSizeBytes = archive;
    img.creationTimestamp = Json.now();
    img.file = stored;
    synchronized (lock) {
      img.sequence = ++imageSequence;
      if (images.putIfAbsent(img.key(), img) != null) {
        throw GceException.alreadyExists(Links.imagePath(project, name));
      }
      // a DONE global operation, as images.insert leaves behind
      Model.Operation op = newOperation(project, null, "insert", links.image(project, name),
          img.id, null);
      op.status = "DONE";
      op.progress = 100;
      op.startTime = op.insertTime;
      op.endTime = Json.now();
      op.done.complete(null);
    }
    changed();
    return img;
  }

  void deprecateImage(String project, String name, String state) {
    synchronized (lock) {
      Model.Image img = image(project, name);
      img.deprecationState = state == null || state.equals("ACTIVE") ? null : state;
    }
    changed();
  }

  private Model.Image image(String project, String name) {
    Model.Image img = images.get(project + "/" + name);
    if (img == null) {
      throw GceException.notFound(Links.imagePath(project, name));
    }
    return img;
  }

  private Model.Image imageFromFamily(String project, String family) {
    Model.Image best = findImageFromFamily(project, family);
    if (best == null) {
      throw GceException.notFound("projects/" + project + "/global/images/family/" + family);
    }
    return best;
  }

  /** The newest READY image of the family that is not deprecated, or null. */
  private Model.Image findImageFromFamily(String project, String family) {
    Model.Image best = null;
    for (Model.Image img : images.values()) {
      if (img.project.equals(project) && family.equals(img.family)
          && img.deprecationState == null && img.status.equals("READY") && !img.deleting
          && (best == null || img.creationTimestamp.compareTo(best.creationTimestamp) > 0
              || (img.creationTimestamp.equals(best.creationTimestamp)
                  && img.sequence > best.sequence))) {
        best = img;
      }
    }
    return best;
  }

  /**
   * images.insert from {@code sourceDisk}: the image is PENDING until its global operation is
   * DONE (the disk's file copied, sparse), then READY. A disk attached READ_WRITE needs
   * {@code forceCreate=true}.
   */
  ObjectNode insertImage(String project, JsonNode body, Map<String, String> query) {
    String requestId = query.get("requestId");
    Model.Image img;
    Model.Disk source;
    Model.Operation op;
    synchronized (lock) {
      Model.Operation earlier = earlier(requestId);
      if (earlier != null) {
        return render(earlier);
      }
      if (body == null || !body.isObject()) {
        throw GceException.required("resource");
      }
      String name = Json.text(body, "name");
      if (name == null || name.isEmpty()) {
        throw GceException.required("resource.name");
      }
      if (!NAME.matcher(name).matches()) {
        throw GceException.invalidField("resource.name", name,
            "Must be a match of regex '" + NAME_REGEX + "'");
      }
      String family = Json.text(body, "family");
      if (family != null && !family.isEmpty() && !NAME.matcher(family).matches()) {
        throw GceException.invalidField("resource.family", family,
            "Must be a match of regex '" + NAME_REGEX + "'");
      }
      String description = checkDescription(body);
      Map<String, String> labels = checkLabels(body);
      List<String> locations = new ArrayList<>();
      JsonNode locs = body.get("storageLocations");
      if (locs != null && locs.isArray()) {
        for (JsonNode l : locs) {
          String loc = l.asText();
          if (!STORAGE_LOCATION.matcher(loc).matches()) {
            throw GceException.invalidField("resource.storageLocations", loc,
                "Invalid storage location.");
          }
          locations.add(loc);
        }
      }
      if (locations.size() > 1) {
        throw GceException.invalidField("resource.storageLocations", String.join(",", locations),
            "At most one storage location may be specified.");
      }
      String diskRef = Json.text(body, "sourceDisk");
      int sources = (diskRef == null || diskRef.isEmpty() ? 0 : 1)
          + (Json.text(body, "sourceImage") != null ? 1 : 0)
          + (Json.text(body, "sourceSnapshot") != null ? 1 : 0)
          + (body.has("rawDisk") ? 1 : 0);
      if (sources != 1) {
        throw GceException.invalid("Invalid resource usage: 'Must specify exactly one source for"
            + " an image.'");
      }
      if (diskRef == null) {
        throw GceException.invalid("The emulator makes images from disks (sourceDisk) only");
      }
      Links.Zonal ref = Links.zonal(diskRef, "disks", project, null);
      if (ref == null || ref.zone() == null) {
        throw GceException.invalidField("resource.sourceDisk", diskRef, "The URL is malformed.");
      }
      source = disks.get(ref.project() + "/" + ref.zone() + "/" + ref.name());
      if (source == null) {
        throw referenceNotFound("resource.sourceDisk", diskRef);
      }
      if (images.containsKey(project + "/" + name)) {
        throw GceException.alreadyExists(Links.imagePath(project, name));
      }
      if (!source.status.equals("READY")) {
        throw GceException.notReady(source.path());
      }
      boolean force = "true".equalsIgnoreCase(query.get("forceCreate"));
      if (!force) {
        for (String user : source.users) {
          if ("READ_WRITE".equals(attachmentMode(user, source.key()))) {
            throw GceException.inUse(source.path(), instancePathOf(user));
          }
        }
        for (Map.Entry<String, String> e : source.pendingAttach.entrySet()) {
          if ("READ_WRITE".equals(e.getValue())) {
            throw GceException.inUse(source.path(), instancePathOf(e.getKey()));
          }
        }
      }
      img = new Model.Image();
      img.project = project;
      img.name = name;
      img.id = newId();
      img.family = family == null || family.isEmpty() ? null : family;
      img.description = description;
      img.labels.putAll(labels);
      img.storageLocations.addAll(locations.isEmpty()
          ? List.of(defaultStorageLocation(source.zone)) : locations);
      img.diskSizeGb = source.sizeGb;
      img.archiveSizeBytes = 0;
      img.creationTimestamp = Json.now();
      img.sequence = ++imageSequence;
      img.status = "PENDING";
      img.sourceDiskProject = source.project;
      img.sourceDiskZone = source.zone;
      img.sourceDiskName = source.name;
      img.sourceDiskId = source.id;
      images.put(img.key(), img);
      source.readers.add(Links.imagePath(project, name));
      op = newOperation(project, null, "insert", links.image(project, name), img.id, requestId);
      op.method = "images.insert";
    }
    final Model.Image image = img;
    final Model.Disk disk = source;
    return launch(op, new Effect() {
      @Override
      public void run() throws IOException {
        Path file;
        synchronized (lock) {
          file = disk.file;
        }
        Storage.Captured captured = storage.captureImage(image.project, image.name, image.id, file);
        synchronized (lock) {
          disk.readers.remove(Links.imagePath(image.project, image.name));
          if (captured != null) {
            image.file = captured.file();
            image.archiveSizeBytes = captured.dataBytes();
          } else {
            image.archiveSizeBytes = image.diskSizeGb * GIB;
          }
          image.status = "READY";
        }
      }

      @Override
      public void abort() {
        disk.readers.remove(Links.imagePath(image.project, image.name));
        images.remove(image.key(), image);
      }
    });
  }

  ObjectNode deleteImage(String project, String name, Map<String, String> query) {
    String requestId = query.get("requestId");
    Model.Image img;
    Model.Operation op;
    synchronized (lock) {
      Model.Operation earlier = earlier(requestId);
      if (earlier != null) {
        return render(earlier);
      }
      img = image(project, name);
      if (!img.status.equals("READY") || img.deleting) {
        throw GceException.notReady(Links.imagePath(project, name));
      }
      img.deleting = true;
      op = newOperation(project, null, "delete", links.image(project, name), img.id, requestId);
      op.method = "images.delete";
    }
    final Model.Image image = img;
    return launch(op, new Effect() {
      @Override
      public void run() throws IOException {
        Path file;
        synchronized (lock) {
          file = image.file;
        }
        storage.deleteImage(file);
        synchronized (lock) {
          images.remove(image.key(), image);
        }
      }

      @Override
      public void abort() {
        image.deleting = false;
      }
    });
  }

  /** Compute Engine's default: the multi-region of the source's region (us, eu, asia). */
  static String defaultStorageLocation(String zone) {
    String region = zone.substring(0, zone.indexOf('-'));
    switch (region) {
      case "europe":
        return "eu";
      case "asia":
      case "australia":
        return "asia";
      default:
        return "us";
    }
  }

  private static final Pattern STORAGE_LOCATION = Pattern.compile("[a-z]+(?:-[a-z]+[0-9]+)?");


  ObjectNode getImage(String project, String name) {
    synchronized (lock) {
      return render(image(project, name));
    }
  }

  ObjectNode getImageFromFamily(String project, String family) {
    synchronized (lock) {
      return render(imageFromFamily(project, family));
    }
  }

  ObjectNode listImages(String project, Map<String, String> query) {
    synchronized (lock) {
      List<ObjectNode> items = new ArrayList<>();
      for (Model.Image img : images.values()) {
        if (img.project.equals(project)) {
          items.add(render(img));
        }
      }
      return Lists.page("compute#imageList", "projects/" + project + "/global/images",
          links.project(project) + "/global/images", items, query);
    }
  }

  // ----------------------------------------------------------------------------------- disks

  ObjectNode insertDisk(String project, String zone, JsonNode body, Map<String, String> query) {
    String requestId = query.get("requestId");
    Model.Disk disk;
    Model.Operation op;
    Model.Image img;
    Model.Disk cloneOf;
    synchronized (lock) {
      Model.Operation earlier = earlier(requestId);
      if (earlier != null) {
        return render(earlier);
      }
      checkZone(project, zone);
      if (body == null || !body.isObject()) {
        throw GceException.required("resource");
      }
      String name = Json.text(body, "name");
      if (name == null || name.isEmpty()) {
        throw GceException.required("resource.name");
      }
      if (!NAME.matcher(name).matches()) {
        throw GceException.invalidField("resource.name", name,
            "Must be a match of regex '" + NAME_REGEX + "'");
      }
      if (disks.containsKey(project + "/" + zone + "/" + name)) {
        throw GceException.alreadyExists(Links.diskPath(project, zone, name));
      }
      String sourceImage = Json.text(body, "sourceImage");
      if (sourceImage == null || sourceImage.isEmpty()) {
        sourceImage = query.get("sourceImage");
      }
      String sourceDiskRef = Json.text(body, "sourceDisk");
      boolean hasImage = sourceImage != null && !sourceImage.isEmpty();
      boolean hasDisk = sourceDiskRef != null && !sourceDiskRef.isEmpty();
      if (Json.text(body, "sourceSnapshot") != null) {
        throw GceException.invalid("The emulator supports disks from images, from disks or blank"
            + " disks only");
      }
      if (hasImage && hasDisk) {
        throw GceException.invalid("Invalid resource usage: 'Must specify at most one source for"
            + " a disk.'");
      }
      img = null;
      cloneOf = null;
      if (hasImage) {
        Links.ImageRef ref = Links.parseImage(sourceImage, project);
        if (ref == null) {
          throw GceException.invalidField("resource.sourceImage", sourceImage,
              "Must be a URL to a valid Compute resource of the correct type.");
        }
        img = ref.family() ? findImageFromFamily(ref.project(), ref.name())
            : images.get(ref.project() + "/" + ref.name());
        if (img == null) {
          throw referenceNotFound("resource.sourceImage", sourceImage);
        }
        if (!img.status.equals("READY")) {
          throw GceException.notReady(Links.imagePath(img.project, img.name));
        }
      }
      if (hasDisk) {
        Links.Zonal ref = Links.zonal(sourceDiskRef, "disks", project, zone);
        if (ref == null) {
          throw GceException.invalidField("resource.sourceDisk", sourceDiskRef,
              "The URL is malformed.");
        }
        cloneOf = disks.get(ref.project() + "/" + ref.zone() + "/" + ref.name());
        if (cloneOf == null || cloneOf.boot) {
          throw referenceNotFound("resource.sourceDisk", sourceDiskRef);
        }
        if (!ref.zone().equals(zone)) {
          throw GceException.invalidField("resource.sourceDisk", sourceDiskRef,
              "The source disk must be in the same zone as the new disk.");
        }
        if (!cloneOf.status.equals("READY")) {
          throw GceException.notReady(cloneOf.path());
        }
      }
      String type = "pd-standard";
      String typeRef = Json.text(body, "type");
      if (typeRef != null && !typeRef.isEmpty()) {
        Links.Zonal t = Links.zonal(typeRef, "diskTypes", project, zone);
        if (t == null) {
          throw GceException.invalidField("resource.type", typeRef,
              "Must be a URL to a valid Compute resource of the correct type.");
        }
        if (!DISK_TYPE_SIZES.containsKey(t.name()) || !t.zone().equals(zone)
            || !t.project().equals(project)) {
          throw GceException.notFound(Links.zonePath(t.project(), t.zone()) + "/diskTypes/"
              + t.name());
        }
        type = t.name();
      }
      Long size = Json.int64(body, "sizeGb");
      if (size == null) {
        size = img != null ? img.diskSizeGb : cloneOf != null ? cloneOf.sizeGb
            : (type.equals("pd-standard") ? 500 : 100);
      }
      if (img != null && size < img.diskSizeGb) {
        throw GceException.invalidField("resource.sizeGb", size,
            "Requested disk size cannot be smaller than the image size (" + img.diskSizeGb
                + " GB)");
      }
      if (cloneOf != null && size < cloneOf.sizeGb) {
        throw GceException.invalidField("resource.sizeGb", size,
            "Requested disk size cannot be smaller than the source disk size (" + cloneOf.sizeGb
                + " GB)");
      }
      checkSize("resource.sizeGb", type, size);
      String description = checkDescription(body);
      Map<String, String> labels = checkLabels(body);
      disk = new Model.Disk();
      disk.project = project;
      disk.zone = zone;
      disk.name = name;
      disk.id = newId();
      disk.creationTimestamp = Json.now();
      disk.description = description;
      disk.sizeGb = size;
      disk.type = type;
      if (img != null) {
        disk.sourceImageProject = img.project;
        disk.sourceImageName = img.name;
        disk.sourceImageId = img.id;
      }
      if (cloneOf != null) {
        disk.sourceDiskProject = cloneOf.project;
        disk.sourceDiskZone = cloneOf.zone;
        disk.sourceDiskName = cloneOf.name;
        disk.sourceDiskId = cloneOf.id;
        cloneOf.readers.add(disk.path());
      }
      JsonNode key = body.get("diskEncryptionKey");
      disk.kmsKeyName = key == null ? null : Json.text(key, "kmsKeyName");
      disk.provisionedIops = Json.int64(body, "provisionedIops");
      disk.provisionedThroughput = Json.int64(body, "provisionedThroughput");
      disk.labels.putAll(labels);
      disk.status = "CREATING";
      disks.put(disk.key(), disk);
      op = newOperation(project, zone, "insert", links.disk(project, zone, name), disk.id,
          requestId);
      op.method = "disks.insert";
    }
    final Model.Image source = img;
    final Model.Disk sourceDisk = cloneOf;
    return launch(op, new Effect() {
      @Override
      public void run() throws IOException {
        Path from = null;
        if (source != null) {
          from = source.file;
        } else if (sourceDisk != null) {
          synchronized (lock) {
            from = sourceDisk.file;
          }
        }
        Path file = storage.createDisk(disk.project, disk.zone, disk.name, disk.id,
            disk.sizeGb * GIB, from);
        synchronized (lock) {
          if (sourceDisk != null) {
            sourceDisk.readers.remove(disk.path());
          }
          disk.file = file;
          disk.status = "READY";
        }
      }

      @Override
      public void abort() {
        if (sourceDisk != null) {
          sourceDisk.readers.remove(disk.path());
        }
        disks.remove(disk.key(), disk);
      }
    });
  }

  private Model.Disk disk(String project, String zone, String name) {
    Model.Disk d = disks.get(project + "/" + zone + "/" + name);
    if (d == null) {
      throw GceException.notFound(Links.diskPath(project, zone, name));
    }
    return d;
  }

  ObjectNode getDisk(String project, String zone, String name) {
    synchronized (lock) {
      return render(disk(project, zone, name));
    }
  }

  ObjectNode listDisks(String project, String zone, Map<String, String> query) {
    synchronized (lock) {
      List<ObjectNode> items = new ArrayList<>();
      for (Model.Disk d : disks.values()) {
        if (d.project.equals(project) && d.zone.equals(zone)) {
          items.add(render(d));
        }
      }
      return Lists.page("compute#diskList", Links.zonePath(project, zone) + "/disks",
          links.zone(project, zone) + "/disks", items, query);
    }
  }

  ObjectNode aggregatedListDisks(String project, Map<String, String> query) {
    synchronized (lock) {
      Map<String, List<ObjectNode>> byZone = new java.util.TreeMap<>();
      for (Model.Disk d : disks.values()) {
        if (d.project.equals(project)) {
          byZone.computeIfAbsent("zones/" + d.zone, z -> new ArrayList<>()).add(render(d));
        }
      }
      return Lists.aggregatedPage("compute#diskAggregatedList", "projects/" + project + "/aggregated/disks",
          links.project(project) + "/aggregated/disks", "disks", byZone, query);
    }
  }

  ObjectNode deleteDisk(String project, String zone, String name, Map<String, String> query) {
    String requestId = query.get("requestId");
    Model.Disk disk;
    Model.Operation op;
    synchronized (lock) {
      Model.Operation earlier = earlier(requestId);
      if (earlier != null) {
        return render(earlier);
      }
      disk = disk(project, zone, name);
      if (!disk.users.isEmpty()) {
        throw GceException.inUse(disk.path(), instancePathOf(disk.users.get(0)));
      }
      if (!disk.pendingAttach.isEmpty()) {
        throw GceException.inUse(disk.path(),
            instancePathOf(disk.pendingAttach.keySet().iterator().next()));
      }
      if (!disk.readers.isEmpty()) {
        throw GceException.inUse(disk.path(), disk.readers.get(0));
      }
      if (!disk.status.equals("READY")) {
        throw GceException.notReady(disk.path());
      }
      disk.status = "DELETING";
      op = newOperation(project, zone, "delete", links.disk(project, zone, name), disk.id,
          requestId);
      op.method = "disks.delete";
    }
    return launch(op, new Effect() {
      @Override
      public void run() throws IOException {
        storage.deleteDisk(disk.file);
        synchronized (lock) {
          disks.remove(disk.key(), disk);
        }
      }

      @Override
      public void abort() {
        disk.status = "READY";
      }
    });
  }

  ObjectNode resizeDisk(String project, String zone, String name, JsonNode body,
      Map<String, String> query) {
    String requestId = query.get("requestId");
    Model.Disk disk;
    Model.Operation op;
    long newSize;
    synchronized (lock) {
      Model.Operation earlier = earlier(requestId);
      if (earlier != null) {
        return render(earlier);
      }
      Long size = Json.int64(body, "sizeGb");
      if (size == null) {
        throw GceException.required("sizeGb");
      }
      disk = disk(project, zone, name);
      if (!disk.status.equals("READY")) {
        throw GceException.notReady(disk.path());
      }
      if (size <= disk.sizeGb) {
        throw GceException.invalidField("sizeGb", size, "New disk size '" + size
            + "' GiB must be larger than existing size '" + disk.sizeGb + "' GiB.");
      }
      checkSize("sizeGb", disk.type, size);
      newSize = size;
      op = newOperation(project, zone, "resize", links.disk(project, zone, name), disk.id,
          requestId);
      op.method = "disks.resize";
    }
    return launch(op, new Effect() {
      @Override
      public void run() throws IOException {
        List<String> loops = new ArrayList<>();
        Path file;
        synchronized (lock) {
          file = disk.file;
          for (String user : disk.users) {
            Model.Instance inst = instances.get(user);
            if (inst != null) {
              for (Model.Attachment a : inst.disks) {
                if (a.diskKey.equals(disk.key()) && a.loopDevice != null) {
                  loops.add(a.loopDevice);
                }
              }
            }
          }
        }
        storage.resizeDisk(file, newSize * GIB, loops);
        synchronized (lock) {
          disk.sizeGb = Math.max(disk.sizeGb, newSize);
        }
      }

      @Override
      public void abort() {}
    });
  }

  private static void checkSize(String field, String type, long size) {
    long[] range = DISK_TYPE_SIZES.get(type);
    if (size < range[0]) {
      throw GceException.invalidField(field, size, "Disk size cannot be smaller than "
          + range[0] + " GB for disk type " + type + ".");
    }
    if (size > range[1]) {
      throw GceException.invalidField(field, size, "Disk size cannot be larger than "
          + range[1] + " GB for disk type " + type + ".");
    }
  }

  // ------------------------------------------------------------------------------- instances

  Model.Instance addInstance(String project, String zone, String name, String machineType,
      Path deviceDir) {
    checkName("instance name", name);
    if (!ZONE.matcher(zone).matches()) {
      throw new IllegalArgumentException("not a zone name: " + zone);
    }
    Model.Instance inst = new Model.Instance();
    inst.project = project;
    inst.zone = zone;
    inst.name = name;
    inst.id = newId();
    inst.creationTimestamp = Json.now();
    inst.machineType = machineType;
    inst.deviceDir = deviceDir;
    synchronized (lock) {
      if (instances.containsKey(inst.key())) {
        throw GceException.alreadyExists(inst.path());
      }
      // the boot disk: a record only, never backed by a file or a loop device
      Model.Disk boot = disks.get(project + "/" + zone + "/" + name);
      if (boot == null) {
        boot = new Model.Disk();
        boot.project = project;
        boot.zone = zone;
        boot.name = name;
        boot.id = newId();
        boot.creationTimestamp = inst.creationTimestamp;
        boot.sizeGb = 10;
        boot.type = "pd-balanced";
        boot.status = "READY";
        boot.boot = true;
        disks.put(boot.key(), boot);
      }
      if (boot.boot && boot.users.isEmpty()) {
        boot.users.add(inst.key());
        boot.lastAttachTimestamp = inst.creationTimestamp;
        Model.Attachment a = new Model.Attachment();
        a.diskKey = boot.key();
        a.deviceName = "persistent-disk-0";
        a.mode = "READ_WRITE";
        a.index = 0;
        a.boot = true;
        a.autoDelete = true;
        inst.disks.add(a);
      }
      instances.put(inst.key(), inst);
    }
    changed();
    return inst;
  }

  private Model.Instance instance(String project, String zone, String name) {
    Model.Instance i = instances.get(project + "/" + zone + "/" + name);
    if (i == null) {
      throw GceException.notFound(Links.instancePath(project, zone, name));
    }
    return i;
  }

  Model.Instance findInstance(String project, String zone, String name) {
    synchronized (lock) {
      return instances.get(project + "/" + zone + "/" + name);
    }
  }

  ObjectNode getInstance(String project, String zone, String name) {
    synchronized (lock) {
      return render(instance(project, zone, name));
    }
  }

  ObjectNode listInstances(String project, String zone, Map<String, String> query) {
    synchronized (lock) {
      List<ObjectNode> items = new ArrayList<>();
      for (Model.Instance i : instances.values()) {
        if (i.project.equals(project) && i.zone.equals(zone)) {
          items.add(render(i));
        }
      }
      return Lists.page("compute#instanceList", Links.zonePath(project, zone) + "/instances",
          links.zone(project, zone) + "/instances", items, query);
    }
  }

  private static final Pattern DEVICE_NAME = Pattern.compile("[a-z0-9](?:[-_a-z0-9]{0,61}[a-z0-9])?",
      Pattern.CASE_INSENSITIVE);

  ObjectNode attachDisk(String project, String zone, String instanceName, JsonNode body,
      Map<String, String> query) {
    String requestId = query.get("requestId");
    Model.Instance inst;
    Model.Disk disk;
    Model.Operation op;
    String deviceName;
    String mode;
    OperationFailure preset = null;
    synchronized (lock) {
      Model.Operation earlier = earlier(requestId);
      if (earlier != null) {
        return render(earlier);
      }
      inst = instance(project, zone, instanceName);
      String source = Json.text(body, "source");
      if (source == null || source.isEmpty()) {
        throw GceException.required("resource.source");
      }
      Links.Zonal ref = Links.zonal(source, "disks", project, zone);
      if (ref == null) {
        throw GceException.invalidField("resource.source", source,
            "Must be a URL to a valid Compute resource of the correct type.");
      }
      disk = disk(ref.project(), ref.zone(), ref.name());
      if (!ref.zone().equals(zone)) {
        throw GceException.invalidField("resource.source", source,
            "Disk must be in the same zone as the instance.");
      }
      if ("true".equalsIgnoreCase(query.get("forceAttach"))
          || Boolean.TRUE.equals(Json.bool(body, "forceAttach"))) {
        throw GceException.invalid("Force attach is only supported for regional disks. Disk '"
            + disk.path() + "' is a zonal disk.");
      }
      String type = Json.text(body, "type");
      if (type != null && !type.equals("PERSISTENT")) {
        throw GceException.invalidField("resource.type", type,
            "Only PERSISTENT disks can be attached to a running instance.");
      }
      mode = Json.text(body, "mode");
      if (mode == null || mode.isEmpty()) {
        mode = "READ_WRITE";
      }
      if (!mode.equals("READ_WRITE") && !mode.equals("READ_ONLY")) {
        throw GceException.invalidField("resource.mode", mode,
            "Must be one of [READ_ONLY, READ_WRITE].");
      }
      if (Boolean.TRUE.equals(Json.bool(body, "boot"))) {
        throw GceException.invalidField("resource.boot", "true",
            "A boot disk cannot be attached to a running instance.");
      }
      if (!disk.status.equals("READY")) {
        throw GceException.notReady(disk.path());
      }
      if (disk.boot) {
        throw GceException.inUse(disk.path(), instancePathOf(disk.users.isEmpty()
            ? inst.key() : disk.users.get(0)));
      }
      if (mode.equals("READ_ONLY") && disk.type.equals("hyperdisk-balanced")) {
        // cloud-forensics-utils PR 530 quotes Compute Engine's answer
        throw new GceException(400, "badRequest",
            "hyperdisk-balanced disk type cannot be attached in read-only mode.");
      }
      // Compute Engine accepts an attach that conflicts with the disk's users and fails the
      // operation with RESOURCE_IN_USE_BY_ANOTHER_RESOURCE (httpErrorStatusCode 200 or 400 have
      // both been seen; Faults.setInUseOperationHttpStatus picks)
      boolean here = disk.users.contains(inst.key()) || disk.pendingAttach.containsKey(inst.key());
      String conflict = here ? inst.key() : null;
      if (!here) {
        Map<String, String> others = new LinkedHashMap<>();
        for (String user : disk.users) {
          others.put(user, attachmentMode(user, disk.key()));
        }
        others.putAll(disk.pendingAttach);
        for (Map.Entry<String, String> e : others.entrySet()) {
          if (mode.equals("READ_WRITE") || "READ_WRITE".equals(e.getValue())) {
            conflict = e.getKey();
            break;
          }
        }
      }
      if (conflict != null) {
        preset = new OperationFailure("RESOURCE_IN_USE_BY_ANOTHER_RESOURCE",
            "The disk resource '" + disk.path() + "' is already being used by '"
                + instancePathOf(conflict) + "'", faults.inUseOperationHttpStatus());
      }
      deviceName = Json.text(body, "deviceName");
      if (deviceName == null || deviceName.isEmpty()) {
        deviceName = defaultDeviceName(inst);
      } else if (!DEVICE_NAME.matcher(deviceName).matches()) {
        throw GceException.invalidField("resource.deviceName", deviceName,
            "Must be a match of regex '[a-z0-9]([-_a-z0-9]{0,61}[a-z0-9])?'");
      }
      if (preset == null) {
        for (Model.Attachment a : inst.disks) {
          if (a.deviceName.equals(deviceName)) {
            throw GceException.invalidField("resource.deviceName", deviceName,
                "Device name '" + deviceName + "' is already in use on instance '"
                    + inst.path() + "'.");
          }
        }
        if (inst.pendingDevices.containsKey(deviceName)) {
          throw GceException.invalidField("resource.deviceName", deviceName,
              "Device name '" + deviceName + "' is already in use on instance '" + inst.path()
                  + "'.");
        }
        int limit = maxAttachedDisks(inst.machineType);
        if (inst.disks.size() + inst.pendingDevices.size() >= limit) {
          throw new GceException(400, "limitExceeded", "Exceeded limit 'maximum_persistent_disks'"
              + " on resource '" + inst.name + "'. Limit: " + limit + ".0");
        }
        disk.pendingAttach.put(inst.key(), mode);
        inst.pendingDevices.put(deviceName, disk.key());
      }
      op = newOperation(project, zone, "attachDisk", links.instance(project, zone, instanceName),
          inst.id, requestId);
      op.method = "instances.attachDisk";
    }
    if (preset != null) {
      return launch(op, preset, null);
    }
    final String dev = deviceName;
    final String attachMode = mode;
    final Model.Disk target = disk;
    final Model.Instance instance = inst;
    return launch(op, new Effect() {
      @Override
      public void run() throws IOException {
        Path file;
        synchronized (lock) {
          file = target.file;
        }
        Storage.Bound bound = storage.attach(file, attachMode.equals("READ_ONLY"),
            instance.deviceDir != null ? instance.deviceDir : defaultDeviceDir, dev);
        synchronized (lock) {
          abort();
          Model.Attachment a = new Model.Attachment();
          a.diskKey = target.key();
          a.deviceName = dev;
          a.mode = attachMode;
          a.index = nextIndex(instance);
          a.autoDelete = Boolean.TRUE.equals(Json.bool(body, "autoDelete"));
          if (bound != null) {
            a.loopDevice = bound.loopDevice();
            a.link = bound.link();
          }
          instance.disks.add(a);
          target.users.add(instance.key());
          target.lastAttachTimestamp = Json.now();
        }
      }

      @Override
      public void abort() {
        target.pendingAttach.remove(instance.key());
        instance.pendingDevices.remove(dev);
      }
    });
  }

  /** Disks (boot included) an instance of the machine type may have attached. */
  static int maxAttachedDisks(String machineType) {
    return machineType != null && SHARED_CORE.contains(machineType)
        ? MAX_ATTACHED_DISKS_SHARED_CORE : MAX_ATTACHED_DISKS;
  }

  private String attachmentMode(String instanceKey, String diskKey) {
    Model.Instance inst = instances.get(instanceKey);
    if (inst != null) {
      for (Model.Attachment a : inst.disks) {
        if (a.diskKey.equals(diskKey)) {
          return a.mode;
        }
      }
    }
    return "READ_WRITE";
  }

  /** The smallest index from 1 that no attached disk of the instance has. */
  private static int nextIndex(Model.Instance inst) {
    Set<Integer> used = new java.util.HashSet<>();
    for (Model.Attachment a : inst.disks) {
      used.add(a.index);
    }
    int i = 1;
    while (used.contains(i)) {
      i++;
    }
    return i;
  }

  /** Compute Engine's default device name: persistent-disk-N with the first free N. */
  private static String defaultDeviceName(Model.Instance inst) {
    Set<String> used = new java.util.HashSet<>(inst.pendingDevices.keySet());
    for (Model.Attachment a : inst.disks) {
      used.add(a.deviceName);
    }
    int i = nextIndex(inst);
    while (used.contains("persistent-disk-" + i)) {
      i++;
    }
    return "persistent-disk-" + i;
  }

  ObjectNode detachDisk(String project, String zone, String instanceName,
      Map<String, String> query) {
    String requestId = query.get("requestId");
    Model.Instance inst;
    Model.Attachment att;
    Model.Operation op;
    synchronized (lock) {
      Model.Operation earlier = earlier(requestId);
      if (earlier != null) {
        return render(earlier);
      }
      inst = instance(project, zone, instanceName);
      String deviceName = query.get("deviceName");
      if (deviceName == null || deviceName.isEmpty()) {
        throw GceException.required("deviceName");
      }
      att = null;
      for (Model.Attachment a : inst.disks) {
        if (a.deviceName.equals(deviceName)) {
          att = a;
        }
      }
      if (att == null) {
        throw GceException.invalid("No attached disk found with device name '" + deviceName
            + "'");
      }
      if (att.boot) {
        throw GceException.invalidField("deviceName", deviceName,
            "The boot disk of a running instance cannot be detached.");
      }
      boolean already = att.detaching;
      att.detaching = true;
      op = newOperation(project, zone, "detachDisk", links.instance(project, zone, instanceName),
          inst.id, requestId);
      op.method = "instances.detachDisk";
      if (already) {
        return launch(op, new Effect() {
          @Override
          public void run() {}

          @Override
          public void abort() {}
        });
      }
    }
    final Model.Attachment a = att;
    final Model.Instance instance = inst;
    return launch(op, new Effect() {
      @Override
      public void run() throws IOException {
        Storage.Bound bound = a.loopDevice == null ? null : new Storage.Bound(a.loopDevice, a.link);
        storage.detach(bound);
        synchronized (lock) {
          instance.disks.remove(a);
          Model.Disk d = disks.get(a.diskKey);
          if (d != null) {
            d.users.remove(instance.key());
            d.lastDetachTimestamp = Json.now();
          }
        }
      }

      @Override
      public void abort() {
        a.detaching = false;
      }
    });
  }

  // ------------------------------------------------------------------------------ operations

  /** What an operation does when it completes; {@link #abort} runs under the lock. */
  interface Effect {
    void run() throws Exception;

    void abort();
  }

  private Model.Operation earlier(String requestId) {
    if (requestId == null || requestId.isEmpty()) {
      return null;
    }
    return requestIds.get(requestId);
  }

  private Model.Operation newOperation(String project, String zone, String type,
      String targetLink, long targetId, String requestId) {
    Model.Operation op = new Model.Operation();
    op.project = project;
    op.zone = zone;
    op.name = newOperationName();
    op.id = newId();
    op.operationType = type;
    op.targetLink = targetLink;
    op.targetId = targetId;
    op.insertTime = Json.now();
    op.user = "imagedisk-emulator@" + project + ".iam.gserviceaccount.com";
    operations.put(op.key(), op);
    if (requestId != null && !requestId.isEmpty()) {
      requestIds.put(requestId, op);
    }
    return op;
  }

  private ObjectNode launch(Model.Operation op, Effect effect) {
    return launch(op, faults.takeOperationFailure(op.operationType, op.method), effect);
  }

  private ObjectNode launch(Model.Operation op, OperationFailure failure, Effect effect) {
    Duration d = faults.operationDuration();
    if (d.isZero() || closed) {
      complete(op, failure, effect);
    } else {
      long nanos = d.toNanos();
      scheduler.schedule(() -> markRunning(op), nanos / 2, TimeUnit.NANOSECONDS);
      scheduler.schedule(() -> complete(op, failure, effect), nanos, TimeUnit.NANOSECONDS);
    }
    synchronized (lock) {
      return render(op);
    }
  }

  private void markRunning(Model.Operation op) {
    synchronized (lock) {
      if (op.status.equals("PENDING")) {
        op.status = "RUNNING";
        op.startTime = Json.now();
      }
    }
  }

  private void complete(Model.Operation op, OperationFailure failure, Effect effect) {
    markRunning(op);
    OperationFailure error = failure;
    if (error == null && effect != null) {
      try {
        effect.run();
      } catch (OperationFailure f) {
        error = f;
      } catch (Exception e) {
        log.warn("operation {} {} failed", op.operationType, op.targetLink, e);
        error = new OperationFailure("INTERNAL_ERROR", "Internal error: " + e.getMessage(), 500);
      }
    }
    synchronized (lock) {
      if (error != null) {
        if (effect != null) {
          effect.abort();
        }
        op.errorCode = error.code;
        op.errorMessage = error.getMessage();
        op.httpErrorStatusCode = error.httpStatus;
        op.httpErrorMessage = error.httpStatus > 0 ? Faults.httpStatusMessage(error.httpStatus)
            : null;
      }
      op.status = "DONE";
      op.progress = 100;
      op.endTime = Json.now();
    }
    op.done.complete(null);
    changed();
  }

  private Model.Operation operation(String project, String zone, String name) {
    String key = zone == null ? project + "/global/" + name : project + "/" + zone + "/" + name;
    Model.Operation op = operations.get(key);
    if (op == null) {
      throw GceException.notFound(zone == null
          ? "projects/" + project + "/global/operations/" + name
          : Links.zonePath(project, zone) + "/operations/" + name);
    }
    return op;
  }

  ObjectNode getOperation(String project, String zone, String name) {
    synchronized (lock) {
      return render(operation(project, zone, name));
    }
  }

  ObjectNode waitOperation(String project, String zone, String name) {
    Model.Operation op;
    synchronized (lock) {
      op = operation(project, zone, name);
    }
    try {
      op.done.get(waitTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      // like Compute Engine: return the operation as it is when the wait runs out
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
    synchronized (lock) {
      return render(op);
    }
  }

  void deleteOperation(String project, String zone, String name) {
    synchronized (lock) {
      Model.Operation op = operation(project, zone, name);
      operations.remove(op.key());
    }
  }

  ObjectNode listOperations(String project, String zone, Map<String, String> query) {
    synchronized (lock) {
      List<Model.Operation> ops = new ArrayList<>();
      for (Model.Operation op : operations.values()) {
        if (op.project.equals(project) && java.util.Objects.equals(op.zone, zone)) {
          ops.add(op);
        }
      }
      ops.sort(Comparator.comparing((Model.Operation o) -> o.insertTime)
          .thenComparing(o -> o.name));
      List<ObjectNode> items = new ArrayList<>();
      for (Model.Operation op : ops) {
        items.add(render(op));
      }
      String path = zone == null ? "projects/" + project + "/global/operations"
          : Links.zonePath(project, zone) + "/operations";
      return Lists.page("compute#operationList", path, links.api() + path, items, query);
    }
  }

  // ------------------------------------------------------------------------------- rendering

  ObjectNode render(Model.Image img) {
    ObjectNode n = Json.object();
    n.put("kind", "compute#image");
    Json.putInt64(n, "id", img.id);
    n.put("creationTimestamp", img.creationTimestamp);
    n.put("name", img.name);
    if (img.description != null) {
      n.put("description", img.description);
    }
    n.put("sourceType", "RAW");
    n.put("status", img.status);
    Json.putInt64(n, "archiveSizeBytes", img.archiveSizeBytes);
    Json.putInt64(n, "diskSizeGb", img.diskSizeGb);
    if (img.sourceDiskName != null) {
      n.put("sourceDisk", links.disk(img.sourceDiskProject, img.sourceDiskZone,
          img.sourceDiskName));
      Json.putInt64(n, "sourceDiskId", img.sourceDiskId);
    }
    if (img.family != null) {
      n.put("family", img.family);
    }
    n.put("selfLink", links.image(img.project, img.name));
    if (!img.labels.isEmpty()) {
      ObjectNode labels = n.putObject("labels");
      img.labels.forEach(labels::put);
    }
    n.put("labelFingerprint", labelFingerprint(img.labels));
    ArrayNode locs = n.putArray("storageLocations");
    if (img.storageLocations.isEmpty()) {
      locs.add("us");
    } else {
      img.storageLocations.forEach(locs::add);
    }
    n.put("architecture", "X86_64");
    if (img.deprecationState != null) {
      n.putObject("deprecated").put("state", img.deprecationState);
    }
    return n;
  }

  ObjectNode render(Model.Disk d) {
    ObjectNode n = Json.object();
    n.put("kind", "compute#disk");
    Json.putInt64(n, "id", d.id);
    n.put("creationTimestamp", d.creationTimestamp);
    n.put("name", d.name);
    if (d.description != null) {
      n.put("description", d.description);
    }
    Json.putInt64(n, "sizeGb", d.sizeGb);
    n.put("zone", links.zone(d.project, d.zone));
    n.put("status", d.status);
    n.put("selfLink", links.disk(d.project, d.zone, d.name));
    if (d.sourceImageName != null) {
      n.put("sourceImage", links.image(d.sourceImageProject, d.sourceImageName));
      Json.putInt64(n, "sourceImageId", d.sourceImageId);
    }
    if (d.sourceDiskName != null) {
      n.put("sourceDisk", links.disk(d.sourceDiskProject, d.sourceDiskZone, d.sourceDiskName));
      Json.putInt64(n, "sourceDiskId", d.sourceDiskId);
    }
    n.put("type", links.diskType(d.project, d.zone, d.type));
    if (!d.labels.isEmpty()) {
      ObjectNode labels = n.putObject("labels");
      d.labels.forEach(labels::put);
    }
    n.put("labelFingerprint", labelFingerprint(d.labels));
    if (d.lastAttachTimestamp != null) {
      n.put("lastAttachTimestamp", d.lastAttachTimestamp);
    }
    if (d.lastDetachTimestamp != null) {
      n.put("lastDetachTimestamp", d.lastDetachTimestamp);
    }
    if (!d.users.isEmpty()) {
      ArrayNode users = n.putArray("users");
      for (String u : d.users) {
        users.add(links.api() + instancePathOf(u));
      }
    }
    if (d.kmsKeyName != null) {
      n.putObject("diskEncryptionKey").put("kmsKeyName", d.kmsKeyName);
    }
    if (d.provisionedIops != null) {
      Json.putInt64(n, "provisionedIops", d.provisionedIops);
    }
    if (d.provisionedThroughput != null) {
      Json.putInt64(n, "provisionedThroughput", d.provisionedThroughput);
    }
    Json.putInt64(n, "physicalBlockSizeBytes", 4096);
    n.put("architecture", "X86_64");
    return n;
  }

  ObjectNode render(Model.Instance i) {
    ObjectNode n = Json.object();
    n.put("kind", "compute#instance");
    Json.putInt64(n, "id", i.id);
    n.put("creationTimestamp", i.creationTimestamp);
    n.put("name", i.name);
    n.put("machineType", links.machineType(i.project, i.zone, i.machineType));
    n.put("status", "RUNNING");
    n.put("zone", links.zone(i.project, i.zone));
    ArrayNode arr = n.putArray("disks");
    List<Model.Attachment> sorted = new ArrayList<>(i.disks);
    sorted.sort(Comparator.comparingInt(a -> a.index));
    for (Model.Attachment a : sorted) {
      ObjectNode ad = arr.addObject();
      ad.put("kind", "compute#attachedDisk");
      ad.put("type", "PERSISTENT");
      ad.put("mode", a.mode);
      String[] k = a.diskKey.split("/", 3);
      ad.put("source", links.disk(k[0], k[1], k[2]));
      ad.put("deviceName", a.deviceName);
      ad.put("index", a.index);
      ad.put("boot", a.boot);
      ad.put("autoDelete", a.autoDelete);
      ad.put("interface", "SCSI");
      Model.Disk d = disks.get(a.diskKey);
      if (d != null) {
        Json.putInt64(ad, "diskSizeGb", d.sizeGb);
      }
    }
    n.put("selfLink", links.instance(i.project, i.zone, i.name));
    n.put("cpuPlatform", "Intel Broadwell");
    n.put("labelFingerprint", EMPTY_LABEL_FINGERPRINT);
    n.put("fingerprint", fingerprint(i.key() + i.disks.size()));
    n.put("deletionProtection", false);
    n.put("canIpForward", false);
    return n;
  }

  ObjectNode render(Model.Operation op) {
    ObjectNode n = Json.object();
    n.put("kind", "compute#operation");
    Json.putInt64(n, "id", op.id);
    n.put("name", op.name);
    if (op.zone != null) {
      n.put("zone", links.zone(op.project, op.zone));
    }
    n.put("operationType", op.operationType);
    n.put("targetLink", op.targetLink);
    Json.putInt64(n, "targetId", op.targetId);
    n.put("status", op.status);
    n.put("user", op.user);
    n.put("progress", op.progress);
    n.put("insertTime", op.insertTime);
    if (op.startTime != null) {
      n.put("startTime", op.startTime);
    }
    if (op.endTime != null) {
      n.put("endTime", op.endTime);
    }
    if (op.errorCode != null) {
      ObjectNode err = n.putObject("error");
      ObjectNode e0 = err.putArray("errors").addObject();
      e0.put("code", op.errorCode);
      e0.put("message", op.errorMessage);
    }
    if (op.httpErrorStatusCode > 0) {
      n.put("httpErrorStatusCode", op.httpErrorStatusCode);
      n.put("httpErrorMessage", op.httpErrorMessage);
    }
    n.put("selfLink", op.zone == null ? links.globalOperation(op.project, op.name)
        : links.zoneOperation(op.project, op.zone, op.name));
    return n;
  }

  static String instancePathOf(String instanceKey) {
    String[] k = instanceKey.split("/", 3);
    return Links.instancePath(k[0], k[1], k[2]);
  }

  static String labelFingerprint(Map<String, String> labels) {
    if (labels.isEmpty()) {
      return EMPTY_LABEL_FINGERPRINT;
    }
    return fingerprint(new TreeMap<>(labels).toString());
  }

  static String fingerprint(String s) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(h, 8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // -------------------------------------------------------------------------------- helpers

  private static void checkZone(String project, String zone) {
    if (!ZONE.matcher(zone).matches()) {
      throw GceException.notFound(Links.zonePath(project, zone));
    }
  }

  /**
   * A source (image or disk) named in a request that does not exist: Compute Engine answers 400
   * {@code invalid}, not 404 (e.g. "Invalid value for field 'resource.sourceDisk': '...'.
   * Referenced resource was not found.", hashicorp/packer issue 1877).
   */
  static GceException referenceNotFound(String field, String ref) {
    return GceException.invalidField(field, ref, "Referenced resource was not found.");
  }

  private static String checkDescription(JsonNode body) {
    String d = Json.text(body, "description");
    if (d != null && d.length() > MAX_DESCRIPTION) {
      throw GceException.invalid("Invalid value for field 'resource.description': the description"
          + " is " + d.length() + " characters long; it must be at most " + MAX_DESCRIPTION
          + " characters.");
    }
    return d;
  }

  /** The request's labels, validated as Compute Engine does. */
  static Map<String, String> checkLabels(JsonNode body) {
    Map<String, String> out = new LinkedHashMap<>();
    JsonNode labels = body == null ? null : body.get("labels");
    if (labels == null || labels.isNull()) {
      return out;
    }
    if (!labels.isObject()) {
      throw GceException.invalidField("resource.labels", labels.toString(),
          "Labels must be a map of strings.");
    }
    if (labels.size() > MAX_LABELS) {
      throw GceException.invalidField("resource.labels", "", "Too many labels: " + labels.size()
          + ". A resource can have at most " + MAX_LABELS + " labels.");
    }
    for (Map.Entry<String, JsonNode> e : labels.properties()) {
      String k = e.getKey();
      String v = e.getValue().isNull() ? "" : e.getValue().asText();
      if (!LABEL_KEY.matcher(k).matches()) {
        throw GceException.invalidField("resource.labels", "", "Label key '" + k + "' violates"
            + " format constraints. The key must start with a lowercase character, can only"
            + " contain lowercase letters, numeric characters, underscores and dashes. The key can"
            + " be at most 63 characters long. International characters are allowed.");
      }
      if (!LABEL_VALUE.matcher(v).matches()) {
        throw GceException.invalidField("resource.labels", "", "Label value '" + v + "' violates"
            + " format constraints. The value can only contain lowercase letters, numeric"
            + " characters, underscores and dashes. The value can be at most 63 characters long."
            + " International characters are allowed.");
      }
      out.put(k, v);
    }
    return out;
  }

  private static void checkName(String what, String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(what + " must match " + NAME_REGEX + ": " + name);
    }
  }

  private void changed() {
    onChange.run();
  }

  // --------------------------------------------------------------------- emulator-side access

  /** Marks the service closed and releases every waiter. */
  void close() {
    closed = true;
    List<Model.Operation> ops;
    synchronized (lock) {
      ops = new ArrayList<>(operations.values());
    }
    for (Model.Operation op : ops) {
      op.done.complete(null);
    }
  }

  Model.Disk findDisk(String project, String zone, String name) {
    synchronized (lock) {
      return disks.get(project + "/" + zone + "/" + name);
    }
  }

  Model.Attachment findAttachment(String project, String zone, String instance,
      String deviceName) {
    synchronized (lock) {
      Model.Instance inst = instances.get(project + "/" + zone + "/" + instance);
      if (inst != null) {
        for (Model.Attachment a : inst.disks) {
          if (a.deviceName.equals(deviceName)) {
            return a;
          }
        }
      }
      return null;
    }
  }

  /** Applies {@code f} to the records under the lock (state file, snapshots). */
  <T> T withRecords(Function<Records, T> f) {
    synchronized (lock) {
      return f.apply(new Records(images, disks, instances));
    }
  }

  record Records(Map<String, Model.Image> images, Map<String, Model.Disk> disks,
      Map<String, Model.Instance> instances) {}

  void restore(List<Model.Image> imgs, List<Model.Disk> ds, List<Model.Instance> insts) {
    synchronized (lock) {
      for (Model.Image i : imgs) {
        images.put(i.key(), i);
        imageSequence = Math.max(imageSequence, i.sequence);
      }
      for (Model.Disk d : ds) {
        disks.put(d.key(), d);
      }
      for (Model.Instance i : insts) {
        instances.put(i.key(), i);
      }
      for (Iterator<Model.Disk> it = disks.values().iterator(); it.hasNext(); ) {
        Model.Disk d = it.next();
        d.users.removeIf(u -> !instances.containsKey(u));
      }
    }
  }
}
