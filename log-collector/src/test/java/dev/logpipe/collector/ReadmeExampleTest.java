package dev.logpipe.collector;

import dev.logpipe.channels.SendResult;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the "Embedded API" example of the README, verbatim between the markers. */
class ReadmeExampleTest {

    @Test
    @Timeout(60)
    void readmeEmbeddedApiExampleRuns(@TempDir Path dataDir) throws Exception {
        SendResult<LogRecord> offeredOut;
        CompletionStage<Long> durableOut;
        long indexOut;
        // --- README example begins ---
        try (LogPipeline pipeline = LogPipeline.builder(dataDir)         // journal directory
                .syncInterval(Duration.ofMillis(100))                    // or syncEveryBatch(), syncNever()
                .channelCapacityRecords(65_536).channelCapacityBytes(64L << 20)
                .listener(ListenerConfig.builder().port(0).build())      // optional TCP ingest; default port 5140
                .start()) {
            Emitter log = pipeline.emitter("checkout");                  // name = the records' source

            // Never waits: Sent, or Full/Closed handing the record back.
            SendResult<LogRecord> offered = log.tryEmit(LogRecord.builder().message("cart viewed").build());

            // Completes with the journal index once durable. A full channel parks this (ordinary) thread
            // for up to emitMaxBlock (60 s), then fails the stage with EmitFullException.
            CompletionStage<Long> durable = log.emit(LogRecord.builder()
                    .level(Level.INFO).service("shop").message("order placed").field("order", "A-17").build());

            // Parks this (ordinary) thread for room, then until the record is on disk.
            long index = log.blockingEmit(LogRecord.builder().level(Level.WARN).message("stock low").build());

            System.out.println(pipeline.stats().receivedTotal() + " records, durable up to " + pipeline.durableIndex());
            // --- README example ends ---
            offeredOut = offered;
            durableOut = durable;
            indexOut = index;
        }
        assertTrue(offeredOut.isSent());
        long orderIndex = durableOut.toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertTrue(orderIndex < indexOut, "emitted in order");
        List<ReadRecord> journal = TestSupport.readJournal(dataDir);
        assertEquals(List.of("cart viewed", "order placed", "stock low"),
                journal.stream().map(r -> r.record().message()).toList());
        assertEquals("checkout", journal.get(1).record().source());
        assertEquals("A-17", journal.get(1).record().fields().get("order").text());
        assertEquals(indexOut, journal.get(2).index());
    }
}
