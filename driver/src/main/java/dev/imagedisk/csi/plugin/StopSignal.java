package dev.imagedisk.csi.plugin;

import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT as a latch: installed first, waited on once the work is up, so a long-running command
 * stops in order (drain, clean up) and exits with its own status rather than the JVM's 143.
 */
public final class StopSignal {
    private final CountDownLatch stop = new CountDownLatch(1);

    private StopSignal() {}

    /** Takes over SIGTERM and SIGINT from now on. */
    public static StopSignal install() {
        StopSignal s = new StopSignal();
        Signal.handle(new Signal("TERM"), sig -> s.stop.countDown());
        Signal.handle(new Signal("INT"), sig -> s.stop.countDown());
        return s;
    }

    /** Blocks until SIGTERM or SIGINT arrives. */
    public void await() throws InterruptedException {
        stop.await();
    }
}
