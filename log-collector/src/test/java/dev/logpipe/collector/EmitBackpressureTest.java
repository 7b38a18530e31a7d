package dev.logpipe.collector;

import dev.logpipe.channels.NonBlockingThread;
import dev.logpipe.channels.SendResult;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.SinkListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.logpipe.collector.TestSupport.awaitCondition;
import static dev.logpipe.collector.TestSupport.readJournal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Emitter#emit} pushes back on its caller when the channel is full, and what waits is bounded:
 * an ordinary thread parks (up to emitMaxBlock), a non-blocking thread never parks and only a bounded
 * number of its emits wait. The journal writer is held inside its first batch by a listener, so the
 * channel stays full for as long as a test needs.
 */
class EmitBackpressureTest {

    private static final int CAPACITY = 4;

    private static LogRecord rec(String msg) {
        return LogRecord.builder().level(Level.INFO).service("test").message(msg).build();
    }

    /** Holds the writer thread inside its first batch until released. */
    private static final class StallingListener implements SinkListener {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void onBatch(int records, long bytes) {
            entered.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A thread that must not block, like an event loop. */
    private static final class NonBlocking extends Thread implements NonBlockingThread {
        NonBlocking(Runnable r) {
            super(r, "test-non-blocking");
        }
    }

    /** Emits until the writer is stalled inside a batch and the channel is full; returns how many were sent. */
    private static int fillWhileStalled(Emitter emitter, StallingListener stall) throws InterruptedException {
        assertTrue(emitter.tryEmit(rec("first")).isSent());
        assertTrue(stall.entered.await(20, TimeUnit.SECONDS), "the writer took the first batch");
        int sent = 1;
        while (emitter.tryEmit(rec("fill " + sent)).isSent()) {
            sent++;
            assertTrue(sent <= CAPACITY + 1, "a stalled writer's channel holds at most its capacity");
        }
        return sent;
    }

    private static LogPipeline.Builder stalledPipeline(Path dir, StallingListener stall) {
        return LogPipeline.builder(dir).channelCapacityRecords(CAPACITY).syncInterval(Duration.ofMillis(5))
                .sinkListener(stall);
    }

    @Test
    @Timeout(60)
    void emitOnAnOrdinaryThreadParksItUntilThereIsRoomThenStoresInOrder(@TempDir Path dir) throws Exception {
        StallingListener stall = new StallingListener();
        int emits = 20;
        List<CompletionStage<Long>> stages = new ArrayList<>();
        AtomicInteger returned = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int filled;
        try (LogPipeline p = stalledPipeline(dir, stall).start()) {
            Emitter emitter = p.emitter("app");
            filled = fillWhileStalled(emitter, stall);
            Thread caller = new Thread(() -> {
                try {
                    for (int i = 0; i < emits; i++) {
                        stages.add(emitter.emit(rec("e " + i)));
                        returned.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "emit-caller");
            caller.start();
            awaitCondition(Duration.ofSeconds(20), "the caller parks in emit",
                    () -> caller.getState() == Thread.State.TIMED_WAITING);
            assertEquals(0, returned.get(), "emit did not return while the channel was full");
            stall.release.countDown();
            caller.join(30_000);
            assertNull(failure.get());
            long prev = -1;
            for (CompletionStage<Long> s : stages) {
                long index = s.toCompletableFuture().get(30, TimeUnit.SECONDS);
                assertTrue(index > prev, "indexes ascend in emit order");
                assertTrue(p.durableIndex() >= index, "durable when the stage completes");
                prev = index;
            }
        }
        List<ReadRecord> journal = readJournal(dir);
        assertEquals(filled + emits, journal.size());
        for (int i = 0; i < emits; i++) {
            assertEquals("e " + i, journal.get(filled + i).record().message());
        }
    }

    @Test
    @Timeout(60)
    void emitGivesUpAfterMaxBlockAndHandsTheRecordBack(@TempDir Path dir) throws Exception {
        StallingListener stall = new StallingListener();
        int filled;
        try (LogPipeline p = stalledPipeline(dir, stall).emitMaxBlock(Duration.ofMillis(50)).start()) {
            Emitter emitter = p.emitter("app");
            filled = fillWhileStalled(emitter, stall);
            LogRecord late = rec("late");
            CompletableFuture<Long> f = emitter.emit(late).toCompletableFuture();
            assertTrue(f.isCompletedExceptionally(), "emit returned only after giving up");
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, f::get);
            EmitFullException full = assertInstanceOf(EmitFullException.class, e.getCause());
            assertSame(late, full.record(), "the caller's own record is handed back");
            assertTrue(full.getMessage().contains("emitMaxBlock"), full.getMessage());
            stall.release.countDown();
            awaitCondition(Duration.ofSeconds(20), "the filled records written", () -> p.stats().writtenRecords() == filled);
            assertEquals(filled, p.stats().receivedTotal(), "the refused record was not counted as received");
        }
        assertEquals(filled, readJournal(dir).size());
    }

    @Test
    @Timeout(60)
    void emitOnANonBlockingThreadNeverParksAndBoundsTheWaiters(@TempDir Path dir) throws Exception {
        StallingListener stall = new StallingListener();
        int waiters = 3;
        int emits = 10;
        List<CompletableFuture<Long>> stages = new ArrayList<>();
        int filled;
        try (LogPipeline p = stalledPipeline(dir, stall).emitAsyncWaiters(waiters).start()) {
            Emitter emitter = p.emitter("loop");
            filled = fillWhileStalled(emitter, stall);
            CountDownLatch done = new CountDownLatch(1);
            new NonBlocking(() -> {
                for (int i = 0; i < emits; i++) {
                    stages.add(emitter.emit(rec("nb " + i)).toCompletableFuture());
                }
                done.countDown();
            }).start();
            assertTrue(done.await(20, TimeUnit.SECONDS), "the non-blocking thread returned from every emit");
            for (int i = 0; i < emits; i++) {
                CompletableFuture<Long> f = stages.get(i);
                if (i < waiters) {
                    assertFalse(f.isDone(), "emit " + i + " waits for room");
                } else {
                    assertTrue(f.isCompletedExceptionally(), "emit " + i + " failed at once: the waiters are bounded");
                    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, f::get);
                    EmitFullException full = assertInstanceOf(EmitFullException.class, e.getCause());
                    assertEquals("nb " + i, full.record().message());
                }
            }
            assertInstanceOf(SendResult.Full.class, emitter.tryEmit(rec("try")), "tryEmit does not barge past waiters");
            stall.release.countDown();
            long prev = -1;
            for (int i = 0; i < waiters; i++) {
                long index = stages.get(i).get(30, TimeUnit.SECONDS);
                assertTrue(index > prev);
                prev = index;
            }
        }
        List<ReadRecord> journal = readJournal(dir);
        assertEquals(filled + waiters, journal.size());
        for (int i = 0; i < waiters; i++) {
            assertEquals("nb " + i, journal.get(filled + i).record().message(), "waiters stored in emit order");
        }
    }

    @Test
    @Timeout(120)
    void aTightEmitLoopFromManyThreadsStoresEveryRecordOnceInOrder(@TempDir Path dir) throws Exception {
        int threads = 4;
        int perThread = 25_000;
        List<List<CompletionStage<Long>>> stages = new ArrayList<>();
        try (LogPipeline p = LogPipeline.builder(dir).channelCapacityRecords(256)
                .syncInterval(Duration.ofMillis(20)).start()) {
            Emitter emitter = p.emitter("tight");
            List<Thread> ts = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int t = 0; t < threads; t++) {
                List<CompletionStage<Long>> mine = new ArrayList<>(perThread);
                stages.add(mine);
                String tag = "t" + t;
                Thread th = new Thread(() -> {
                    try {
                        for (int i = 0; i < perThread; i++) {
                            mine.add(emitter.emit(rec(tag + " " + i)));
                        }
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) {
                th.join(90_000);
            }
            assertNull(failure.get());
            java.util.Set<Long> seen = new java.util.HashSet<>();
            for (List<CompletionStage<Long>> mine : stages) {
                long prev = -1;
                for (CompletionStage<Long> s : mine) {
                    long index = s.toCompletableFuture().get(60, TimeUnit.SECONDS);
                    assertTrue(index > prev, "per-thread order");
                    assertTrue(seen.add(index), "no index twice");
                    prev = index;
                }
            }
        }
        assertEquals(threads * perThread, readJournal(dir).size());
    }
}
