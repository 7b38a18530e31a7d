package dev.logpipe.filesink;

import dev.logpipe.channels.Broadcast;
import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.SendResult;
import dev.logpipe.runtime.TaskRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SinkHooksTest {

    @TempDir
    Path dir;

    TaskRuntime runtime;

    @BeforeEach
    void setUp() {
        runtime = TaskRuntime.builder().workerThreads(2).maxBlockingThreads(4).threadNamePrefix("hooks").build();
    }

    @AfterEach
    void tearDown() {
        runtime.shutdown(Duration.ofSeconds(5));
    }

    @Test
    void listenerSeesBatchesSyncsAndDurabilityOnTheDocumentedThreads() throws Exception {
        AtomicLong batchRecords = new AtomicLong();
        AtomicLong durableRecords = new AtomicLong();
        AtomicLong lastSyncIndex = new AtomicLong(-1);
        List<String> threads = new CopyOnWriteArrayList<>();
        List<Segment> rolls = new CopyOnWriteArrayList<>();
        SinkListener l = new SinkListener() {
            @Override
            public void onBatch(int records, long bytes) {
                batchRecords.addAndGet(records);
                threads.add("batch:" + Thread.currentThread().getName());
            }

            @Override
            public void onSync(long durationNanos, long durableIndex) {
                assertTrue(durableIndex > lastSyncIndex.get(), "watermark only rises");
                lastSyncIndex.set(durableIndex);
                threads.add("sync:" + Thread.currentThread().getName());
            }

            @Override
            public void onDurable(long records, long oldestReceiveTimeNanos, long nowNanos) {
                durableRecords.addAndGet(records);
            }

            @Override
            public void onRoll(Segment s) {
                rolls.add(s);
            }
        };
        FileSink sink = FileSink.builder(dir).runtime(runtime).listener(l).syncInterval(Duration.ofMillis(5)).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(128);
        sink.start(ch.receiver());
        List<CompletableFuture<String>> completedOn = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            AppendRequest req = AppendRequest.withReceipt(TestRecords.record(i));
            if (i % 500 == 0) {
                // Attached before the send: a callback attached to a stage that is already complete
                // runs on the attaching thread, which would say nothing about the completing one.
                completedOn.add(req.written().thenApply(idx -> Thread.currentThread().getName()).toCompletableFuture());
                completedOn.add(req.written().thenCompose(sink::whenDurable)
                        .thenApply(idx -> Thread.currentThread().getName()).toCompletableFuture());
            }
            ch.sender().blockingSend(req);
        }
        ch.sender().close();
        WriterReport report = sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(3000, batchRecords.get());
        assertEquals(3000, durableRecords.get(), "every batch reported durable once");
        assertEquals(report.lastIndex(), lastSyncIndex.get());
        assertEquals(1, rolls.size(), "the first segment is announced");
        for (CompletableFuture<String> f : completedOn) {
            assertTrue(f.get(5, TimeUnit.SECONDS).startsWith("hooks-worker-"), "completed on a runtime worker: " + f.get());
        }
        assertTrue(threads.stream().filter(t -> t.startsWith("batch:")).allMatch(t -> t.equals("batch:logpipe-journal-writer")));
        assertTrue(threads.stream().filter(t -> t.startsWith("sync:")).allMatch(t -> t.startsWith("sync:hooks-blocking-")),
                threads.toString());
    }

    @Test
    void withSyncNeverTheFinalSyncReportsEveryRecordDurable() throws Exception {
        AtomicLong durableRecords = new AtomicLong();
        AtomicLong durableCalls = new AtomicLong();
        AtomicLong lastSyncIndex = new AtomicLong(-1);
        SinkListener l = new SinkListener() {
            @Override
            public void onSync(long durationNanos, long durableIndex) {
                lastSyncIndex.set(durableIndex);
            }

            @Override
            public void onDurable(long records, long oldestReceiveTimeNanos, long nowNanos) {
                durableRecords.addAndGet(records);
                durableCalls.incrementAndGet();
                assertTrue(nowNanos >= oldestReceiveTimeNanos, "latency is not negative");
            }
        };
        FileSink sink = FileSink.builder(dir).runtime(runtime).listener(l).syncNever().build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(16); // small: many batches
        sink.start(ch.receiver());
        for (int i = 0; i < 2000; i++) {
            ch.sender().blockingSend(AppendRequest.of(TestRecords.record(i)));
        }
        assertEquals(0, durableRecords.get(), "nothing is durable before the final sync");
        ch.sender().close();
        WriterReport report = sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(report.lastIndex(), report.durableIndex());
        assertEquals(report.lastIndex(), lastSyncIndex.get());
        assertEquals(2000, durableRecords.get(), "the final sync made every record durable and says so");
        assertEquals(1, durableCalls.get(), "one sum for the one sync");
        assertEquals(report.durableIndex(), sink.stats().durableIndex());
    }

    @Test
    void shutdownBroadcastStopsNewSendsAndDrainsWhatWasBuffered() throws Exception {
        Broadcast.Channel<String> shutdown = Broadcast.channel(4);
        FileSink sink = FileSink.builder(dir).runtime(runtime).shutdownSignal(shutdown.receiver()).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(1000);
        for (int i = 0; i < 800; i++) {
            assertTrue(ch.sender().trySend(AppendRequest.of(TestRecords.record(i))).isSent());
        }
        sink.start(ch.receiver());
        shutdown.sender().send("stop");
        WriterReport report = sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertEquals(800, report.writtenRecords(), "everything accepted before the signal is stored");
        SendResult<AppendRequest> late = ch.sender().trySend(AppendRequest.of(TestRecords.record(999)));
        assertInstanceOf(SendResult.Closed.class, late);
    }

    @Test
    void whenDurableFailsForIndicesTheWriterNeverReached() throws Exception {
        FileSink sink = FileSink.builder(dir).runtime(runtime).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(8);
        sink.start(ch.receiver());
        CompletableFuture<Long> never = sink.whenDurable(Long.MAX_VALUE - 1).toCompletableFuture();
        ch.sender().close();
        sink.close();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> never.get(10, TimeUnit.SECONDS));
        assertInstanceOf(JournalWriteException.class, e.getCause());
        assertThrows(IllegalStateException.class, () -> AppendRequest.of(TestRecords.record(1)).written());
    }

    /**
     * An Error that ends the writer's loop (a listener's bug here; an OutOfMemoryError when the
     * application has taken the heap) must leave nothing waiting for a writer that is gone: the
     * receipts of the batch in hand and of what is still in the channel fail, a sender blocked on the
     * full channel gets its record back, and the report counts every record. With {@code alsoOnError}
     * reporting the failure throws as well, as it may when memory has run out.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anErrorThatStopsTheWriterLeavesNoSenderOrReceiptWaiting(boolean alsoOnError) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        SinkListener l = new SinkListener() {
            @Override
            public void onBatch(int records, long bytes) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new AssertionError("a listener's bug");
            }

            @Override
            public void onError(Throwable t) {
                if (alsoOnError) {
                    throw new AssertionError("and another while it is reported");
                }
            }
        };
        FileSink sink = FileSink.builder(dir).runtime(runtime).listener(l).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
        List<CompletableFuture<Long>> receipts = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            AppendRequest r = AppendRequest.withDurableReceipt(TestRecords.record(i));
            receipts.add(r.durable());
            assertTrue(ch.sender().trySend(r).isSent());
        }
        sink.start(ch.receiver());
        // The writer takes those 64 and stops in onBatch; 64 more fill the channel again.
        for (int i = 64; i < 128; i++) {
            AppendRequest r = AppendRequest.withDurableReceipt(TestRecords.record(i));
            receipts.add(r.durable());
            ch.sender().blockingSend(r);
        }
        CompletableFuture<SendResult<AppendRequest>> blocked = new CompletableFuture<>();
        Thread sender = new Thread(() -> {
            try {
                blocked.complete(ch.sender().blockingSend(AppendRequest.withDurableReceipt(TestRecords.record(128))));
            } catch (Throwable t) {
                blocked.completeExceptionally(t);
            }
        }, "blocked-sender");
        sender.start();
        while (sender.getState() != Thread.State.WAITING && sender.getState() != Thread.State.TIMED_WAITING) {
            Thread.onSpinWait(); // parked on the full channel
        }
        release.countDown();

        assertInstanceOf(SendResult.Closed.class, blocked.get(10, TimeUnit.SECONDS), "the blocked sender gets its record back");
        for (CompletableFuture<Long> f : receipts) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> f.get(10, TimeUnit.SECONDS), "every receipt completes, none is left waiting");
            assertInstanceOf(JournalWriteException.class, e.getCause());
        }
        WriterReport report = sink.terminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertTrue(report.error() != null, "the report says the writer failed");
        assertEquals(64, report.writtenRecords(), "the batch in hand was written before the error");
        assertEquals(64, report.failedRecords(), "what the channel still held is counted as not stored");
        assertEquals(0, sink.stats().heldRecords(), "nothing is left counted as held by a writer that is gone");
        assertInstanceOf(SendResult.Closed.class, ch.sender().trySend(AppendRequest.of(TestRecords.record(129))));
    }

    /**
     * An Error from the sink listener while a sync reports (a listener's bug; an OutOfMemoryError)
     * must not keep the records that sync made durable from being acknowledged: nothing more is sent
     * after them, so no later sync would release them either.
     */
    @Test
    void anErrorFromTheListenerAtASyncDoesNotHoldBackTheDurableReceipts() throws Exception {
        AtomicBoolean thrown = new AtomicBoolean();
        SinkListener l = new SinkListener() {
            @Override
            public void onSync(long durationNanos, long durableIndex) {
                if (thrown.compareAndSet(false, true)) {
                    throw new AssertionError("a listener's bug");
                }
            }
        };
        FileSink sink = FileSink.builder(dir).runtime(runtime).listener(l).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
        sink.start(ch.receiver());
        List<CompletableFuture<Long>> receipts = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            AppendRequest r = AppendRequest.withDurableReceipt(TestRecords.record(i));
            receipts.add(r.durable());
            ch.sender().blockingSend(r);
        }
        for (CompletableFuture<Long> f : receipts) {
            assertTrue(f.get(10, TimeUnit.SECONDS) >= 0, "every durable receipt completes");
        }
        assertTrue(thrown.get(), "the listener did throw");
        ch.sender().close();
        sink.terminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
