package dev.imagedisk.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs {@code count} numbered tasks on {@code workers} threads and times each; bounded in time. */
final class Concurrent {
    private Concurrent() {}

    interface Task {
        void run(int index) throws Exception;
    }

    /** Per-task milliseconds (successes only), failures, and the wall time of the whole run. */
    record Result(List<Double> millis, List<String> failures, long wallNanos) {}

    static Result run(int count, int workers, long timeoutSeconds, Task task) throws InterruptedException {
        List<Double> millis = Collections.synchronizedList(new ArrayList<>());
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(workers, count)), r -> {
            Thread t = new Thread(r, "bench-caller");
            t.setDaemon(true);
            return t;
        });
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < Math.max(1, Math.min(workers, count)); w++) {
            futures.add(pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < count && System.nanoTime() < deadline) {
                    long t0 = System.nanoTime();
                    try {
                        task.run(i);
                        millis.add((System.nanoTime() - t0) / 1e6);
                    } catch (Exception e) {
                        failures.add("#" + i + ": " + e);
                    }
                }
                return null;
            }));
        }
        pool.shutdown();
        if (!pool.awaitTermination(timeoutSeconds + 30, TimeUnit.SECONDS)) {
            pool.shutdownNow();
            failures.add("timed out after " + timeoutSeconds + " s");
        }
        for (Future<?> f : futures) {
            try {
                f.get(1, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
                failures.add(e.toString());
            }
        }
        int done = millis.size() + failures.size();
        if (done < count) {
            failures.add((count - done) + " calls not made: the run's time bound (" + timeoutSeconds + " s) ran out");
        }
        return new Result(List.copyOf(millis), List.copyOf(failures), System.nanoTime() - start);
    }
}
