package dev.logpipe.filesink.internal.writer;

import dev.logpipe.testsupport.FakeFileStore;
import dev.logpipe.filesink.JournalState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The writer's free-space check on a fake file system. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SpaceGuardTest {

    private static final long GIB = 1L << 30;
    private static final long RESERVE = 1L << 20;

    private final WriterCounters counters = new WriterCounters();
    private final AtomicInteger pauses = new AtomicInteger();

    private SpaceGuard guard(FakeFileStore store, Duration recheck) {
        counters.state = JournalState.WRITABLE;
        return new SpaceGuard(Path.of("journal"), store, RESERVE, recheck, counters, pauses::incrementAndGet);
    }

    private static void awaitReads(FakeFileStore store, long n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (store.reads() < n) {
            assertTrue(System.nanoTime() < deadline, "reads " + store.reads() + " < " + n);
            Thread.sleep(1); // polling interval
        }
    }

    @Test
    void withAmpleSpaceItSpendsFromOneReadInsteadOfAStatPerBatch() throws Exception {
        FakeFileStore store = new FakeFileStore(GIB);
        SpaceGuard g = guard(store, Duration.ofSeconds(1));
        long t0 = System.nanoTime();
        for (int i = 0; i < 1_000; i++) {
            assertSame(SpaceGuard.Outcome.ROOM, g.awaitRoom(1_000, () -> false, () -> { }));
        }
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        // at most one read per 100 ms while there is plenty (a busy machine may stretch the loop)
        assertTrue(store.reads() <= 1 + elapsedMillis / 100, store.reads() + " reads in " + elapsedMillis + " ms");
        assertEquals(0, counters.pauses);
        assertEquals(0, pauses.get());
    }

    @Test
    void aBatchThatWouldEatIntoTheReserveMakesItReadAgainAndPause() throws Exception {
        FakeFileStore store = new FakeFileStore(RESERVE + 10_000);
        SpaceGuard g = guard(store, Duration.ofMillis(5));
        assertSame(SpaceGuard.Outcome.ROOM, g.awaitRoom(6_000, () -> false, () -> { }));
        assertEquals(1, store.reads());
        store.usable(RESERVE + 4_000); // the first batch took its 6,000 bytes
        // 4,000 bytes left above the reserve: a second 6,000-byte batch must not pass
        CompletableFuture<SpaceGuard.Outcome> second = CompletableFuture.supplyAsync(() -> {
            try {
                return g.awaitRoom(6_000, () -> false, () -> { });
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        awaitReads(store, 4); // paused, re-checking on its timer
        assertFalse(second.isDone());
        assertEquals(JournalState.PAUSED, counters.state());
        assertEquals(1, pauses.get(), "retention asked once per episode");
        store.usable(RESERVE + 6_000);
        assertSame(SpaceGuard.Outcome.ROOM, second.get(10, TimeUnit.SECONDS));
        assertEquals(JournalState.WRITABLE, counters.state());
        assertEquals(1, counters.pauses);
        assertTrue(counters.pausedNanos() > 0);
        assertEquals(1, pauses.get());
    }

    @Test
    void pausedItReChecksOnItsTimerNotInABusyLoop() throws Exception {
        FakeFileStore store = new FakeFileStore(0);
        SpaceGuard g = guard(store, Duration.ofMillis(50));
        AtomicBoolean stop = new AtomicBoolean();
        long t0 = System.nanoTime();
        CompletableFuture<SpaceGuard.Outcome> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return g.awaitRoom(100, stop::get, () -> { });
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        awaitReads(store, 4);
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        long reads = store.reads();
        // one read to pause, then one per 50 ms tick: a spinning wait would read thousands of times
        assertTrue(reads <= 2 + elapsedMillis / 50, reads + " reads in " + elapsedMillis + " ms");
        stop.set(true);
        g.wake();
        assertSame(SpaceGuard.Outcome.WOKEN, waiting.get(10, TimeUnit.SECONDS), "wake() with stop ends the wait at once");
    }

    @Test
    void aFailingReadIsAnErrorNotAPause() {
        FakeFileStore store = new FakeFileStore(GIB);
        store.fail(new IOException("Input/output error"));
        SpaceGuard g = guard(store, Duration.ofMillis(5));
        IOException e = assertThrows(IOException.class, () -> g.awaitRoom(100, () -> false, () -> { }));
        assertEquals("Input/output error", e.getMessage());
        assertEquals(0, counters.pauses);
    }
}
