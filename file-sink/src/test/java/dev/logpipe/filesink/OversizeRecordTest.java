package dev.logpipe.filesink;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.MpscSender;
import dev.logpipe.filesink.internal.codec.RecordCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A record larger than the journal's max record size is refused alone: before, one record over a
 * quarter of Chronicle's mapping piece (16 MiB then) stopped the writer, and every record after it
 * was lost.
 */
@Timeout(120)
class OversizeRecordTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final TestRuntime runtime = new TestRuntime();

    private static LogRecord record(int n, String message) {
        return LogRecord.builder().receiveTimeNanos(n).message(message).field("n", Integer.toString(n)).build();
    }

    /** A message that makes record {@code n} exactly {@code bytes} long, encoded. */
    private static String messageFor(int n, int bytes) {
        RecordCodec codec = new RecordCodec();
        int probe = bytes - 64;
        int size = codec.encodeBody(record(n, "m".repeat(probe)));
        return "m".repeat(probe + (bytes - size));
    }

    @Test
    void aRecordOverTheLimitIsRefusedAloneAndTheOthersAreStoredInOrder() throws Exception {
        int max = JournalSettings.DEFAULT_MAX_RECORD_BYTES;
        // the first oversize one is larger than Chronicle's old 16 MiB excerpt limit, which stopped the writer
        String[] messages = {"a", "x".repeat(17 << 20), "b", messageFor(3, max), messageFor(4, max + 1), "c"};
        FileSink sink = FileSink.builder(dir).runtime(runtime.get()).syncInterval(Duration.ofMillis(20)).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(16);
        sink.start(ch.receiver());
        List<CompletableFuture<Long>> receipts = new ArrayList<>();
        try (MpscSender<AppendRequest> tx = ch.sender()) {
            for (int i = 0; i < messages.length; i++) {
                AppendRequest req = AppendRequest.withDurableReceipt(record(i, messages[i]));
                assertTrue(tx.blockingSend(req).isSent());
                receipts.add(req.durable());
            }
        }
        WriterReport report = sink.terminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertTrue(report.clean(), report.toString());
        assertEquals(4, report.writtenRecords());
        assertEquals(2, sink.stats().oversizeRecords());

        for (int i : new int[] {1, 4}) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> receipts.get(i).get(5, TimeUnit.SECONDS));
            RecordTooLargeException tooLarge = assertInstanceOf(RecordTooLargeException.class, e.getCause());
            assertEquals(max, tooLarge.maxRecordBytes());
            assertTrue(tooLarge.recordBytes() > max, tooLarge.getMessage());
        }
        List<Long> stored = new ArrayList<>();
        for (int i : new int[] {0, 2, 3, 5}) {
            stored.add(receipts.get(i).get(5, TimeUnit.SECONDS));
        }
        List<String> back = new ArrayList<>();
        List<Long> indices = new ArrayList<>();
        try (JournalReader r = JournalReader.open(dir)) {
            for (ReadRecord rr; (rr = r.next()) != null; ) {
                back.add(rr.record().fields().get("n").text());
                indices.add(rr.index());
                if (rr.record().fields().get("n").text().equals("3")) {
                    assertEquals(messages[3], rr.record().message(), "a record of exactly the limit is stored whole");
                }
            }
        }
        assertEquals(List.of("0", "2", "3", "5"), back);
        assertEquals(stored, indices, "each stored record's receipt gives its index");
        assertTrue(JournalVerifier.verify(dir).ok());
    }

    @Test
    void aLargerLimitTakesLargerRecords() throws Exception {
        int max = 24 << 20;
        String big = messageFor(0, max);
        FileSink sink = FileSink.builder(dir).runtime(runtime.get())
                .settings(JournalSettings.builder().maxRecordBytes(max).build()).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(4);
        sink.start(ch.receiver());
        try (MpscSender<AppendRequest> tx = ch.sender()) {
            assertTrue(tx.blockingSend(AppendRequest.of(record(0, big))).isSent());
            assertTrue(tx.blockingSend(AppendRequest.of(record(1, "after"))).isSent());
        }
        WriterReport report = sink.terminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertTrue(report.clean(), report.toString());
        assertEquals(2, report.writtenRecords());
        try (JournalReader r = JournalReader.open(dir)) {
            assertEquals(big, r.next().record().message());
            assertEquals("after", r.next().record().message());
        }
    }

    @Test
    void mappingPiecesAreFourTimesTheLargestRecordWithRoomForItsHeader() {
        assertEquals(20L << 20, JournalSettings.chunkBytesFor(JournalSettings.DEFAULT_MAX_RECORD_BYTES));
        assertEquals(16L << 20, JournalSettings.chunkBytesFor(1024));
        assertEquals(100L << 20, JournalSettings.chunkBytesFor(24 << 20));
        assertThrows(IllegalArgumentException.class, () -> JournalSettings.builder().maxRecordBytes(1023));
        assertThrows(IllegalArgumentException.class, () -> JournalSettings.builder().maxRecordBytes((1 << 30) + 1));
    }
}
