package dev.logpipe.filesink;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.filesink.internal.queue.ClockTimeProvider;
import dev.logpipe.filesink.internal.queue.JournalMeta;
import dev.logpipe.filesink.internal.queue.JournalQueues;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.wire.DocumentContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A journal of layout version 1 (no checksums) still reads, verify says its records are unchecked, and a writer continues it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Version1JournalTest {

    @TempDir
    Path dir;

    @Test
    void version1RecordsReadUncheckedAndTheWriterAppendsVersion2AfterThem() throws Exception {
        byte[] v1;
        try (InputStream in = getClass().getResourceAsStream("/golden/record-v1.hex")) {
            v1 = HexFormat.of().parseHex(new String(in.readAllBytes(), StandardCharsets.US_ASCII).replaceAll("\\s+", ""));
        }
        // a journal as logpipe wrote it before checksums: layoutVersion=1, three version 1 records
        JournalMeta.write(dir, new JournalMeta(1, RollCycle.HOURLY));
        try (SingleChronicleQueue q = JournalQueues.openForWrite(dir, RollCycle.HOURLY, new ClockTimeProvider(Clock.systemUTC()));
             ExcerptAppender a = q.createAppender()) {
            for (int i = 0; i < 3; i++) {
                try (DocumentContext dc = a.writingDocument()) {
                    dc.wire().bytes().write(v1);
                }
            }
        }
        VerifyReport before = JournalVerifier.verify(dir);
        assertTrue(before.ok(), before.toString());
        assertEquals(3, before.records());
        assertEquals(3, before.uncheckedRecords());
        assertTrue(before.notes().stream().anyMatch(n -> n.contains("unchecked")), before.toString());

        LogRecord golden = dev.logpipe.filesink.internal.codec.RecordCodecGoldenTestAccess.goldenRecord();
        assertEquals(List.of(golden, golden, golden), messages(dir));

        FileSink sink = FileSink.builder(dir).prefaultPages(false).build();
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(4);
        sink.start(ch.receiver());
        AppendRequest r = AppendRequest.withReceipt(LogRecord.builder().message("version 2").build());
        ch.sender().blockingSend(r);
        r.written().toCompletableFuture().get(10, TimeUnit.SECONDS);
        ch.sender().close();
        sink.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);

        assertEquals(2, JournalMeta.read(dir).orElseThrow().layoutVersion());
        List<LogRecord> all = messages(dir);
        assertEquals(4, all.size());
        assertEquals("version 2", all.get(3).message());
        VerifyReport after = JournalVerifier.verify(dir);
        assertTrue(after.ok(), after.toString());
        assertEquals(4, after.records());
        assertEquals(3, after.uncheckedRecords());
    }

    private static List<LogRecord> messages(Path dir) {
        List<LogRecord> out = new ArrayList<>();
        try (JournalReader reader = JournalReader.open(dir)) {
            for (ReadRecord rr; (rr = reader.next()) != null; ) {
                out.add(rr.record());
            }
        }
        return out;
    }
}
