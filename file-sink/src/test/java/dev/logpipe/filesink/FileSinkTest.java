package dev.logpipe.filesink;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.MpscSender;
import dev.logpipe.channels.SendResult;
import dev.logpipe.channels.WatchReceiver;
import dev.logpipe.runtime.TaskRuntime;
import dev.logpipe.testsupport.Conditions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FileSinkTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final TestRuntime runtime = new TestRuntime();

    private static List<ReadRecord> readAll(Path dir) {
        List<ReadRecord> out = new ArrayList<>();
        try (JournalReader r = JournalReader.open(dir)) {
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                out.add(rr);
            }
        }
        return out;
    }

    private WriterReport runSink(FileSink sink, int count, List<CompletableFuture<Long>> receipts) throws Exception {
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(256);
        sink.start(ch.receiver());
        MpscSender<AppendRequest> tx = ch.sender();
        for (int i = 0; i < count; i++) {
            AppendRequest req = receipts != null ? AppendRequest.withReceipt(TestRecords.record(i))
                    : AppendRequest.of(TestRecords.record(i));
            assertTrue(tx.blockingSend(req).isSent());
            if (receipts != null) {
                receipts.add(req.written().toCompletableFuture());
            }
        }
        tx.close();
        return sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void recordsReadBackEqualAndInOrderWithIncreasingReceipts() throws Exception {
        FileSink sink = FileSink.builder(dir).runtime(runtime.get()).syncInterval(Duration.ofMillis(20)).batchSize(64).build();
        List<CompletableFuture<Long>> receipts = new ArrayList<>();
        WriterReport report = runSink(sink, 5_000, receipts);
        assertTrue(report.clean(), report.toString());
        assertEquals(5_000, report.writtenRecords());
        List<ReadRecord> back = readAll(dir);
        assertEquals(5_000, back.size());
        long prev = -1;
        for (int i = 0; i < back.size(); i++) {
            assertEquals(TestRecords.record(i), back.get(i).record());
            long idx = receipts.get(i).get(5, TimeUnit.SECONDS);
            assertEquals(back.get(i).index(), idx, "receipt gives the record's index");
            assertTrue(idx > prev, "receipts increase");
            prev = idx;
        }
        assertEquals(prev, report.lastIndex());
        assertEquals(prev, report.durableIndex(), "final sync covers the last record");
    }

    @Test
    void aJournalWrittenWithPrefaultingReadsBackWhole() throws Exception {
        // ~44 MB: many prefault ranges, full batches (populated writable: no durable
        // receipts), and syncs every 20 ms that write the prefaulted zero pages ahead of the last record
        String body = "p".repeat(1_000);
        int count = 40_000;
        FileSink sink = FileSink.builder(dir).runtime(runtime.get()).syncInterval(Duration.ofMillis(20)).batchSize(64)
                .prefaultPages(true).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(1024);
        sink.start(ch.receiver());
        try (MpscSender<AppendRequest> tx = ch.sender()) {
            for (int i = 0; i < count; i++) {
                LogRecord r = LogRecord.builder().receiveTimeNanos(i).message(body).field("n", Integer.toString(i)).build();
                assertTrue(tx.blockingSend(AppendRequest.of(r)).isSent());
            }
        }
        WriterReport report = sink.terminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertTrue(report.clean(), report.toString());
        assertEquals(count, report.writtenRecords());
        int n = 0;
        try (JournalReader r = JournalReader.open(dir)) {
            for (ReadRecord rr; (rr = r.next()) != null; n++) {
                assertEquals(Integer.toString(n), rr.record().fields().get("n").text());
                assertEquals(body, rr.record().message());
            }
        }
        assertEquals(count, n, "every record, nothing after the last");
        assertTrue(JournalVerifier.verify(dir).ok());
    }

    @Test
    void requestSyncMakesWrittenRecordsDurableBeforeTheInterval() throws Exception {
        // An interval far longer than the test, and nobody waits for durability: only requestSync syncs.
        FileSink sink = FileSink.builder(dir).runtime(runtime.get()).syncInterval(Duration.ofHours(1)).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(128);
        sink.start(ch.receiver());
        for (int round = 0; round < 3; round++) {
            AppendRequest r = AppendRequest.withReceipt(TestRecords.record(round));
            ch.sender().blockingSend(r);
            long index = r.written().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertTrue(!sink.whenDurable(index).toCompletableFuture().isDone(), "not durable before a sync");
            sink.requestSync();
            assertEquals(index, sink.whenDurable(index).toCompletableFuture().get(10, TimeUnit.SECONDS));
        }
        assertEquals(3, sink.stats().syncs());
        ch.sender().close();
        sink.close();
    }

    @Test
    void aRecordWhoseReceiptWaitsForDurabilityIsSyncedWithoutWaitingForTheInterval() throws Exception {
        FileSink sink = FileSink.builder(dir).runtime(runtime.get()).syncInterval(Duration.ofHours(1)).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(128);
        sink.start(ch.receiver());
        for (int round = 0; round < 3; round++) {
            AppendRequest r = AppendRequest.withDurableReceipt(TestRecords.record(round));
            ch.sender().blockingSend(r);
            // no requestSync, and the interval is an hour: the writer asks for the sync itself
            long index = r.durable().get(10, TimeUnit.SECONDS);
            assertTrue(sink.whenDurable(index).toCompletableFuture().isDone());
        }
        ch.sender().close();
        sink.close();
    }

    @Test
    void underThePolicyNeverADurableReceiptWaitsForTheFinalSync() throws Exception {
        FileSink sink = FileSink.builder(dir).runtime(runtime.get()).syncNever().build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(128);
        sink.start(ch.receiver());
        AppendRequest durable = AppendRequest.withDurableReceipt(TestRecords.record(0));
        AppendRequest written = AppendRequest.withReceipt(TestRecords.record(1));
        ch.sender().blockingSend(durable);
        ch.sender().blockingSend(written);
        long second = written.written().toCompletableFuture().get(10, TimeUnit.SECONDS); // both appended, in order
        assertTrue(!durable.durable().isDone(), "no sync while running");
        assertEquals(0, sink.stats().syncs());
        ch.sender().close();
        sink.close();
        assertEquals(second - 1, durable.durable().get(10, TimeUnit.SECONDS), "durable after the final sync");
    }

    @Test
    void watermarkReachesTheLastIndexWhileRunningWithIntervalSync() throws Exception {
        FileSink sink = FileSink.builder(dir).runtime(runtime.get()).syncInterval(Duration.ofMillis(10)).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(128);
        sink.start(ch.receiver());
        WatchReceiver<Long> wm = sink.durableWatermark();
        AppendRequest last = null;
        for (int i = 0; i < 1000; i++) {
            last = AppendRequest.withReceipt(TestRecords.record(i));
            ch.sender().blockingSend(last);
        }
        long lastIndex = last.written().toCompletableFuture().get(10, TimeUnit.SECONDS);
        // no close yet: the interval sync alone must make it durable
        long seen = wm.blockingWaitFor(v -> v >= lastIndex);
        assertEquals(lastIndex, seen);
        assertEquals(lastIndex, sink.whenDurable(lastIndex).toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertTrue(sink.stats().syncs() >= 1);
        ch.sender().close();
        sink.close();
    }

    @Test
    void everyBatchAndBytesPoliciesMakeEverythingDurable() throws Exception {
        for (int mode = 0; mode < 2; mode++) {
            Path d = dir.resolve("m" + mode);
            FileSink.Builder b = FileSink.builder(d).runtime(runtime.get()).syncNever();
            b = mode == 0 ? b.syncEveryBatch() : b.syncEveryBytes(4096);
            FileSink sink = b.build();
            Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
            sink.start(ch.receiver());
            AppendRequest last = null;
            for (int i = 0; i < 2000; i++) {
                last = AppendRequest.withReceipt(TestRecords.record(i));
                ch.sender().blockingSend(last);
            }
            long lastIndex = last.written().toCompletableFuture().get(10, TimeUnit.SECONDS);
            if (mode == 0) {
                // every batch: the last batch's sync covers it without any timer or close
                assertEquals(lastIndex, sink.whenDurable(lastIndex).toCompletableFuture().get(10, TimeUnit.SECONDS));
            }
            ch.sender().close();
            sink.close();
            WriterReport r = sink.terminated().toCompletableFuture().get();
            assertEquals(lastIndex, r.durableIndex());
            assertEquals(2000, readAll(d).size());
        }
    }

    @Test
    void syncNeverStillSyncsOnceAtClose() throws Exception {
        FileSink sink = FileSink.builder(dir).runtime(runtime.get()).syncNever().build();
        WriterReport report = runSink(sink, 100, null);
        assertEquals(report.lastIndex(), report.durableIndex());
        assertEquals(1, report.syncs());
    }

    @Test
    void reopenedJournalContinuesAfterTheLastRecord() throws Exception {
        runSink(FileSink.builder(dir).runtime(runtime.get()).build(), 100, null);
        FileSink second = FileSink.builder(dir).runtime(runtime.get()).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(16);
        second.start(ch.receiver());
        for (int i = 100; i < 150; i++) {
            ch.sender().blockingSend(AppendRequest.of(TestRecords.record(i)));
        }
        ch.sender().close();
        second.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        List<ReadRecord> back = readAll(dir);
        assertEquals(150, back.size());
        for (int i = 0; i < 150; i++) {
            assertEquals(i, TestRecords.numberOf(back.get(i).record()));
        }
    }

    @Test
    void secondWriterOnTheSameDirectoryIsRefused() throws Exception {
        FileSink first = FileSink.builder(dir).runtime(runtime.get()).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(16);
        first.start(ch.receiver());
        FileSink second = FileSink.builder(dir).runtime(runtime.get()).build();
        JournalLockedException e = assertThrows(JournalLockedException.class,
                () -> second.start(Mpsc.<AppendRequest>bounded(1).receiver()));
        assertTrue(e.getMessage().contains("in use by another logpipe writer"), e.getMessage());
        ch.sender().close();
        first.close();
        // once the first one is gone the directory is free again
        FileSink third = FileSink.builder(dir).runtime(runtime.get()).build();
        Mpsc.Channel<AppendRequest> ch3 = Mpsc.bounded(1);
        third.start(ch3.receiver());
        ch3.sender().close();
        third.close();
    }

    @Test
    void aDataDirectoryThatIsAFileIsRefusedSayingSo() throws Exception {
        Path file = dir.resolveSibling(dir.getFileName() + "-file");
        java.nio.file.Files.writeString(file, "not a journal");
        FileSink sink = FileSink.builder(file).runtime(runtime.get()).build();
        java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class,
                () -> sink.start(Mpsc.<AppendRequest>bounded(1).receiver()));
        assertTrue(e.getMessage().contains("it is a file, not a directory"), e.getMessage());
        assertEquals("not a journal", java.nio.file.Files.readString(file), "the file is left as it was");
    }

    /**
     * Receipts are completed on a runtime worker; the sink's termination used to complete beside
     * them, so a caller that waited for it and then looked at its receipts could find some not yet
     * complete (CI saw it: WriterRestartTest, on a busy 2-core machine).
     */
    @Test
    void everyReceiptIsCompleteWhenTerminatedCompletes() throws Exception {
        TaskRuntime oneWorker = TaskRuntime.builder().workerThreads(1).maxBlockingThreads(2)
                .threadNamePrefix("one-worker").build();
        CountDownLatch release = new CountDownLatch(1);
        try {
            oneWorker.spawn(() -> {
                release.await(); // holds the only worker: the completions queue behind it
                return null;
            });
            FileSink sink = FileSink.builder(dir).runtime(oneWorker).batchSize(8).build();
            Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
            sink.start(ch.receiver());
            List<CompletableFuture<Long>> receipts = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                AppendRequest req = i % 2 == 0 ? AppendRequest.withReceipt(TestRecords.record(i))
                        : AppendRequest.withDurableReceipt(TestRecords.record(i));
                receipts.add(i % 2 == 0 ? req.written().toCompletableFuture() : req.durable());
                assertTrue(ch.sender().blockingSend(req).isSent());
            }
            ch.sender().close();
            List<Long> incompleteAtTermination = new ArrayList<>();
            CompletableFuture<WriterReport> terminated = sink.terminated().toCompletableFuture().whenComplete((r, e) -> {
                for (int i = 0; i < receipts.size(); i++) {
                    if (!receipts.get(i).isDone()) {
                        incompleteAtTermination.add((long) i);
                    }
                }
            });
            Conditions.await("the writer stopped", () -> sink.journalState() == JournalState.STOPPED);
            // its final sync takes milliseconds; the completions wait for the held worker
            assertThrows(TimeoutException.class, () -> terminated.get(2, TimeUnit.SECONDS),
                    "terminated completed while receipts still waited for a worker");
            release.countDown();
            assertTrue(terminated.get(30, TimeUnit.SECONDS).clean());
            assertEquals(List.of(), incompleteAtTermination, "receipts still incomplete when terminated completed");
            for (CompletableFuture<Long> r : receipts) {
                assertTrue(r.get() >= 0);
            }
        } finally {
            release.countDown();
            oneWorker.shutdown(Duration.ofSeconds(5));
        }
    }

    @Test
    void closeStopsNewSendsAndDrainsBuffered() throws Exception {
        FileSink sink = FileSink.builder(dir).runtime(runtime.get()).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(1000);
        for (int i = 0; i < 500; i++) {
            ch.sender().trySend(AppendRequest.of(TestRecords.record(i)));
        }
        sink.start(ch.receiver());
        sink.close();
        SendResult<AppendRequest> r = ch.sender().trySend(AppendRequest.of(TestRecords.record(999)));
        assertTrue(r instanceof SendResult.Closed<AppendRequest>, r.toString());
        assertEquals(500, readAll(dir).size());
    }

    @Test
    void readerFromEndSeesOnlyNewRecords() throws Exception {
        runSink(FileSink.builder(dir).runtime(runtime.get()).build(), 10, null);
        try (JournalReader r = JournalReader.builder(dir).fromEnd().build()) {
            assertNull(r.next());
        }
    }
}
