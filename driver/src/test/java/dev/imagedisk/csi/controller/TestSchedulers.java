package dev.imagedisk.csi.controller;

import dev.imagedisk.csi.common.SchedulerThreads;

/** The scheduler the logic tests' controllers share: daemon threads, step threads ended when idle. */
final class TestSchedulers {
    static final SchedulerThreads SHARED = new SchedulerThreads("test-controller", 4);

    private TestSchedulers() {}
}
