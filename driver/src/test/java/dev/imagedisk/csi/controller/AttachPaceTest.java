package dev.imagedisk.csi.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagedisk.csi.cloud.DiskRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The Hyperdisk ML attach pace on a manual clock: slots now, slots later on the timer, and no slot past the wait. */
class AttachPaceTest {
    private final ManualTime time = new ManualTime();
    private final AttachPace pace = new AttachPace(100, Duration.ofSeconds(30), time::nanoTime, time);
    private final DiskRef disk = new DiskRef("p", "us-central1-a", "ml");
    private final DiskRef other = new DiskRef("p", "us-central1-a", "ml-2");

    @Test
    void aHundredAttachesGoAtOnceAndTheNextWaitsUntilTheFirstLeavesTheWindow() {
        for (int i = 0; i < 100; i++) {
            CompletableFuture<Void> slot = pace.reserve(disk, Duration.ZERO);
            assertNotNull(slot, "attach " + (i + 1));
            assertTrue(slot.isDone());
            time.advance(Duration.ofMillis(100)); // 100 attaches over 10 s
        }
        assertEquals(Duration.ofSeconds(20), pace.delay(disk));
        CompletableFuture<Void> next = pace.reserve(disk, Duration.ofSeconds(30));
        assertNotNull(next);
        assertFalse(next.isDone());
        time.advance(Duration.ofSeconds(19));
        assertFalse(next.isDone());
        time.advance(Duration.ofSeconds(1));
        assertTrue(next.isDone(), "30 s after the first attach");
        // another disk has its own pace
        assertTrue(pace.reserve(other, Duration.ZERO).isDone());
    }

    @Test
    void aSlotFurtherThanTheCallMayWaitIsNotTaken() {
        for (int i = 0; i < 100; i++) {
            pace.reserve(disk, Duration.ZERO);
        }
        assertNull(pace.reserve(disk, Duration.ofSeconds(29)));
        assertEquals(Duration.ofSeconds(30), pace.delay(disk), "the refusal took no slot");
        assertEquals(0, time.waiting());
        time.advance(Duration.ofSeconds(30));
        assertTrue(pace.reserve(disk, Duration.ZERO).isDone());
    }

    @Test
    void waitingSlotsKeepThePaceInEveryWindow() {
        List<Long> sent = new ArrayList<>();
        List<CompletableFuture<Void>> slots = new ArrayList<>();
        for (int i = 0; i < 350; i++) {
            CompletableFuture<Void> s = pace.reserve(disk, Duration.ofMinutes(5));
            assertNotNull(s);
            s.thenRun(() -> sent.add(time.nanoTime()));
            slots.add(s);
        }
        for (int i = 0; i < 120; i++) {
            time.advance(Duration.ofSeconds(1));
        }
        assertTrue(slots.stream().allMatch(CompletableFuture::isDone));
        assertEquals(350, sent.size());
        long window = Duration.ofSeconds(30).toNanos();
        for (int i = 0; i + 100 < sent.size(); i++) {
            assertTrue(sent.get(i + 100) - sent.get(i) >= window, "attach " + (i + 101) + " within 30 s of " + (i + 1));
        }
    }
}
