package dev.imagedisk.csi.server;

import dev.imagedisk.csi.common.Futures;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tracks which volumes have a call in flight. A second call on the same key is refused with ABORTED,
 * as the CSI spec asks, instead of racing the first; different keys never wait for each other.
 */
public final class InFlight {
    private final ConcurrentHashMap<String, String> running = new ConcurrentHashMap<>();

    /** A held key; closing it lets the next call on that key in. */
    public final class Lease implements AutoCloseable {
        private final String key;
        private boolean open = true;

        private Lease(String key) {
            this.key = key;
        }

        @Override
        public void close() {
            if (open) {
                open = false;
                running.remove(key);
            }
        }
    }

    /**
     * Takes the key for {@code operation}, or throws ABORTED naming the operation already running on it.
     */
    public Lease acquire(String key, String operation) {
        String previous = running.putIfAbsent(key, operation);
        if (previous != null) {
            throw CsiErrors.aborted(
                    "an operation (%s) is already in progress for volume %s; retry later", previous, key);
        }
        return new Lease(key);
    }

    /**
     * Runs {@code body} holding the key, which is let go when the future it returns completes (not when it returns):
     * a call answered asynchronously keeps its volume busy until it is answered.
     */
    public <T> java.util.concurrent.CompletableFuture<T> holding(
            String key, String operation, java.util.function.Supplier<java.util.concurrent.CompletableFuture<T>> body) {
        Lease lease = acquire(key, operation);
        java.util.concurrent.CompletableFuture<T> future = Futures.compose(body);
        return future.whenComplete((result, failure) -> lease.close());
    }

    public int size() {
        return running.size();
    }
}
