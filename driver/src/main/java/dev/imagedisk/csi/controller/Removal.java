package dev.imagedisk.csi.controller;

import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.common.CallDeadline;
import dev.imagedisk.csi.common.Futures;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/** A removal from Compute Engine (a detach, a delete) is idempotent: one that finds nothing left to remove is done. */
final class Removal {
    private Removal() {}

    /**
     * {@code removal}, done also when it fails with NOT_FOUND or with a failure {@code alsoDone} accepts. The check
     * runs in the calling RPC's deadline context and may throw a failure of its own; any other failure stays.
     */
    static CompletableFuture<Void> goneIsDone(CompletableFuture<Void> removal, Predicate<CloudException> alsoDone) {
        return removal.handle(CallDeadline.current().bind((done, failure) -> {
            if (failure == null) {
                return null;
            }
            Throwable f = Futures.unwrap(failure);
            if (f instanceof CloudException e && (e.is(CloudException.Kind.NOT_FOUND) || alsoDone.test(e))) {
                return null;
            }
            throw Futures.rethrow(f);
        }));
    }
}
