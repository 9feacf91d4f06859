package dev.imagedisk.csi.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.cloud.OperationTracker.Scope;
import dev.imagedisk.csi.common.CallDeadline;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The tracker with operations held in memory, a fake clock, and executors the test runs by hand. */
class OperationTrackerTest {
    private static final Scope ZONE = new Scope("p", "us-central1-a");
    private static final Scope GLOBAL = new Scope("p", null);

    /** An operation: its name and whether it is DONE. */
    record Op(String name, boolean done) {}

    /** Operations in memory; a long poll answers at once with the operation as it is (as one that timed out). */
    static class Ops implements OperationTracker.Source<Op> {
        final Map<String, Boolean> done = new HashMap<>();
        final List<String> longPolls = new ArrayList<>();
        final List<List<String>> reads = new ArrayList<>();

        @Override
        public Op await(Scope scope, String name, Duration timeout, BooleanSupplier abandon) {
            longPolls.add(name);
            return new Op(name, done.getOrDefault(name, false));
        }

        @Override
        public Map<String, Op> read(Scope scope, List<String> names) {
            reads.add(List.copyOf(names));
            Map<String, Op> out = new HashMap<>();
            for (String n : names) {
                if (done.containsKey(n)) {
                    out.put(n, new Op(n, done.get(n)));
                }
            }
            return out;
        }

        @Override
        public boolean done(Op operation) {
            return operation.done();
        }
    }

    /** Tasks queued until the test runs them. */
    static final class Queue implements Executor {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable r) {
            tasks.add(r);
        }

        int runAll() {
            int n = 0;
            while (!tasks.isEmpty()) {
                tasks.poll().run();
                n++;
            }
            return n;
        }
    }

    private final AtomicLong clock = new AtomicLong();
    private final Ops ops = new Ops();
    private final Queue pollers = new Queue();
    private final Queue listers = new Queue();
    private final Queue callbacks = new Queue();
    private final OperationTracker<Op> tracker = new OperationTracker<>(
            ops,
            2,
            Duration.ofSeconds(30),
            Duration.ofMillis(500),
            Duration.ofMinutes(5),
            clock::get,
            pollers,
            listers,
            callbacks);

    private CompletableFuture<Op> start(String name, CallDeadline call) {
        ops.done.put(name, false);
        return tracker.await("disks.insert " + name, ZONE, new Op(name, false), name, call);
    }

    private void advance(Duration d) {
        clock.addAndGet(d.toNanos());
    }

    @Test
    void aDoneOperationIsAnsweredAtOnce() {
        Op op = new Op("op-0", true);
        assertSame(op, tracker.await("x", ZONE, op, "op-0", CallDeadline.NONE).join());
        assertEquals(0, tracker.pending());
    }

    @Test
    void fewLongPollsAndTheRestReadInBatchesOncePerInterval() {
        List<CompletableFuture<Op>> futures = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            futures.add(start(String.format("op-%03d", i), CallDeadline.NONE));
        }
        assertEquals(2, pollers.tasks.size(), "long polls out at once");
        assertEquals(0, listers.tasks.size(), "operations just started are not read");
        advance(Duration.ofMillis(500));
        tracker.tick();
        assertEquals(1, listers.tasks.size(), "one list read for the scope");
        listers.runAll();
        // the 118 operations not long-polled, in batches of at most 50
        assertEquals(List.of(50, 50, 18), ops.reads.stream().map(List::size).toList());
        assertFalse(ops.reads.stream().flatMap(List::stream).anyMatch(n -> n.equals("op-000") || n.equals("op-001")));

        tracker.tick();
        listers.runAll();
        assertEquals(3, ops.reads.size(), "not read again before the interval");

        ops.done.replaceAll((k, v) -> true);
        advance(Duration.ofMillis(500));
        tracker.tick();
        listers.runAll();
        assertEquals(6, ops.reads.size());
        assertEquals(118, callbacks.runAll(), "every listed operation is answered");
        pollers.runAll();
        callbacks.runAll();
        for (CompletableFuture<Op> f : futures) {
            assertTrue(f.isDone() && !f.isCompletedExceptionally());
            assertTrue(f.join().done());
        }
        assertEquals(0, tracker.pending());
    }

    @Test
    void aFinishedLongPollFreesItsSlotForTheNextOperation() {
        CompletableFuture<Op> a = start("op-a", CallDeadline.NONE);
        start("op-b", CallDeadline.NONE);
        start("op-c", CallDeadline.NONE);
        assertEquals(2, pollers.tasks.size());
        ops.done.put("op-a", true);
        pollers.tasks.poll().run(); // op-a: DONE
        callbacks.runAll();
        assertTrue(a.join().done());
        assertEquals(List.of("op-a"), ops.longPolls);
        // its slot went to op-c (op-b's poll is still out)
        assertEquals(2, pollers.tasks.size());
        pollers.tasks.removeLast().run();
        assertEquals(List.of("op-a", "op-c"), ops.longPolls);
    }

    @Test
    void aCancelledCallStopsWaitingAtTheNextTick() throws Exception {
        CallDeadline call = new CallDeadline(Long.MAX_VALUE, clock::get);
        CompletableFuture<Op> f = start("op-1", call);
        call.cancel(CallDeadline.Stop.CANCELLED);
        tracker.tick();
        callbacks.runAll();
        CloudException e = failure(f);
        assertEquals(CloudException.Kind.CANCELLED, e.kind());
        assertTrue(e.getMessage().contains("op-1"), e.getMessage());
        assertEquals(0, tracker.pending());
    }

    @Test
    void aCallPastItsDeadlineStopsWaiting() throws Exception {
        CallDeadline call = new CallDeadline(Duration.ofSeconds(10).toNanos(), clock::get);
        CompletableFuture<Op> f = start("op-1", call);
        advance(Duration.ofSeconds(9));
        tracker.tick();
        callbacks.runAll();
        assertFalse(f.isDone());
        advance(Duration.ofSeconds(1));
        tracker.tick();
        callbacks.runAll();
        assertEquals(CloudException.Kind.DEADLINE, failure(f).kind());
    }

    @Test
    void anOperationPastTheOperationTimeoutFails() throws Exception {
        CompletableFuture<Op> f = start("op-1", CallDeadline.NONE);
        advance(Duration.ofMinutes(5));
        tracker.tick();
        callbacks.runAll();
        CloudException e = failure(f);
        assertEquals(CloudException.Kind.DEADLINE, e.kind());
        assertTrue(e.getMessage().contains("not DONE after 300000 ms"), e.getMessage());
    }

    @Test
    void aFailedReadIsReadAgainNextInterval() {
        OperationTracker<Op> failing = new OperationTracker<>(
                new Ops() {
                    int calls;

                    @Override
                    public Map<String, Op> read(Scope scope, List<String> names) {
                        if (calls++ == 0) {
                            throw new CloudException(CloudException.Kind.UNAVAILABLE, "503");
                        }
                        return Map.of(names.get(0), new Op(names.get(0), true));
                    }
                },
                0,
                Duration.ofSeconds(30),
                Duration.ofMillis(500),
                Duration.ofMinutes(5),
                clock::get,
                pollers,
                listers,
                callbacks);
        CompletableFuture<Op> f = failing.await("x", GLOBAL, new Op("op-g", false), "op-g", CallDeadline.NONE);
        advance(Duration.ofMillis(500));
        failing.tick();
        assertEquals(1, listers.runAll());
        callbacks.runAll();
        assertFalse(f.isDone());
        advance(Duration.ofMillis(500));
        failing.tick();
        listers.runAll();
        callbacks.runAll();
        assertTrue(f.join().done());
    }

    private static CloudException failure(CompletableFuture<Op> f) throws InterruptedException {
        assertTrue(f.isCompletedExceptionally());
        try {
            f.get();
            throw new AssertionError("not failed");
        } catch (ExecutionException e) {
            return assertInstanceOf(CloudException.class, e.getCause());
        }
    }
}
