package dev.imagedisk.csi.common;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/** Small helpers for the futures the asynchronous controller paths pass around (no gRPC types). */
public final class Futures {
    private Futures() {}

    /** {@code body}'s result as a completed future, or its failure as a failed one. */
    public static <T> CompletableFuture<T> of(Supplier<T> body) {
        try {
            return CompletableFuture.completedFuture(body.get());
        } catch (RuntimeException | Error e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Runs {@code body} (which makes a future) and turns a failure it throws into a failed future. */
    public static <T> CompletableFuture<T> compose(Supplier<CompletableFuture<T>> body) {
        try {
            return body.get();
        } catch (RuntimeException | Error e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The failure itself, without the CompletionException/ExecutionException wrappers. */
    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** Rethrows {@code t} unwrapped (a checked one wrapped in an IllegalStateException). */
    public static RuntimeException rethrow(Throwable t) {
        Throwable u = unwrap(t);
        if (u instanceof RuntimeException r) {
            throw r;
        }
        if (u instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(u);
    }

    /**
     * Waits for {@code future} on this thread and returns its result, or throws its failure unwrapped: for the
     * synchronous entry points. An interrupt (the call's cancellation) is kept and thrown as {@code onInterrupt}.
     * Refused on a {@link NonBlocking} thread.
     */
    public static <T> T join(CompletableFuture<T> future, Supplier<RuntimeException> onInterrupt) {
        if (!future.isDone()) {
            NonBlocking.check("waiting for a future");
        }
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            RuntimeException r = onInterrupt.get();
            r.addSuppressed(e);
            throw r;
        } catch (ExecutionException | CancellationException e) {
            throw rethrow(e);
        }
    }
}
