package dev.imagedisk.container;

import csi.v1.IdentityGrpc;
import csi.v1.ProbeRequest;
import dev.imagedisk.csi.server.CsiChannels;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Waiting for a containerized plugin to serve. */
final class Probes {
    private Probes() {}

    /** Polls Probe over {@code socket} until it answers ready; fails with the container's output. */
    static void awaitReady(Podman podman, String container, Path socket, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(socket)) {
                try (CsiChannels.Client c = CsiChannels.connect(socket)) {
                    if (IdentityGrpc.newBlockingStub(c.channel())
                            .withDeadlineAfter(5, TimeUnit.SECONDS)
                            .probe(ProbeRequest.getDefaultInstance())
                            .getReady()
                            .getValue()) {
                        return;
                    }
                } catch (StatusRuntimeException e) {
                    // not serving yet
                }
            }
            Thread.sleep(20);
        }
        throw new IOException(container + " did not answer a ready Probe on " + socket + " within " + timeout
                + "; its output:\n" + podman.logs(container));
    }
}
