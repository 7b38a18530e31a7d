package dev.logpipe.collector;

import dev.logpipe.filesink.LogRecord;
import dev.logpipe.testsupport.FakeFileStore;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.SourceFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static dev.logpipe.collector.TestSupport.awaitCondition;
import static dev.logpipe.collector.TestSupport.readJournal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The public hook for receivers outside this library: lifecycle, admission, counting. */
@Timeout(60)
class ReceiverHookTest {

    @TempDir
    Path dir;

    /** A receiver that only records what the pipeline does with it. */
    static final class FakeReceiver implements Receiver {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        final IOException failOnStart;
        volatile ReceiverContext context;

        FakeReceiver(IOException failOnStart) {
            this.failOnStart = failOnStart;
        }

        @Override
        public String protocol() {
            return "fake";
        }

        @Override
        public void start(ReceiverContext context) throws IOException {
            calls.add("start");
            this.context = context;
            if (failOnStart != null) {
                throw failOnStart;
            }
        }

        @Override
        public CompletionStage<Void> drain(Duration grace) {
            calls.add("drain");
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {
            calls.add("close");
        }
    }

    private static List<LogRecord> records(String prefix, int n) {
        List<LogRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(LogRecord.builder().message(prefix + " " + i).format(SourceFormat.OTLP).source("fake:1").build());
        }
        return out;
    }

    @Test
    void anOfferedBatchIsStoredInOrderCountedAndItsReceiptCompletesOnceDurable() throws Exception {
        FakeReceiver fake = new FakeReceiver(null);
        LogPipeline p = LogPipeline.builder(dir).syncInterval(Duration.ofMillis(50)).receiver(fake).start();
        ReceiverContext.Offer offer = fake.context.offer(records("r", 3), Durability.DURABLE);
        ReceiverBatch batch = assertInstanceOf(ReceiverContext.Accepted.class, offer).batch();
        assertEquals(3, batch.size());
        batch.stored().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertTrue(p.durableIndex() >= 2, "durable when the receipt completes");
        assertEquals(1, p.ackStats().acksPending());
        batch.acknowledged();
        batch.acknowledged(); // once only
        fake.context.rejected(RejectReason.DECODER_ERROR, 2);
        fake.context.protocolError("fake_bad_request");
        AckStats acks = p.ackStats();
        assertEquals(1L, acks.received().get("fake"));
        assertEquals(1, acks.acksSent());
        assertEquals(0, acks.acksPending());
        assertEquals(1L, acks.protocolErrors().get("fake_bad_request"));
        PipelineStats s = p.stats();
        assertEquals(3L, s.receivedRecords().get(SourceFormat.OTLP));
        assertEquals(2L, s.rejected().get(RejectReason.DECODER_ERROR));
        assertThrows(IllegalArgumentException.class, () -> fake.context.offer(List.of(), Durability.WRITTEN));

        p.close();
        assertEquals(List.of("start", "drain", "close"), fake.calls);
        assertInstanceOf(ReceiverContext.Closed.class, fake.context.offer(records("late", 1), Durability.WRITTEN));
        assertEquals(List.of("r 0", "r 1", "r 2"), readJournal(dir).stream().map(rr -> rr.record().message()).toList());
    }

    @Test
    void aBatchIsRefusedWholeWhenTheChannelHasNoRoomForIt() throws Exception {
        FakeFileStore store = new FakeFileStore(0); // the journal pauses: nothing leaves the channel
        FakeReceiver fake = new FakeReceiver(null);
        LogPipeline p = LogPipeline.builder(dir).syncInterval(Duration.ofMillis(20))
                .channelCapacityRecords(16).channelCapacityBytes(16 * 1024)
                .journalFileStore(store).journalMinFreeBytes(1 << 20).journalSpaceCheckInterval(Duration.ofMillis(5))
                .receiver(fake).start();
        try {
            Emitter filler = p.emitter("filler");
            int fillers = 0;
            while (fillers < 1000 && filler.tryEmit(LogRecord.builder().message("f").build()).isSent()) {
                fillers++;
            }
            assertInstanceOf(ReceiverContext.Full.class, fake.context.offer(records("r", 4), Durability.WRITTEN));
            assertEquals(0L, p.stats().receivedRecords().get(SourceFormat.OTLP), "nothing of a refused batch is counted");
            assertEquals(0, p.ackStats().acksPending());

            store.usable(1L << 30);
            awaitCondition(Duration.ofSeconds(10), "room again", () -> p.stats().channelDepth() == 0);
            ReceiverBatch b = assertInstanceOf(ReceiverContext.Accepted.class,
                    fake.context.offer(records("r", 4), Durability.WRITTEN)).batch();
            b.stored().toCompletableFuture().get(10, TimeUnit.SECONDS);
            b.acknowledged();
        } finally {
            p.close();
        }
        List<ReadRecord> journal = readJournal(dir);
        assertEquals(List.of("r 0", "r 1", "r 2", "r 3"), journal.stream()
                .filter(rr -> rr.record().format() == SourceFormat.OTLP).map(rr -> rr.record().message()).toList());
    }

    @Test
    void aReceiverThatCannotStartFailsTheStartAndEveryStartedReceiverIsClosed() throws Exception {
        FakeReceiver first = new FakeReceiver(null);
        FakeReceiver failing = new FakeReceiver(new IOException("cannot listen on 127.0.0.1:1: in use; pass another port"));
        IOException e = assertThrows(IOException.class,
                () -> LogPipeline.builder(dir).receiver(first).receiver(failing).start());
        assertTrue(e.getMessage().contains("in use"), e.getMessage());
        assertEquals(List.of("start", "close"), first.calls);
        assertEquals(List.of("start", "close"), failing.calls);
        // nothing left holding the journal: a new pipeline opens it
        try (LogPipeline again = LogPipeline.builder(dir).start()) {
            assertTrue(again.isReady() || again.readiness().equals("starting"));
        }
        assertThrows(IllegalArgumentException.class, () -> LogPipeline.builder(dir).receiver(first).receiver(first));
    }
}
