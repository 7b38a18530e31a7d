package dev.logpipe.collector;

import dev.logpipe.channels.ChannelClosedException;
import dev.logpipe.channels.NonBlockingThread;
import dev.logpipe.channels.SendResult;
import dev.logpipe.filesink.JournalSettings;
import dev.logpipe.filesink.JournalState;
import dev.logpipe.filesink.JournalWriteException;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.SinkListener;
import dev.logpipe.filesink.SourceFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.logpipe.collector.TestSupport.readJournal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded client API: emitters from many threads, durability futures, backpressure, close. */
class EmitterTest {

    private static LogRecord rec(String msg) {
        return LogRecord.builder().level(Level.INFO).service("test").message(msg).build();
    }

    @Test
    @Timeout(90)
    void manyThreadsEmitAndDurableIndicesIncreasePerThread(@TempDir Path dir) throws Exception {
        int threads = 8;
        int perThread = 2_000;
        Map<String, List<CompletableFuture<Long>>> futures = new HashMap<>();
        PipelineStats last;
        try (LogPipeline p = LogPipeline.builder(dir).syncInterval(Duration.ofMillis(10))
                .channelCapacityRecords(64).start()) {
            Emitter emitter = p.emitter("app");
            List<Thread> ts = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int t = 0; t < threads; t++) {
                String tag = "t" + t;
                List<CompletableFuture<Long>> mine = new ArrayList<>(perThread);
                futures.put(tag, mine);
                Thread th = new Thread(() -> {
                    try {
                        for (int i = 0; i < perThread; i++) {
                            mine.add(emitter.emit(rec(tag + " " + i)).toCompletableFuture());
                        }
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                }, "emit-" + tag);
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) {
                th.join(60_000);
            }
            assertEquals(null, failure.get());
            Set<Long> seen = new HashSet<>();
            for (Map.Entry<String, List<CompletableFuture<Long>>> e : futures.entrySet()) {
                long prev = Long.MIN_VALUE;
                for (CompletableFuture<Long> f : e.getValue()) {
                    long index = f.get(60, TimeUnit.SECONDS);
                    assertTrue(index > prev, "indices increase within thread " + e.getKey());
                    assertTrue(seen.add(index), "index given twice: " + index);
                    prev = index;
                }
                // Durable means durable: the watermark covers the last index of this thread.
                assertTrue(p.durableIndex() >= prev);
            }
            last = p.stats();
        }
        assertEquals((long) threads * perThread, last.received(SourceFormat.EMBEDDED));
        List<ReadRecord> journal = readJournal(dir);
        assertEquals(threads * perThread, journal.size());
        Map<String, Integer> next = new HashMap<>();
        for (ReadRecord rr : journal) {
            LogRecord r = rr.record();
            assertEquals("app", r.source());
            assertEquals(SourceFormat.EMBEDDED, r.format());
            String[] parts = r.message().split(" ");
            int want = next.getOrDefault(parts[0], 0);
            assertEquals(want, Integer.parseInt(parts[1]), "per-thread order in the journal");
            next.put(parts[0], want + 1);
            // The future's index is the record's journal index.
            assertEquals(rr.index(), futures.get(parts[0]).get(want).join());
        }
    }

    @Test
    @Timeout(60)
    void tryEmitSaysFullWithATinyChannelAndHandsTheRecordBack(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).channelCapacityRecords(1).syncEveryBatch().start()) {
            Emitter emitter = p.emitter("tiny");
            SendResult<LogRecord> full = null;
            LogRecord offered = null;
            int sent = 0;
            for (int i = 0; i < 1_000_000 && full == null; i++) {
                offered = rec("r " + i);
                SendResult<LogRecord> r = emitter.tryEmit(offered);
                if (r instanceof SendResult.Full<LogRecord>) {
                    full = r;
                } else {
                    assertTrue(r.isSent(), "only Sent or Full while open: " + r);
                    sent++;
                }
            }
            assertNotNull(full, "a one-record channel fills up");
            assertSame(offered, ((SendResult.Full<LogRecord>) full).value(), "Full hands the caller's record back");
            int accepted = sent;
            TestSupport.awaitCondition(Duration.ofSeconds(20), "accepted records written",
                    () -> p.stats().writtenRecords() == accepted);
            assertEquals(accepted, p.stats().received(SourceFormat.EMBEDDED));
        }
    }

    @Test
    @Timeout(60)
    void blockingEmitWaitsForRoomAndReturnsTheDurableIndex(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).channelCapacityRecords(2).syncInterval(Duration.ofMillis(5)).start()) {
            Emitter emitter = p.emitter("blocking");
            long prev = -1;
            for (int i = 0; i < 50; i++) {
                long index = emitter.blockingEmit(rec("b " + i));
                assertTrue(index > prev);
                assertTrue(p.durableIndex() >= index, "durable when it returns");
                prev = index;
            }
            long written = emitter.blockingEmit(rec("w"), Durability.WRITTEN);
            assertTrue(written > prev);
        }
        List<ReadRecord> journal = readJournal(dir);
        assertEquals(51, journal.size());
    }

    /**
     * An interrupt says whether the record was taken: a plain InterruptedException before (not stored;
     * also when the flag was set at the call, where the record used to be stored and the same exception
     * thrown), a ReceiptInterruptedException after (stored: its receipt completes). Retrying on either used
     * to store the record twice.
     */
    @Test
    @Timeout(60)
    void blockingEmitSaysWhetherAnInterruptedRecordWasTaken(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).syncNever().start()) {
            Emitter emitter = p.emitter("interrupts");
            Thread.currentThread().interrupt();
            InterruptedException before = assertThrows(InterruptedException.class, () -> emitter.blockingEmit(rec("flag set")));
            assertFalse(before instanceof ReceiptInterruptedException, before.toString());
            assertFalse(Thread.interrupted(), "the flag is consumed, as by any InterruptedException");

            // durable receipts complete only at close under syncNever: the wait is interrupted after the take
            java.util.concurrent.CompletableFuture<Throwable> thrown = new java.util.concurrent.CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    emitter.blockingEmit(rec("taken"));
                    thrown.complete(null);
                } catch (Throwable e) {
                    thrown.complete(e);
                }
            });
            t.start();
            TestSupport.awaitCondition(Duration.ofSeconds(10), "taken", () -> p.stats().writtenRecords() == 1);
            t.interrupt();
            Throwable after = thrown.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(after instanceof ReceiptInterruptedException, String.valueOf(after));
            java.util.concurrent.CompletionStage<Long> receipt = ((ReceiptInterruptedException) after).receipt();
            p.close();
            assertTrue(receipt.toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS) >= 0, "stored");
        }
        assertEquals(List.of("taken"), readJournal(dir).stream().map(r -> r.record().message()).toList());
    }

    @Test
    @Timeout(60)
    void closeFromAStagesCallbackIsRefusedSayingWhatToDo(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).syncInterval(Duration.ofMillis(5)).start()) {
            java.util.concurrent.CompletableFuture<Throwable> refused = new java.util.concurrent.CompletableFuture<>();
            p.emitter("cb").emit(rec("x")).whenComplete((i, e) -> {
                try {
                    p.close();
                    refused.complete(null);
                } catch (Throwable t) {
                    refused.complete(t);
                }
            });
            Throwable t = refused.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(t instanceof IllegalStateException && t.getMessage().contains("close the pipeline from another thread"),
                    String.valueOf(t));
        }
    }

    /** A thread that must not block, like an event loop. */
    private static final class NonBlocking extends Thread implements NonBlockingThread {
        NonBlocking(Runnable r) {
            super(r, "test-non-blocking");
        }
    }

    @Test
    @Timeout(30)
    void blockingEmitRefusesOnANonBlockingThread(@TempDir Path dir) throws Exception {
        try (LogPipeline p = LogPipeline.builder(dir).start()) {
            Emitter emitter = p.emitter("loop");
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(1);
            new NonBlocking(() -> {
                try {
                    emitter.blockingEmit(rec("x"));
                } catch (Throwable e) {
                    thrown.set(e);
                } finally {
                    done.countDown();
                }
            }).start();
            assertTrue(done.await(10, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, thrown.get());
            assertTrue(thrown.get().getMessage().contains("emit"), thrown.get().getMessage());
            assertEquals(0, p.stats().receivedTotal(), "nothing was sent");
        }
    }

    /**
     * An Error that stops the journal writer (a sink listener's bug here; an OutOfMemoryError when
     * the application has taken the heap) fails the emits in flight and the ones after it at once,
     * saying why, instead of leaving their futures waiting for good.
     */
    @Test
    @Timeout(30)
    void aWriterStoppedByAnErrorFailsEmitsSayingWhyAndLeavesNoneWaiting(@TempDir Path dir) throws Exception {
        SinkListener failing = new SinkListener() {
            @Override
            public void onBatch(int records, long bytes) {
                throw new AssertionError("a sink listener's bug");
            }
        };
        try (LogPipeline p = LogPipeline.builder(dir).sinkListener(failing).start()) {
            Emitter emitter = p.emitter("app");
            CompletionException first = assertThrows(CompletionException.class,
                    () -> emitter.emit(rec("first")).toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join());
            assertInstanceOf(JournalWriteException.class, first.getCause(), "the record's future fails, it does not hang");
            TestSupport.awaitCondition(Duration.ofSeconds(10), "the journal to fail",
                    () -> p.journalState() == JournalState.FAILED);
            CompletionException later = assertThrows(CompletionException.class,
                    () -> emitter.emit(rec("later")).toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join());
            assertInstanceOf(ChannelClosedException.class, later.getCause());
            assertTrue(later.getCause().getMessage().contains("journal writer stopped"), later.getCause().getMessage());
            assertInstanceOf(JournalWriteException.class, later.getCause().getCause());
            ChannelClosedException blocking = assertThrows(ChannelClosedException.class,
                    () -> emitter.blockingEmit(rec("blocking")));
            assertTrue(blocking.getMessage().contains("journal writer stopped"), blocking.getMessage());
        }
    }

    @Test
    @Timeout(30)
    void emitAfterCloseFailsAndNothingIsLost(@TempDir Path dir) throws Exception {
        LogPipeline p = LogPipeline.builder(dir).start();
        Emitter emitter = p.emitter("closing");
        long index = emitter.emit(rec("before")).toCompletableFuture().get(20, TimeUnit.SECONDS);
        p.close();
        assertInstanceOf(SendResult.Closed.class, emitter.tryEmit(rec("after")));
        CompletionException e = assertThrows(CompletionException.class,
                () -> emitter.emit(rec("after")).toCompletableFuture().join());
        assertInstanceOf(ChannelClosedException.class, e.getCause());
        assertThrows(ChannelClosedException.class, () -> emitter.blockingEmit(rec("after")));
        List<ReadRecord> journal = readJournal(dir);
        assertEquals(1, journal.size());
        assertEquals(index, journal.get(0).index());
        assertEquals("before", journal.get(0).record().message());
    }

    @Test
    void aBuilderChangedAfterStartChangesNothing(@TempDir Path dir) throws Exception {
        LogPipeline.Builder b = LogPipeline.builder(dir).drainTimeout(Duration.ofSeconds(60))
                .syncInterval(Duration.ofSeconds(10));
        LogPipeline p = b.start();
        b.drainTimeout(Duration.ofMillis(1)); // read at close() by a pipeline that kept its builder
        Emitter emitter = p.emitter("frozen");
        List<CompletableFuture<Long>> pending = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            pending.add(emitter.emit(rec("r" + i), Durability.WRITTEN).toCompletableFuture());
        }
        PipelineStats last = p.shutdown();
        for (CompletableFuture<Long> f : pending) {
            assertTrue(f.isDone() && !f.isCompletedExceptionally(), "every record stored: " + last);
        }
        assertEquals(0, last.lostRecords(), last.toString());
        assertEquals(50_000, readJournal(dir).size());
    }

    @Test
    void journalSettingsAreTakenWholeAndFrozenAtStart(@TempDir Path dir) throws Exception {
        LogPipeline.Builder b = LogPipeline.builder(dir).journal(JournalSettings.builder().syncNever().build());
        LogPipeline p = b.start();
        b.syncEveryBatch(); // after start: changes nothing
        Emitter emitter = p.emitter("settings");
        CompletableFuture<Long> durable = emitter.emit(rec("d"), Durability.DURABLE).toCompletableFuture();
        CompletableFuture<Long> written = emitter.emit(rec("w"), Durability.WRITTEN).toCompletableFuture();
        written.get(10, java.util.concurrent.TimeUnit.SECONDS); // both appended, in order
        assertFalse(durable.isDone(), "the policy taken at start is never: no sync while running");
        p.shutdown();
        assertTrue(durable.isDone() && !durable.isCompletedExceptionally(), "durable after the final sync");
    }
}
