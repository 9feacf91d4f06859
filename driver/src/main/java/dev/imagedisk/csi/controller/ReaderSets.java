package dev.imagedisk.csi.controller;

import static dev.imagedisk.csi.server.CsiErrors.aborted;
import static dev.imagedisk.csi.server.CsiErrors.failedPrecondition;
import static dev.imagedisk.csi.server.CsiErrors.invalidArgument;
import static dev.imagedisk.csi.server.CsiErrors.notFound;
import static dev.imagedisk.csi.server.CsiErrors.unavailable;

import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.ComputeCloud;
import dev.imagedisk.csi.cloud.Disk;
import dev.imagedisk.csi.cloud.DiskRef;
import dev.imagedisk.csi.cloud.DiskSpec;
import dev.imagedisk.csi.cloud.InstanceRef;
import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.common.Futures;
import dev.imagedisk.csi.common.Scheduler;
import dev.imagedisk.csi.contract.Keys;
import dev.imagedisk.csi.contract.ReaderSetId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reader sets: a ReadOnlyMany volume ({@code replicas: on-demand}) served by read-only disks, all made from the one
 * concrete image CreateVolume resolved, as many per zone as its readers need. CreateVolume makes the set's first
 * disk (named as the set, {@link VolumeProvisioner}); ControllerPublishVolume to a node in zone Z attaches it
 * read-only to a disk of the set in Z that has reader room, first creating one when none has (the next free index,
 * {@link ReaderSetId#diskName}: a retry after a crash finds the disk, and the insert's request id is the disk's path,
 * so it is one disk, never two). This controller sends that insert once per disk: the publishes that need the disk
 * while it is being made, or find it CREATING, wait for the one creation (a disk an earlier controller inserted, by
 * reads scheduled on the {@link Scheduler}), never insert it again. Every disk carries the set's label and its layout (zones, readers per disk, what the
 * type takes at creation) in its description, so any one of them is enough to make the next.
 *
 * <p>Reader room: a disk serves at most {@code max-readers-per-disk} nodes, counting the nodes Compute Engine lists
 * and the attaches this controller has in flight or finished since the listing began. Publishes of one set that
 * arrive while its disks are being listed share that listing (one disks.aggregatedList per burst of readers). Paced types (Hyperdisk ML, 100 attaches per disk per 30 s) take a
 * slot of {@link AttachPace} per attach: a publish whose slot is near waits on a timer, one whose slot is further away
 * than it may wait is answered UNAVAILABLE (retryable), never an error. Compute Engine's own refusals (reader cap,
 * rate) are answered ABORTED or UNAVAILABLE: a retry picks again.
 */
public final class ReaderSets {
    private static final Logger LOG = LoggerFactory.getLogger(ReaderSets.class);

    /** A set as Compute Engine shows it: its disks (any zone, index order) and its layout. */
    public record View(ReaderSetId id, List<Disk> disks, DiskDescription.SetLayout layout) {
        public View {
            disks = List.copyOf(disks);
        }

        /** The disk every other is made like: the first in index order. */
        public Disk template() {
            return disks.get(0);
        }

        /** Every node the set's disks are attached to, in disk order. */
        public List<InstanceRef> readers() {
            Set<InstanceRef> all = new LinkedHashSet<>();
            disks.forEach(d -> all.addAll(d.users()));
            return List.copyOf(all);
        }
    }

    private final ComputeCloud cloud;
    private final String project;
    private final AttachPace pace;
    private final Duration maxPaceWait;
    private final DiskReadiness readiness;
    private final Scheduler scheduler;
    /** Attaches this controller has in flight, by disk: they count against the disk's reader room. */
    private final Map<DiskRef, Set<InstanceRef>> attaching = new HashMap<>();
    /**
     * Per disk this controller made or waited for: the one future, shared by every publish that needs the disk, that
     * completes when it is READY (true when this controller's insert made it). The only disks.insert of a disk is the
     * one that put its future here; a publish that finds the disk CREATING joins the future, or when there is none
     * (made by an earlier controller) starts one that reads the disk until it is READY. Kept once READY, so a listing
     * begun before the disk was made or became READY sends no insert either; dropped when it fails (a retry starts
     * anew) and when the set is deleted.
     */
    private final Map<DiskRef, CompletableFuture<Boolean>> made = new HashMap<>();
    /** Attaches this controller finished lately, by disk: node and when (clock nanos), for listings begun before. */
    private final Map<DiskRef, Map<InstanceRef, Long>> attached = new HashMap<>();
    /** Listings under way, shared by the publishes that arrive meanwhile. */
    private final Map<ReaderSetId, CompletableFuture<Listing>> listings = new HashMap<>();

    private final java.util.function.LongSupplier clock = System::nanoTime;

    /** A set as listed, and when the listing began. */
    private record Listing(long startedNanos, Optional<View> view) {}

    /** How long a finished attach is remembered for listings that began before it. */
    private static final long REMEMBER_NANOS = Duration.ofMinutes(2).toNanos();

    /**
     * @param pace the attach pace of paced types (Hyperdisk ML)
     * @param maxPaceWait the longest a publish waits for its attach slot (never past its call's deadline)
     * @param scheduler where reads of a disk still CREATING are scheduled (no thread waits)
     * @param readyTimeout the longest a publish waits for a disk CREATING to become READY
     */
    public ReaderSets(
            ComputeCloud cloud,
            String project,
            AttachPace pace,
            Duration maxPaceWait,
            Scheduler scheduler,
            Duration readyTimeout) {
        this.cloud = cloud;
        this.project = project;
        this.pace = pace;
        this.maxPaceWait = maxPaceWait;
        this.readiness = new DiskReadiness(cloud, scheduler, readyTimeout);
        this.scheduler = scheduler;
    }

    /** The set's disks and layout (one disks.aggregatedList); empty when it has no disk (deleted, or never made). */
    public Optional<View> get(ReaderSetId id) {
        if (!id.project().equals(project)) {
            return Optional.empty();
        }
        return view(id, cloud.listDisks(labels(id)));
    }

    /** The sets among {@code disks} (those carrying a set label), in id order. */
    public static List<View> group(String project, List<Disk> disks) {
        Map<String, List<Disk>> bySet = new java.util.TreeMap<>();
        for (Disk d : disks) {
            String set = d.labels().get(Keys.READER_SET_LABEL_KEY);
            if (set != null && d.ref().project().equals(project)) {
                bySet.computeIfAbsent(set, s -> new ArrayList<>()).add(d);
            }
        }
        List<View> views = new ArrayList<>();
        bySet.forEach((name, members) -> {
            try {
                view(new ReaderSetId(project, name), members).ifPresent(views::add);
            } catch (IllegalArgumentException notOurs) {
                // a label value that names no set
            }
        });
        return views;
    }

    private static Optional<View> view(ReaderSetId id, List<Disk> listed) {
        List<Disk> members = listed.stream()
                .filter(d -> id.name().equals(d.labels().get(Keys.READER_SET_LABEL_KEY)))
                .filter(d -> id.indexOf(d.ref().name()) > 0)
                .sorted(Comparator.comparingInt((Disk d) -> id.indexOf(d.ref().name()))
                        .thenComparing(d -> d.ref().zone()))
                .toList();
        Optional<DiskDescription.SetLayout> layout = members.stream()
                .map(d -> DiskDescription.setLayout(d.description()))
                .flatMap(Optional::stream)
                .findFirst();
        if (members.isEmpty() || layout.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new View(id, members, layout.get()));
    }

    private static Map<String, String> labels(ReaderSetId id) {
        return Map.of(Keys.MANAGED_LABEL_KEY, Keys.MANAGED_LABEL_VALUE, Keys.READER_SET_LABEL_KEY, id.name());
    }

    // ----------------------------------------------------------------------------------------------- publish

    /** How a publish makes its disk ready: not at all (READY), by the set's one insert, or by reading it. */
    private enum Start {
        NONE,
        INSERT,
        READ
    }

    /**
     * What a publish decided under the lock: the disk, the future it waits for before attaching (null: the disk is
     * READY), and what this call starts to complete that future ({@link Start#NONE}: another publish did).
     */
    private record Choice(DiskRef disk, CompletableFuture<Boolean> ready, Start start) {}

    /** Attaches a disk of the set in the node's zone read-only to the node; returns the publish context. */
    public CompletableFuture<Map<String, String>> publishAsync(ReaderSetId id, InstanceRef node, boolean readOnly) {
        return Futures.compose(() -> {
            if (!readOnly) {
                throw invalidArgument(
                        "volume_capability: volume %s is a reader set (replicas: on-demand), read-only on every node;"
                                + " publish it read-only",
                        id);
            }
            CallDeadline call = CallDeadline.current();
            return listing(id).thenCompose(l -> CallDeadline.within(call, () -> publish(id, node, l)));
        });
    }

    /**
     * The set's disks for a publish: a listing that is under way when the publish arrives is shared (a burst of
     * readers costs one disks.aggregatedList, not one each), else a new one. What this controller attached after a
     * listing began is counted by {@link #choose} from memory.
     */
    private CompletableFuture<Listing> listing(ReaderSetId id) {
        CompletableFuture<Listing> mine;
        synchronized (this) {
            CompletableFuture<Listing> running = listings.get(id);
            if (running != null) {
                return running;
            }
            mine = new CompletableFuture<>();
            listings.put(id, mine);
        }
        try {
            mine.complete(new Listing(clock.getAsLong(), get(id)));
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
        } finally {
            synchronized (this) {
                listings.remove(id, mine);
            }
        }
        return mine;
    }

    private CompletableFuture<Map<String, String>> publish(ReaderSetId id, InstanceRef node, Listing listing) {
        return Futures.compose(() -> {
            View set = listing.view().orElseThrow(() -> notFound("volume %s does not exist", id));
            for (Disk d : set.disks()) {
                if (d.users().contains(node)) {
                    return CompletableFuture.completedFuture(context(d.ref()));
                }
            }
            String zone = node.zone();
            if (!set.layout().zones().contains(zone) || !node.project().equals(id.project())) {
                throw failedPrecondition(
                        "volume %s serves zones %s; node %s is in zone %s",
                        id, String.join(", ", set.layout().zones()), node, zone);
            }
            Choice choice = choose(set, node, listing.startedNanos());
            start(set, choice);
            CallDeadline call = CallDeadline.current();
            CompletableFuture<Map<String, String>> attached = choice.ready() == null
                    ? Futures.compose(() -> attach(set, choice.disk(), node))
                    // each waiting publish attaches on a step of its own, not one after another on the thread that
                    // completes the shared creation
                    : choice.ready()
                            .thenComposeAsync(
                                    made -> CallDeadline.within(call, () -> attach(set, choice.disk(), node)),
                                    scheduler);
            return attached.whenComplete((ok, failure) -> release(choice, node));
        });
    }

    /**
     * Picks the disk of {@code node}'s zone with reader room, in index order (disks being made count, with the
     * attaches in flight), or the next free index when none has room; takes the node's place on it.
     */
    private synchronized Choice choose(View set, InstanceRef node, long listedAt) {
        String zone = node.zone();
        int cap = set.layout().maxReaders();
        Map<DiskRef, Disk> inZone = new java.util.LinkedHashMap<>();
        for (Disk d : set.disks()) {
            if (d.ref().zone().equals(zone)) {
                inZone.put(d.ref(), d);
            }
        }
        Set<Integer> taken = new HashSet<>();
        List<DiskRef> candidates = new ArrayList<>();
        for (Disk d : inZone.values()) {
            taken.add(set.id().indexOf(d.ref().name()));
            if (d.ready() || d.inProgress()) {
                candidates.add(d.ref());
            }
        }
        for (DiskRef c : made.keySet()) {
            if (c.zone().equals(zone) && set.id().indexOf(c.name()) > 0 && !inZone.containsKey(c)) {
                taken.add(set.id().indexOf(c.name()));
                candidates.add(c);
            }
        }
        candidates.sort(Comparator.comparingInt(r -> set.id().indexOf(r.name())));
        DiskRef pick = null;
        for (DiskRef c : candidates) {
            Set<InstanceRef> holders = new HashSet<>(attaching.getOrDefault(c, Set.of()));
            // attached by this controller since the listing began: not in it yet
            attached.getOrDefault(c, Map.of()).forEach((n, at) -> {
                if (at - listedAt >= 0) {
                    holders.add(n);
                }
            });
            Disk listed = inZone.get(c);
            if (listed != null) {
                holders.addAll(listed.users());
            }
            if (holders.size() < cap) {
                pick = c;
                break;
            }
        }
        Start start = Start.NONE;
        CompletableFuture<Boolean> ready = null;
        if (pick == null) {
            int k = 1;
            while (taken.contains(k)) {
                k++;
            }
            pick = new DiskRef(set.id().project(), zone, set.id().diskName(k));
            ready = new CompletableFuture<>();
            made.put(pick, ready);
            start = Start.INSERT;
            LOG.info(
                    "volume {}: no disk in zone {} has reader room (at most {} readers each); creating {}",
                    set.id(),
                    zone,
                    cap,
                    pick);
        } else {
            Disk listed = inZone.get(pick);
            ready = made.get(pick); // this controller's insert or read of it, maybe done
            if (ready == null && listed != null && listed.inProgress()) {
                ready = new CompletableFuture<>();
                made.put(pick, ready);
                start = Start.READ;
            }
        }
        attaching.computeIfAbsent(pick, d -> new HashSet<>()).add(node);
        return new Choice(pick, ready, start);
    }

    /**
     * Completes the choice's {@link Choice#ready} future when this publish is the one to: by the disk's one
     * disks.insert, or (a disk CREATING that an earlier controller inserted) by reading it until it is READY.
     */
    private void start(View set, Choice choice) {
        if (choice.start() == Start.NONE) {
            return;
        }
        DiskRef ref = choice.disk();
        CompletableFuture<Boolean> work = choice.start() == Start.INSERT
                ? Futures.compose(() -> create(set, ref))
                : Futures.compose(() -> readiness.await(ref)).thenApply(d -> false);
        work.whenComplete((done, failure) -> {
            if (failure != null) {
                synchronized (this) {
                    made.remove(ref, choice.ready());
                }
                choice.ready().completeExceptionally(Futures.unwrap(failure));
            } else {
                choice.ready().complete(done);
            }
        });
    }

    /** Forgets that {@code disk} was made, e.g. when it turns out to be gone: the next publish looks anew. */
    private synchronized void forgetMade(DiskRef disk) {
        made.remove(disk);
    }

    private synchronized void release(Choice choice, InstanceRef node) {
        Set<InstanceRef> nodes = attaching.get(choice.disk());
        if (nodes != null) {
            nodes.remove(node);
            if (nodes.isEmpty()) {
                attaching.remove(choice.disk());
            }
        }
    }

    private synchronized void remember(DiskRef disk, InstanceRef node) {
        long now = clock.getAsLong();
        attached.computeIfAbsent(disk, d -> new HashMap<>()).put(node, now);
        attached.values().forEach(nodes -> nodes.values().removeIf(at -> now - at > REMEMBER_NANOS));
        attached.values().removeIf(Map::isEmpty);
    }

    private synchronized void forgetAttached(DiskRef disk, InstanceRef node) {
        Map<InstanceRef, Long> nodes = attached.get(disk);
        if (nodes != null) {
            nodes.remove(node);
        }
    }

    /**
     * Makes (or finds made) the set's disk {@code ref} like the set's template: the same size, type, concrete image,
     * labels, description and creation settings. The insert's request id is the disk's path, so a retried or
     * concurrent creation is answered with the first one's operation. A disk of that name made otherwise (another
     * request id, e.g. after Compute Engine forgot it) is used when it is READY and the set's, else ABORTED.
     */
    private CompletableFuture<Boolean> create(View set, DiskRef ref) {
        Disk t = set.template();
        DiskDescription.SetLayout layout = set.layout();
        DiskSpec spec = new DiskSpec(
                        ref,
                        t.sizeGb(),
                        t.type(),
                        t.sourceImage(),
                        t.labels(),
                        t.description(),
                        layout.kmsKey(),
                        layout.provisionedIops(),
                        layout.provisionedThroughput())
                .withAccessMode(SharedReadOnly.HYPERDISK_ML.equals(t.type()) ? DiskSpec.READ_ONLY_MANY : null);
        return Futures.compose(() -> cloud.createDiskAsync(spec, ref.path()))
                .handle(CallDeadline.current().bind((inserted, failure) -> {
                    if (failure == null) {
                        if (inserted) {
                            LOG.info("volume {}: created disk {} from {}", set.id(), ref, t.sourceImage());
                        }
                        return inserted;
                    }
                    Throwable f = Futures.unwrap(failure);
                    if (f instanceof CloudException e && e.is(CloudException.Kind.ALREADY_EXISTS)) {
                        Disk d = cloud.getDisk(ref).orElseThrow(() -> aborted("disk %s is being replaced; retry", ref));
                        if (!set.id().name().equals(d.labels().get(Keys.READER_SET_LABEL_KEY))) {
                            throw failedPrecondition(
                                    "disk %s exists but is not a disk of volume %s; it cannot serve its readers",
                                    ref, set.id());
                        }
                        if (!d.ready()) {
                            throw aborted("disk %s of volume %s is %s; retry", ref, set.id(), d.status());
                        }
                        return false;
                    }
                    throw Futures.rethrow(f);
                }));
    }

    /** Attaches read-only once the disk's pace allows (paced types); maps Compute Engine's refusals to retries. */
    private CompletableFuture<Map<String, String>> attach(View set, DiskRef disk, InstanceRef node) {
        CompletableFuture<Void> slot = CompletableFuture.completedFuture(null);
        if (SharedReadOnly.paced(set.template().type())) {
            CallDeadline call = CallDeadline.current();
            // leave the attach itself time before the call's deadline
            Duration mayWait = call.hasDeadline() ? call.remaining(maxPaceWait).minusSeconds(2) : maxPaceWait;
            mayWait = mayWait.isNegative() ? Duration.ZERO : mayWait;
            slot = pace.reserve(disk, mayWait);
            if (slot == null) {
                throw unavailable(
                        "disk %s of volume %s has taken its %d attaches of the last %d s (the %s attach pace);"
                                + " retry in %d s",
                        disk,
                        set.id(),
                        pace.perWindow(),
                        pace.window().toSeconds(),
                        set.template().type(),
                        Math.max(1, pace.delay(disk).toSeconds()));
            }
        }
        CallDeadline call = CallDeadline.current();
        return slot.thenCompose(
                        v -> CallDeadline.within(call, () -> cloud.attachDiskAsync(node, disk, disk.name(), true)))
                .handle(call.bind((done, failure) -> {
                    if (failure == null) {
                        LOG.info("volume {}: attached {} read-only to {}", set.id(), disk, node);
                        remember(disk, node);
                        return context(disk);
                    }
                    Throwable f = Futures.unwrap(failure);
                    if (!(f instanceof CloudException e)) {
                        throw Futures.rethrow(f);
                    }
                    if (e.is(CloudException.Kind.NOT_FOUND)) {
                        forgetMade(disk);
                    }
                    if (e.is(CloudException.Kind.IN_USE)
                            && cloud.getDisk(disk)
                                    .map(d -> d.users().contains(node))
                                    .orElse(false)) {
                        return context(disk); // a concurrent publish to this node won
                    }
                    throw switch (e.kind()) {
                        case LIMIT_EXCEEDED, IN_USE, NOT_READY, NOT_FOUND ->
                            aborted(
                                    "volume %s: disk %s could not take reader %s (%s); a retry picks or makes another disk",
                                    set.id(), disk, node, e.getMessage());
                        case RATE_LIMITED ->
                            unavailable(
                                    "volume %s: Compute Engine is pacing attaches of disk %s (%s); retry later",
                                    set.id(), disk, e.getMessage());
                        default -> e;
                    };
                }));
    }

    private static Map<String, String> context(DiskRef disk) {
        return Map.of(Keys.PUBLISH_DEVICE_NAME, disk.name());
    }

    // --------------------------------------------------------------------------------------- unpublish, delete

    /** Detaches the set's disks from {@code node}, or from every node when it is null; what is not attached is done. */
    public CompletableFuture<Void> unpublishAsync(ReaderSetId id, InstanceRef node) {
        return Futures.compose(() -> {
            Optional<View> set = get(id);
            if (set.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            CallDeadline call = CallDeadline.current();
            CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
            for (Disk d : set.get().disks()) {
                for (InstanceRef user : d.users()) {
                    if (node == null || node.equals(user)) {
                        chain = chain.thenCompose(v -> CallDeadline.within(call, () -> detach(d.ref(), user)));
                    }
                }
            }
            return chain;
        });
    }

    private CompletableFuture<Void> detach(DiskRef disk, InstanceRef node) {
        forgetAttached(disk, node);
        return Futures.compose(() -> cloud.detachDiskAsync(node, disk.name()))
                .handle(CallDeadline.current().bind((done, failure) -> {
                    if (failure == null) {
                        return null;
                    }
                    Throwable f = Futures.unwrap(failure);
                    if (f instanceof CloudException e
                            && (e.is(CloudException.Kind.NOT_FOUND) || e.is(CloudException.Kind.INVALID))
                            && !cloud.getDisk(disk)
                                    .map(d -> d.users().contains(node))
                                    .orElse(false)) {
                        return null; // detached already
                    }
                    throw Futures.rethrow(f);
                }));
    }

    /** Deletes every disk of the set; FAILED_PRECONDITION naming the nodes while any is attached. */
    public CompletableFuture<Void> deleteAsync(ReaderSetId id) {
        return Futures.compose(() -> {
            Optional<View> found = get(id);
            if (found.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            View set = found.get();
            List<InstanceRef> readers = set.readers();
            if (!readers.isEmpty()) {
                throw failedPrecondition(
                        "volume %s is still attached to %s; unpublish it first",
                        id, readers.stream().map(InstanceRef::path).collect(Collectors.joining(", ")));
            }
            List<CompletableFuture<Void>> deletes = new ArrayList<>();
            for (Disk d : set.disks()) {
                deletes.add(Futures.compose(() -> cloud.deleteDiskAsync(d.ref()))
                        .handle(CallDeadline.current().bind((done, failure) -> {
                            pace.forget(d.ref());
                            forgetMade(d.ref());
                            if (failure == null) {
                                return null;
                            }
                            Throwable f = Futures.unwrap(failure);
                            if (f instanceof CloudException e && e.is(CloudException.Kind.NOT_FOUND)) {
                                return null;
                            }
                            throw Futures.rethrow(f);
                        })));
            }
            LOG.info("volume {}: deleting its {} disks", id, deletes.size());
            return CompletableFuture.allOf(deletes.toArray(new CompletableFuture<?>[0]));
        });
    }
}
