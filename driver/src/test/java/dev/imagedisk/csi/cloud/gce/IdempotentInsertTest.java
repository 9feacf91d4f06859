package dev.imagedisk.csi.cloud.gce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.compute.v1.Errors;
import com.google.cloud.compute.v1.Operation;
import dev.imagedisk.csi.cloud.Backoff;
import dev.imagedisk.csi.cloud.CloudCallObserver;
import dev.imagedisk.csi.cloud.CloudException;
import dev.imagedisk.csi.cloud.RequestIds;
import dev.imagedisk.csi.cloud.Retrier;
import dev.imagedisk.csi.common.Futures;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** How an insert's answers are read, on a fixed clock: ours, an earlier request's, a spent request id. */
class IdempotentInsertTest {
    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    private static final String KEY = "projects/p/zones/z/disks/d";

    private final List<String> sentIds = new ArrayList<>();
    private final List<Operation> awaited = new ArrayList<>();
    private final List<Duration> backoffs = new ArrayList<>();
    private final Deque<Operation> answers = new ArrayDeque<>();
    private boolean gone;

    private final IdempotentInsert insert = new IdempotentInsert(
            Clock.fixed(NOW, ZoneOffset.UTC),
            new Retrier(
                    new Backoff(3, Duration.ofMillis(100), Duration.ofMillis(100), () -> 1.0),
                    (delay, step) -> {
                        if (!delay.isZero()) { // a step handed to a step thread is not a backoff
                            backoffs.add(delay);
                        }
                        step.run();
                    },
                    CloudCallObserver.NONE));

    private static Operation op(String name, Operation.Status status, Duration before, String errorCode) {
        Operation.Builder b = Operation.newBuilder()
                .setName(name)
                .setStatus(status)
                .setInsertTime(
                        NOW.minus(before).atOffset(ZoneOffset.ofHours(-8)).toString());
        if (errorCode != null) {
            b.setError(com.google.cloud.compute.v1.Error.newBuilder()
                    .addErrors(Errors.newBuilder().setCode(errorCode).setMessage("m")));
        }
        return b.build();
    }

    /** Sends answer with the next queued operation; the wait "ends" an operation as its error says. */
    private boolean run() {
        Function<String, Operation> send = id -> {
            sentIds.add(id);
            return answers.removeFirst();
        };
        return Futures.join(
                insert.runAsync(
                        "disks.insert d",
                        KEY,
                        send,
                        op -> {
                            awaited.add(op);
                            CloudException failure = GceErrors.fromOperation("disks.insert d", op);
                            return failure != null
                                    ? CompletableFuture.failedFuture(failure)
                                    : CompletableFuture.completedFuture(op);
                        },
                        () -> gone),
                () -> new IllegalStateException("interrupted"));
    }

    private static String id(int attempt) {
        return RequestIds.of(KEY, attempt);
    }

    @Test
    void aNewRunningOperationIsOurs() {
        answers.add(op("op-1", Operation.Status.RUNNING, Duration.ZERO, null));
        assertTrue(run());
        assertEquals(List.of(id(0)), sentIds);
        assertEquals(1, awaited.size());
    }

    @Test
    void anOperationInsertedWithinTheClockSkewIsStillOurs() {
        answers.add(op("op-1", Operation.Status.PENDING, Duration.ofMillis(1500), null));
        assertTrue(run());
    }

    @Test
    void anEarlierRequestsOperationStillRunningIsAwaitedButNotOurs() {
        answers.add(op("op-old", Operation.Status.RUNNING, Duration.ofMinutes(1), null));
        assertFalse(run());
        assertEquals(List.of(id(0)), sentIds, "the same request id: the earlier request's disk is the one");
        assertEquals("op-old", awaited.get(0).getName());
    }

    @Test
    void anOperationAnsweredDoneIsNeverOurs() {
        answers.add(op("op-done", Operation.Status.DONE, Duration.ofMillis(100), null));
        assertFalse(run());
    }

    @Test
    void anOldSuccessWhoseDiskStillExistsIsTheAnswer() {
        answers.add(op("op-old", Operation.Status.DONE, Duration.ofHours(1), null));
        assertFalse(run());
        assertEquals(List.of(id(0)), sentIds);
    }

    @Test
    void anOldSuccessWhoseDiskWasDeletedSpendsTheRequestId() {
        gone = true;
        answers.add(op("op-old", Operation.Status.DONE, Duration.ofHours(1), null));
        answers.add(op("op-new", Operation.Status.RUNNING, Duration.ZERO, null));
        assertTrue(run());
        assertEquals(List.of(id(0), id(1)), sentIds);
        assertEquals(List.of("op-new"), awaited.stream().map(Operation::getName).toList());
    }

    @Test
    void aJustEndedSuccessWhoseDiskWasDeletedAMomentAgoSpendsTheRequestId() {
        // made, deleted and made again within the clock-skew allowance: the name's request id is spent all the same
        gone = true;
        answers.add(op("op-recent", Operation.Status.DONE, Duration.ofMillis(300), null));
        answers.add(op("op-new", Operation.Status.RUNNING, Duration.ZERO, null));
        assertTrue(run());
        assertEquals(List.of(id(0), id(1)), sentIds);
    }

    @Test
    void aJustEndedFailureIsThrownNotSkipped() {
        answers.add(
                op("op-recent-failed", Operation.Status.DONE, Duration.ofMillis(300), "ZONE_RESOURCE_POOL_EXHAUSTED"));
        org.junit.jupiter.api.Assertions.assertThrows(dev.imagedisk.csi.cloud.CloudException.class, this::run);
        assertEquals(List.of(id(0)), sentIds, "a new insert that failed at once is this call's failure");
    }

    @Test
    void anOldFailureSpendsTheRequestId() {
        answers.add(op("op-failed", Operation.Status.DONE, Duration.ofHours(1), "QUOTA_EXCEEDED"));
        answers.add(op("op-new", Operation.Status.RUNNING, Duration.ZERO, null));
        assertTrue(run());
        assertEquals(List.of(id(0), id(1)), sentIds);
    }

    @Test
    void spentRequestIdsAreSkippedABoundedNumberOfTimes() {
        for (int i = 0; i <= IdempotentInsert.MAX_SPENT; i++) {
            answers.add(
                    op("op-failed-" + i, Operation.Status.DONE, Duration.ofHours(1), "ZONE_RESOURCE_POOL_EXHAUSTED"));
        }
        CloudException e = assertThrows(CloudException.class, this::run);
        assertEquals(CloudException.Kind.ZONE_EXHAUSTED, e.kind());
        assertEquals(IdempotentInsert.MAX_SPENT + 1, sentIds.size());
        assertEquals(1, awaited.size(), "the last one's failure is the answer");
    }

    @Test
    void anOperationRefusedForItsRateIsSentAgainUnderTheNextIdAfterABackoff() {
        answers.add(op("op-1", Operation.Status.RUNNING, Duration.ZERO, null).toBuilder()
                .setStatus(Operation.Status.DONE)
                .setError(com.google.cloud.compute.v1.Error.newBuilder()
                        .addErrors(Errors.newBuilder().setCode("RESOURCE_OPERATION_RATE_EXCEEDED")))
                .build());
        answers.add(op("op-2", Operation.Status.RUNNING, Duration.ZERO, null));
        assertTrue(run());
        assertEquals(List.of(id(0), id(1)), sentIds);
        assertEquals(List.of(Duration.ofMillis(100)), backoffs);
    }

    @Test
    void otherFailuresAreThrown() {
        answers.add(op("op-1", Operation.Status.RUNNING, Duration.ZERO, null).toBuilder()
                .setStatus(Operation.Status.DONE)
                .setError(com.google.cloud.compute.v1.Error.newBuilder()
                        .addErrors(Errors.newBuilder().setCode("RESOURCE_ALREADY_EXISTS")))
                .build());
        CloudException e = assertThrows(CloudException.class, this::run);
        assertEquals(CloudException.Kind.ALREADY_EXISTS, e.kind());
        assertEquals(List.of(id(0)), sentIds);
        assertTrue(backoffs.isEmpty());
    }

    @Test
    void unreadableInsertTimesCountAsNew() {
        assertFalse(IdempotentInsert.insertedBefore(
                Operation.newBuilder().setInsertTime("yesterday").build(), NOW));
        assertFalse(IdempotentInsert.insertedBefore(Operation.getDefaultInstance(), NOW));
        assertTrue(IdempotentInsert.insertedBefore(op("o", Operation.Status.DONE, Duration.ofSeconds(3), null), NOW));
    }
}
