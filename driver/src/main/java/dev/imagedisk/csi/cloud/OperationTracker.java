package dev.imagedisk.csi.cloud;

import dev.imagedisk.csi.common.CallDeadline;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for many long-running operations with few threads: each operation awaited gets a future, and one
 * tracker completes them all. At most {@code longPolls} operations at a time (the oldest first) are awaited with
 * a long poll that answers as soon as the operation is DONE; every other pending operation of a scope (a zone,
 * or global) is read with one list request per batch (of {@value #LIST_BATCH}), every
 * {@link #QUICK_LIST_INTERVAL} while one batch holds them all, else every {@code listInterval}; so 300 pending
 * operations cost a few requests per interval, not 300 blocked threads. Each operation's wait ends when it is DONE, when
 * the operation timeout passes ({@link CloudException.Kind#DEADLINE}), or when the call that waits for it is
 * cancelled or past its deadline ({@link CallDeadline}; DEADLINE or CANCELLED within {@link #TICK} of it; the
 * operation itself goes on). Futures are completed on the {@code callbacks} executor.
 *
 * @param <O> the adapter's operation type
 */
public final class OperationTracker<O> {
    private static final Logger LOG = LoggerFactory.getLogger(OperationTracker.class);

    /** How often waits are checked for their deadline and long-poll slots refilled. */
    public static final Duration TICK = Duration.ofMillis(50);
    /**
     * How often a scope's pending operations are read while one request reads them all (at most
     * {@value #LIST_BATCH}), and how long an operation is pending before it is read at all.
     */
    public static final Duration QUICK_LIST_INTERVAL = Duration.ofMillis(100);
    /** Names read by one list request, at most (keeps its filter short). */
    public static final int LIST_BATCH = 50;

    /** A scope of operations: a zone of a project, or the project's global operations (zone null). */
    public record Scope(String project, String zone) {}

    /** How the adapter reads operations. Both calls block; they run on the tracker's poll executors. */
    public interface Source<O> {
        /**
         * Waits up to {@code timeout} for the operation to be DONE and returns it as it then is; gives up early
         * (throwing anything) once {@code abandon} says so.
         */
        O await(Scope scope, String name, Duration timeout, BooleanSupplier abandon);

        /** The operations of {@code names} as they are now (an unknown one may be missing). */
        Map<String, O> read(Scope scope, List<String> names);

        boolean done(O operation);
    }

    private final class Pending {
        final Scope scope;
        final String name;
        final String what;
        final CallDeadline call;
        final long deadline;
        final long since;
        final CompletableFuture<O> future = new CompletableFuture<>();
        boolean longPolled;

        Pending(Scope scope, String name, String what, CallDeadline call, long deadline) {
            this.scope = scope;
            this.name = name;
            this.what = what;
            this.call = call;
            this.deadline = deadline;
            this.since = nanos.getAsLong();
        }
    }

    private final Source<O> source;
    private final int longPolls;
    private final Duration longPollLimit;
    private final Duration listInterval;
    private final Duration timeout;
    private final LongSupplier nanos;
    private final Executor pollers;
    private final Executor listers;
    private final Executor callbacks;
    private final Object lock = new Object();
    private final LinkedHashMap<String, Pending> pending = new LinkedHashMap<>();
    private final Map<Scope, Long> lastList = new java.util.HashMap<>();
    private final Set<Scope> listing = new HashSet<>();
    private int polling;
    private boolean closed;
    private ScheduledFuture<?> ticking;

    /**
     * @param longPolls long polls out at once, at most ({@code pollers} must run that many tasks at once)
     * @param longPollLimit the longest one long poll may block
     * @param listInterval how often a scope's other pending operations are read when they take several requests
     * @param timeout how long an operation may take in all
     * @param nanos a {@link System#nanoTime}-like clock
     * @param pollers runs the long polls
     * @param listers runs the list reads
     * @param callbacks completes the futures (their dependent stages run there)
     */
    public OperationTracker(
            Source<O> source,
            int longPolls,
            Duration longPollLimit,
            Duration listInterval,
            Duration timeout,
            LongSupplier nanos,
            Executor pollers,
            Executor listers,
            Executor callbacks) {
        this.source = source;
        this.longPolls = longPolls;
        this.longPollLimit = longPollLimit;
        this.listInterval = listInterval;
        this.timeout = timeout;
        this.nanos = nanos;
        this.pollers = pollers;
        this.listers = listers;
        this.callbacks = callbacks;
    }

    /** Ticks every {@link #TICK} on {@code timer} until {@link #close}. */
    public OperationTracker<O> start(ScheduledExecutorService timer) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the operation tracker is closed");
            }
            ticking = timer.scheduleWithFixedDelay(
                    this::tickQuietly, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /**
     * Stops ticking and ends every wait ({@link CloudException.Kind#UNAVAILABLE}: the operations go on in Compute
     * Engine); a later {@link #await} fails the same way. Its executors are the owner's to shut down.
     */
    public void close() {
        List<Pending> ended;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (ticking != null) {
                ticking.cancel(false);
            }
            ended = new ArrayList<>(pending.values());
            pending.clear();
        }
        for (Pending p : ended) {
            p.future.completeExceptionally(closedFailure(p.what, p.name));
        }
    }

    /** Whether {@link #close} was called. */
    public boolean closed() {
        synchronized (lock) {
            return closed;
        }
    }

    private static CloudException closedFailure(String what, String name) {
        return new CloudException(
                CloudException.Kind.UNAVAILABLE,
                what + ": waiting for operation " + name + " stopped: the Compute Engine adapter is closed");
    }

    /**
     * The operation's future: completed with it once DONE (whether it failed or not), or failed with a
     * {@link CloudException} as above. {@code call} is the call that waits (its deadline and cancellation).
     */
    public CompletableFuture<O> await(String what, Scope scope, O started, String name, CallDeadline call) {
        if (source.done(started)) {
            return CompletableFuture.completedFuture(started);
        }
        Pending p = new Pending(scope, name, what, call, nanos.getAsLong() + timeout.toNanos());
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(closedFailure(what, name));
            }
            pending.put(key(scope, name, p), p);
        }
        tickQuietly();
        return p.future;
    }

    /** Operations being waited for. */
    public int pending() {
        synchronized (lock) {
            return pending.size();
        }
    }

    private static String key(Scope scope, String name, Object p) {
        // one entry per waiter (two calls may wait for one operation)
        return scope.project() + "/" + scope.zone() + "/" + name + "#" + System.identityHashCode(p);
    }

    private void tickQuietly() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("operation tracker tick failed", e);
        }
    }

    /** One round: ends expired waits, fills the long-poll slots, starts due list reads. */
    public void tick() {
        long now = nanos.getAsLong();
        List<Runnable> start = new ArrayList<>();
        synchronized (lock) {
            if (closed) {
                return;
            }
            for (var it = pending.values().iterator(); it.hasNext(); ) {
                Pending p = it.next();
                CloudException stop = expired(p, now);
                if (stop != null) {
                    it.remove();
                    callbacks.execute(() -> p.future.completeExceptionally(stop));
                }
            }
            for (Pending p : pending.values()) {
                if (polling >= longPolls) {
                    break;
                }
                if (!p.longPolled) {
                    p.longPolled = true;
                    polling++;
                    start.add(() -> pollers.execute(() -> longPoll(p)));
                }
            }
            Map<Scope, List<String>> due = new LinkedHashMap<>();
            for (Pending p : pending.values()) {
                if (!p.longPolled && now - p.since >= QUICK_LIST_INTERVAL.toNanos() && !listing.contains(p.scope)) {
                    due.computeIfAbsent(p.scope, s -> new ArrayList<>()).add(p.name);
                }
            }
            for (Map.Entry<Scope, List<String>> e : due.entrySet()) {
                List<String> names = List.copyOf(new java.util.LinkedHashSet<>(e.getValue()));
                // one request reads them all: often; several: as often as the budget allows
                Duration interval = names.size() <= LIST_BATCH ? QUICK_LIST_INTERVAL : listInterval;
                Long last = lastList.get(e.getKey());
                if (last != null && now - last < interval.toNanos() - TICK.toNanos() / 2) {
                    continue;
                }
                listing.add(e.getKey());
                lastList.put(e.getKey(), now);
                start.add(() -> listers.execute(() -> list(e.getKey(), names)));
            }
        }
        start.forEach(Runnable::run);
    }

    /** Why the wait ends now (a failure to complete it with), or null. */
    private CloudException expired(Pending p, long now) {
        CallDeadline.Stop stop = p.call.stopped();
        String waiting = p.what + ": waiting for operation " + p.name + " (it goes on in Compute Engine)";
        if (stop != CallDeadline.Stop.NONE) {
            return CloudException.stopped(waiting, stop, null);
        }
        if (now - p.deadline >= 0) {
            return new CloudException(
                    CloudException.Kind.DEADLINE,
                    0,
                    null,
                    p.what + ": operation " + p.name + " not DONE after " + timeout.toMillis() + " ms",
                    null);
        }
        return null;
    }

    private void longPoll(Pending p) {
        O op = null;
        RuntimeException failure = null;
        try {
            long left = Math.min(
                    p.deadline - nanos.getAsLong(), p.call.remaining(timeout).toNanos());
            if (left > 0 && !p.future.isDone()) {
                op = source.await(
                        p.scope,
                        p.name,
                        Duration.ofNanos(Math.min(left, longPollLimit.toNanos())),
                        () -> p.future.isDone() || p.call.stopped() != CallDeadline.Stop.NONE);
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        synchronized (lock) {
            polling--;
            p.longPolled = false;
            if (op != null && source.done(op)) {
                finish(p.scope, p.name, op);
            } else if (failure != null
                    && !(failure instanceof CloudException c && c.is(CloudException.Kind.DEADLINE))
                    && p.call.stopped() == CallDeadline.Stop.NONE
                    && pending.values().remove(p)) {
                RuntimeException f = failure;
                callbacks.execute(() -> p.future.completeExceptionally(f));
            }
        }
        tickQuietly();
    }

    private void list(Scope scope, List<String> names) {
        try {
            for (int from = 0; from < names.size(); from += LIST_BATCH) {
                List<String> batch = names.subList(from, Math.min(names.size(), from + LIST_BATCH));
                Map<String, O> read = source.read(scope, batch);
                synchronized (lock) {
                    read.forEach((name, op) -> {
                        if (source.done(op)) {
                            finish(scope, name, op);
                        }
                    });
                }
            }
        } catch (RuntimeException e) {
            LOG.debug(
                    "reading operations of {} failed (read again in {} ms): {}",
                    scope,
                    listInterval.toMillis(),
                    e.toString());
        } finally {
            synchronized (lock) {
                listing.remove(scope);
            }
        }
        tickQuietly(); // the next read may be due already
    }

    /** Completes every wait for that operation (under the lock). */
    private void finish(Scope scope, String name, O op) {
        for (var it = pending.values().iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.scope.equals(scope) && p.name.equals(name)) {
                it.remove();
                callbacks.execute(() -> p.future.complete(op));
            }
        }
    }
}
