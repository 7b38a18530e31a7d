package dev.logpipe.filesink;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.MpscSender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which advice the writer gives its page prefaulter: pages populated writable only when it is busy and
 * no sync follows at once (they are dirty zeros until written), readable otherwise; and pages behind it
 * leave its mapping after every batch, small ones too. The system call is recorded, not made.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PrefaultAdviceTest {

    private static final int POPULATE_READ = 22;
    private static final int POPULATE_WRITE = 23;
    private static final int DONTNEED = 4;
    private static final String BODY = "b".repeat(1_000);

    @TempDir
    Path dir;

    @RegisterExtension
    final TestRuntime runtime = new TestRuntime();
    private final List<Integer> advice = new CopyOnWriteArrayList<>();

    private FileSink sink() {
        return sink(SyncPolicy.every(Duration.ofMillis(100)));
    }

    private FileSink sink(SyncPolicy policy) {
        return FileSink.builder(dir).runtime(runtime.get()).syncPolicy(policy).batchSize(64)
                .prefaultPages(true).madvise((address, length, adv) -> {
                    advice.add(adv);
                    return 0;
                }).build();
    }

    private static LogRecord record(int i) {
        return LogRecord.builder().receiveTimeNanos(i).message(BODY).field("n", Integer.toString(i)).build();
    }

    /** Fills the channel before the writer starts, so that its batches are full; then lets it drain. */
    private WriterReport fullBatches(boolean durableReceipts, int count) throws Exception {
        return fullBatches(durableReceipts, count, SyncPolicy.every(Duration.ofMillis(100)));
    }

    private WriterReport fullBatches(boolean durableReceipts, int count, SyncPolicy policy) throws Exception {
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(count);
        List<CompletableFuture<Long>> receipts = new ArrayList<>();
        try (MpscSender<AppendRequest> tx = ch.sender()) {
            for (int i = 0; i < count; i++) {
                AppendRequest req = durableReceipts ? AppendRequest.withDurableReceipt(record(i)) : AppendRequest.of(record(i));
                assertTrue(tx.trySend(req).isSent());
                if (durableReceipts) {
                    receipts.add(req.durable());
                }
            }
            FileSink sink = sink(policy);
            sink.start(ch.receiver());
            for (CompletableFuture<Long> r : receipts) {
                r.get(30, TimeUnit.SECONDS);
            }
            return sinkDone(sink, tx);
        }
    }

    private static WriterReport sinkDone(FileSink sink, MpscSender<AppendRequest> tx) throws Exception {
        tx.close();
        return sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private List<Integer> populates() {
        return advice.stream().filter(a -> a != DONTNEED).toList();
    }

    @Test
    void aBusyWriterWithoutDurableReceiptsPopulatesWritable() throws Exception {
        WriterReport report = fullBatches(false, 4_096);
        assertTrue(report.clean(), report.toString());
        assertFalse(populates().isEmpty(), "it populated: " + advice);
        assertEquals(POPULATE_WRITE, populates().get(0), "full batches, syncs 100 ms apart: " + advice);
    }

    @Test
    void durableReceiptsMakeItPopulateReadableSinceASyncFollowsEachBatch() throws Exception {
        WriterReport report = fullBatches(true, 4_096);
        assertTrue(report.clean(), report.toString());
        assertFalse(populates().isEmpty(), "it populated: " + advice);
        assertTrue(populates().stream().allMatch(a -> a == POPULATE_READ), "never dirty zeros a sync would write: " + advice);
    }

    @Test
    void aBatchThatAsksForASyncByPolicyPopulatesReadable() throws Exception {
        // every batch of 64 records of ~1 KB crosses a 16 KiB threshold: each asks for a sync
        WriterReport report = fullBatches(false, 4_096, SyncPolicy.everyBytes(16 * 1024));
        assertTrue(report.clean(), report.toString());
        assertFalse(populates().isEmpty(), "it populated: " + advice);
        assertTrue(populates().stream().allMatch(a -> a == POPULATE_READ), "bytes policy: " + advice);

        advice.clear();
        report = fullBatches(false, 4_096, SyncPolicy.everyBatch());
        assertTrue(report.clean(), report.toString());
        assertFalse(populates().isEmpty(), "it populated: " + advice);
        assertTrue(populates().stream().allMatch(a -> a == POPULATE_READ), "sync every batch: " + advice);
    }

    @Test
    void smallBatchesPopulateReadableAndStillLetPagesBehindGo() throws Exception {
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(64);
        FileSink sink = sink();
        sink.start(ch.receiver());
        int count = 2_000; // about 2 MB: past the kept head (1 MiB) and a release step
        WriterReport report;
        try (MpscSender<AppendRequest> tx = ch.sender()) {
            for (int i = 0; i < count; i++) {
                AppendRequest req = AppendRequest.withReceipt(record(i));
                assertTrue(tx.blockingSend(req).isSent());
                req.written().toCompletableFuture().get(30, TimeUnit.SECONDS); // one record a batch
            }
            report = sinkDone(sink, tx);
        }
        assertEquals(count, report.writtenRecords());
        assertFalse(populates().isEmpty(), "it populated: " + advice);
        assertTrue(populates().stream().allMatch(a -> a == POPULATE_READ), "an idle writer leaves no dirty zeros: " + advice);
        assertTrue(advice.contains(DONTNEED), "pages behind left the mapping after small batches: " + advice);
        int n = 0;
        try (JournalReader r = JournalReader.open(dir)) {
            for (ReadRecord rr; (rr = r.next()) != null; n++) {
                assertEquals(Integer.toString(n), rr.record().fields().get("n").text());
            }
        }
        assertEquals(count, n);
    }
}
