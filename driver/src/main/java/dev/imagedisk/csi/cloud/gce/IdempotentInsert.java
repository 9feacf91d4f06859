package dev.imagedisk.csi.cloud.gce;

import com.google.cloud.compute.v1.Operation;
import dev.imagedisk.csi.cloud.RequestIds;
import dev.imagedisk.csi.cloud.Retrier;
import dev.imagedisk.csi.common.CallDeadline;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An insert that is safe to repeat: it is sent with a Compute Engine {@code requestId} derived from an idempotency
 * key ({@link RequestIds}), so an insert repeated after a lost reply, a restart or a retried CreateVolume is answered
 * with the first one's operation instead of making a second resource. It also tells whether this call's own request
 * made the resource, so the caller can skip reading it back.
 *
 * <p>How an answer is read. Compute Engine answers a new insert with a PENDING or RUNNING operation, never a DONE
 * one; an answer for a request id it has seen before is that earlier request's operation, whatever its state.
 * <ul>
 *   <li><b>Ours</b>: not DONE, and inserted no earlier than {@value #STALE_SECONDS} s before we sent (clocks
 *       differ). It is awaited, and when it ends without error the resource is exactly what we asked for.
 *   <li><b>An earlier attempt's, still going or just ended</b>: awaited; the resource may be the earlier
 *       request's, so the caller must read it.
 *   <li><b>An earlier attempt's that ended</b>: one that failed a while ago (DONE and inserted more than
 *       {@value #STALE_SECONDS} s before we sent), or any DONE one without error whose resource is gone (deleted
 *       since, maybe a moment ago by a delete of the same name: a name made, deleted and made again within
 *       seconds): that request id is spent, so the next one ({@code attempt + 1}) is tried, at most
 *       {@value #MAX_SPENT} times.
 * </ul>
 * An operation that fails because its rate was refused is sent again by the {@link Retrier} (its one retry loop)
 * under the next request id (the refused one is spent); any other failure is thrown.
 */
final class IdempotentInsert {
    private static final Logger LOG = LoggerFactory.getLogger(IdempotentInsert.class);

    static final long STALE_SECONDS = 2;
    /** How much older than our send an operation must be to be an earlier request's (clock skew allowance). */
    static final Duration STALE = Duration.ofSeconds(STALE_SECONDS);
    /** Request ids found spent by earlier calls that are skipped, at most. */
    static final int MAX_SPENT = 16;

    /** Awaits an operation without holding the thread: the future fails with the operation's failure. */
    interface AsyncWait {
        CompletableFuture<?> await(Operation op);
    }

    private final Clock clock;
    private final Retrier retrier;

    IdempotentInsert(Clock clock, Retrier retrier) {
        this.clock = clock;
        this.retrier = retrier;
    }

    /**
     * Inserts under {@code key}; the future completes when the insert's operation ends. The first insert is sent on
     * the calling thread; one sent again after a rate-refused operation goes through the {@link Retrier} (after its
     * backoff, from a step thread, within the calling thread's {@link CallDeadline}).
     *
     * @param what names the insert in logs and errors
     * @param send sends the insert with the given request id and returns Compute Engine's operation
     * @param wait awaits an operation
     * @param gone whether the resource does not exist (asked only for an old, successful operation)
     * @return true when this call's own request made the resource; false when the answer was an earlier request's
     */
    CompletableFuture<Boolean> runAsync(
            String what, String key, Function<String, Operation> send, AsyncWait wait, BooleanSupplier gone) {
        AtomicInteger next = new AtomicInteger(); // the next request id to send (a refused one is spent)
        AtomicInteger spent = new AtomicInteger();
        return retrier.callAsync(what, () -> attempt(what, key, send, wait, gone, next, spent));
    }

    /** One insert: skips request ids found spent, then awaits the operation of the one that is not. */
    private CompletableFuture<Boolean> attempt(
            String what,
            String key,
            Function<String, Operation> send,
            AsyncWait wait,
            BooleanSupplier gone,
            AtomicInteger next,
            AtomicInteger spent) {
        while (true) {
            int attempt = next.getAndIncrement();
            String requestId = RequestIds.of(key, attempt);
            Instant sent = clock.instant();
            Operation op = send.apply(requestId);
            boolean earlier = insertedBefore(op, sent);
            if (op.getStatus() == Operation.Status.DONE
                    && spent.get() < MAX_SPENT
                    && (GceErrors.failed(op) ? earlier : gone.getAsBoolean())) {
                LOG.debug(
                        "{}: request id {} answered by an earlier operation {} that ended; next id",
                        what,
                        requestId,
                        op.getName());
                spent.incrementAndGet();
                continue;
            }
            boolean ours = op.getStatus() != Operation.Status.DONE && op.hasInsertTime() && !earlier;
            return wait.await(op).thenApply(done -> ours);
        }
    }

    /** Whether the operation was inserted more than {@link #STALE} before {@code sent}; unreadable counts as not. */
    static boolean insertedBefore(Operation op, Instant sent) {
        if (!op.hasInsertTime()) {
            return false;
        }
        try {
            return OffsetDateTime.parse(op.getInsertTime()).toInstant().isBefore(sent.minus(STALE));
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
