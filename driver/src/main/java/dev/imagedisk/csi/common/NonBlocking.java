package dev.imagedisk.csi.common;

import java.util.concurrent.ThreadFactory;

/**
 * Threads that must never block, and the check that keeps them so. Threads made by {@link #threads} (the ones that
 * complete Compute Engine operations and the timers of backoffs and polls) are marked; every place that would block
 * a thread (a blocking {@link Futures#join}, a rate-limit wait, a Compute Engine request sent and waited for) calls
 * {@link #check} first, which throws on a marked thread. So a continuation that would sleep, poll or wait on a
 * completion thread fails loudly (in tests, at once) instead of stalling every other call's completion.
 */
public final class NonBlocking {
    private static final ThreadLocal<String> POOL = new ThreadLocal<>();

    private NonBlocking() {}

    /** Daemon threads named {@code prefix-N}, marked as never blocking. */
    public static ThreadFactory threads(String prefix) {
        ThreadFactory named = DaemonThreads.named(prefix);
        return r -> named.newThread(() -> {
            POOL.set(prefix);
            r.run();
        });
    }

    /** Whether this thread is one that must never block. */
    public static boolean current() {
        return POOL.get() != null;
    }

    /** Throws when this thread must never block; {@code what} names what would have blocked it. */
    public static void check(String what) {
        String pool = POOL.get();
        if (pool != null) {
            throw new IllegalStateException(what + " would block "
                    + Thread.currentThread().getName() + ", a thread of " + pool + " that must never block");
        }
    }
}
