package dev.imagedisk.gce.emulator;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Read-only sharing of one disk by many instances, as the emulator enforces it; thread-safe and
 * usable while the emulator serves ({@link GceEmulator#sharing()}).
 *
 * <ul>
 *   <li><b>Access modes</b> ({@code Disk.accessMode}): only Hyperdisk types take one; Hyperdisk ML
 *       accepts {@code READ_WRITE_SINGLE} (default) and {@code READ_ONLY_MANY}, Hyperdisk Balanced
 *       {@code READ_WRITE_SINGLE} and {@code READ_WRITE_MANY}, Hyperdisk Throughput and Extreme
 *       only the default. A Hyperdisk ML disk from an image must be {@code READ_ONLY_MANY}.
 *   <li><b>Reader cap</b>: at most {@link #readerCap(String)} instances hold a disk of a type
 *       read-only (attached or being attached). Defaults: {@code hyperdisk-ml} 2,500 (Compute
 *       Engine's documented limit); {@code pd-standard}, {@code pd-balanced}, {@code pd-ssd} 10
 *       (the emulator's assumption: no public limit is documented). One more answers HTTP 400
 *       {@code limitExceeded}. Types without a cap ({@code pd-extreme}, Hyperdisk Balanced,
 *       Throughput, Extreme) cannot be attached read-only by several instances.
 *   <li><b>Attach pace</b> ({@code hyperdisk-ml} only): at most {@link #attachPace()} attaches of
 *       one disk accepted in any {@link #attachWindow()} (default 100 per 30 s, Compute Engine's
 *       documented pace); one more answers HTTP 403 {@code rateLimitExceeded} (domain
 *       {@code usageLimits}) naming the disk, and is not counted.
 * </ul>
 *
 * <p>The pace's clock is injectable ({@link #setClock}) so tests move time instead of sleeping.
 */
public final class Sharing {
    /** Disk types that several instances may attach read-only at once. */
    public static final Set<String> SHAREABLE_READ_ONLY =
            Set.of("pd-standard", "pd-balanced", "pd-ssd", "hyperdisk-ml");

    private final Map<String, Integer> caps = new HashMap<>(Map.of(
            "hyperdisk-ml", 2500,
            "pd-standard", 10,
            "pd-balanced", 10,
            "pd-ssd", 10));
    private int pace = 100;
    private Duration window = Duration.ofSeconds(30);
    private InstantSource clock = InstantSource.system();
    /** Disk key -> times of its accepted attaches inside the window (paced types only). */
    private final Map<String, ArrayDeque<Instant>> attaches = new HashMap<>();

    Sharing() {}

    /** How many instances may hold a disk of {@code diskType} read-only; 1 for types not shareable. */
    public synchronized int readerCap(String diskType) {
        return caps.getOrDefault(diskType, 1);
    }

    /** Sets the reader cap of a shareable type (tests use small caps). */
    public synchronized Sharing setReaderCap(String diskType, int cap) {
        if (!SHAREABLE_READ_ONLY.contains(diskType)) {
            throw new IllegalArgumentException(
                    diskType + " cannot be shared read-only; shareable: " + SHAREABLE_READ_ONLY);
        }
        if (cap < 1) {
            throw new IllegalArgumentException("cap must be at least 1: " + cap);
        }
        caps.put(diskType, cap);
        return this;
    }

    public synchronized int attachPace() {
        return pace;
    }

    public synchronized Duration attachWindow() {
        return window;
    }

    /** Sets the Hyperdisk ML attach pace: {@code attaches} per {@code window} per disk. */
    public synchronized Sharing setAttachPace(int attaches, Duration window) {
        if (attaches < 1 || window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("pace must be at least 1 per a positive window");
        }
        this.pace = attaches;
        this.window = window;
        return this;
    }

    /** The clock the attach pace reads (default: the system clock). */
    public synchronized Sharing setClock(InstantSource clock) {
        this.clock = Objects.requireNonNull(clock);
        return this;
    }

    /** Whether attaches of a disk of this type are paced. */
    static boolean paced(String diskType) {
        return "hyperdisk-ml".equals(diskType);
    }

    /**
     * Admits one attach of the disk when it is under the pace and records it; false (nothing
     * recorded) when the window is full.
     */
    synchronized boolean admitAttach(String diskKey) {
        Instant now = clock.instant();
        ArrayDeque<Instant> times = attaches.computeIfAbsent(diskKey, k -> new ArrayDeque<>());
        Instant windowStart = now.minus(window);
        while (!times.isEmpty() && !times.peekFirst().isAfter(windowStart)) {
            times.pollFirst();
        }
        if (times.size() >= pace) {
            return false;
        }
        times.addLast(now);
        return true;
    }

    /** Forgets a deleted disk's attaches. */
    synchronized void forget(String diskKey) {
        attaches.remove(diskKey);
    }

    // ------------------------------------------------------------------------- access modes

    static boolean hyperdisk(String diskType) {
        return diskType.startsWith("hyperdisk-");
    }

    /** The access modes a disk type accepts at insert; empty for non-Hyperdisk types. */
    static Set<String> accessModes(String diskType) {
        switch (diskType) {
            case "hyperdisk-ml":
                return Set.of("READ_WRITE_SINGLE", "READ_ONLY_MANY");
            case "hyperdisk-balanced":
                return Set.of("READ_WRITE_SINGLE", "READ_WRITE_MANY");
            case "hyperdisk-throughput":
            case "hyperdisk-extreme":
                return Set.of("READ_WRITE_SINGLE");
            default:
                return Set.of();
        }
    }
}
