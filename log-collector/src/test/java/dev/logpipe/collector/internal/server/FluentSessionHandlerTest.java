package dev.logpipe.collector.internal.server;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.TryRecv;
import dev.logpipe.collector.Durability;
import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.collector.internal.ingest.FluentForwardDecoder;
import dev.logpipe.collector.internal.ingest.IngestDecoderConfig;
import dev.logpipe.collector.internal.pipeline.PipelineCounters;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.JournalWriteException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.value.ValueFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Fluent session on an {@link EmbeddedChannel} with a real journal channel: the ack of a
 * message waits for every one of its records, echoes the chunk, and is withheld when one failed.
 */
class FluentSessionHandlerTest {

    private final Mpsc.Channel<AppendRequest> journal = Mpsc.bounded(1024);
    private final PipelineCounters counters = new PipelineCounters();

    private EmbeddedChannel session() {
        BackpressureHandler bp = new BackpressureHandler(journal.sender(), counters, new ConnectionTracker());
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.AUTO, 4096, OversizePolicy.TRUNCATE,
                MalformedPolicy.STORE_RAW);
        return new EmbeddedChannel(FluentForwardDecoder.create(cfg, counters),
                new FluentSessionHandler(bp, counters.acks, Durability.DURABLE, () -> 100, () -> { },
                        TimeUnit.MILLISECONDS.toNanos(2)),
                bp);
    }

    /**
     * A session whose decoder fires a large message in parts paced by the connection's drain (through
     * its {@link ConnectionMemory}), as a listener's connection does.
     */
    private EmbeddedChannel pacedSession() {
        BackpressureHandler bp = new BackpressureHandler(journal.sender(), counters, new ConnectionTracker());
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.AUTO, 4096, OversizePolicy.TRUNCATE,
                MalformedPolicy.STORE_RAW);
        ConnectionMemory memory = new ConnectionMemory(new MessageBudget(1 << 20), bp, () -> 1);
        return new EmbeddedChannel(FluentForwardDecoder.create(cfg, counters, memory),
                new FluentSessionHandler(bp, counters.acks, Durability.DURABLE, () -> 100, () -> { },
                        TimeUnit.MILLISECONDS.toNanos(2)),
                bp);
    }

    /**
     * Takes what the journal channel gets until the connection has nothing more to give, completing each
     * record's durable receipt except the one of the record numbered {@code keep}; checks on the way that
     * the connection never holds more than one part's records outside the channel.
     */
    private List<AppendRequest> storeAll(EmbeddedChannel ch, int keep) {
        List<AppendRequest> all = new ArrayList<>();
        while (true) {
            assertTrue(counters.pendingRecords.sum() <= FluentForwardDecoder.PART_RECORDS,
                    "held outside the channel: " + counters.pendingRecords.sum());
            List<AppendRequest> got = taken();
            for (AppendRequest r : got) {
                if (r.hasReceipt() && all.size() != keep) {
                    r.durable().complete((long) all.size());
                }
                all.add(r);
            }
            boolean ran = ch.hasPendingTasks();
            ch.runPendingTasks();
            if (got.isEmpty() && !ran) {
                return all;
            }
        }
    }

    private static void assertInOrder(List<AppendRequest> stored, int n) {
        assertEquals(n, stored.size());
        for (int i = 0; i < n; i++) {
            assertEquals("m" + i, stored.get(i).record().message());
        }
    }

    @Test
    void aMessageOfManyEventsIsStoredInPartsHoldingOnePartAtATimeAndAcknowledgedOnceAfterItsLastRecord()
            throws Exception {
        // 50,000 events in one message, a channel of 1,024 records: the decoder fires one part, then the
        // next only once the one before is all in the channel; one acknowledgement, after the last record
        EmbeddedChannel ch = pacedSession();
        ch.writeInbound(Unpooled.wrappedBuffer(forward(50_000, "big")));
        List<AppendRequest> stored = storeAll(ch, 49_999);
        assertInOrder(stored, 50_000);
        assertEquals(0, out(ch).length, "not acknowledged before its last record is durable");
        assertEquals(1, counters.acks.acksPending.get(), "one acknowledgement waits, not one per part");
        stored.get(49_999).durable().complete(49_999L);
        ch.runPendingTasks();
        assertArrayEquals(FluentSessionHandler.ackFor(ValueFactory.newString("big")), out(ch));
        assertEquals(1, counters.acks.acksSent.sum());
        assertEquals(1, counters.acks.received().get("fluent"), "one message received");
        assertEquals(0, counters.acks.acksPending.get());
        assertTrue(ch.isActive());
        ch.finishAndReleaseAll();
    }

    @Test
    void aPartThatIsNotStoredWithholdsTheMessagesAcknowledgement() throws Exception {
        EmbeddedChannel ch = pacedSession();
        ch.writeInbound(Unpooled.wrappedBuffer(forward(50_000, "big")));
        List<AppendRequest> stored = storeAll(ch, 0);
        assertInOrder(stored, 50_000);
        stored.get(0).durable().completeExceptionally(new JournalWriteException("disk full", null));
        ch.runPendingTasks();
        ch.runPendingTasks();
        assertEquals(0, out(ch).length, "the first part failed: the message is not acknowledged");
        assertEquals(0, counters.acks.acksSent.sum());
        assertEquals(1, counters.acks.nacksSent.sum());
        assertFalse(ch.isActive(), "closed so that the client resends it");
        ch.finishAndReleaseAll();
    }

    @Test
    void theClientsEndOfInputWhilePartsWaitStoresTheRestThenCloses() throws Exception {
        // an unacknowledged message and EOF at once (a sender that writes and shuts its side down)
        EmbeddedChannel ch = pacedSession();
        ch.writeInbound(Unpooled.wrappedBuffer(forward(50_000, null)));
        ch.pipeline().fireUserEventTriggered(io.netty.channel.socket.ChannelInputShutdownEvent.INSTANCE);
        assertTrue(ch.isActive(), "open while the message's parts wait for room");
        assertInOrder(storeAll(ch, -1), 50_000);
        ch.runPendingTasks();
        assertFalse(ch.isActive(), "closed once everything it sent is in the channel");
        ch.finishAndReleaseAll();
    }

    /** A Forward-mode message of {@code n} events with the given chunk (or none). */
    private static byte[] forward(int n, String chunk) throws Exception {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(chunk == null ? 2 : 3).packString("app").packArrayHeader(n);
            for (int i = 0; i < n; i++) {
                p.packArrayHeader(2).packLong(1_710_072_000L + i).packMapHeader(1).packString("message").packString("m" + i);
            }
            if (chunk != null) {
                p.packMapHeader(1).packString("chunk").packString(chunk);
            }
            p.flush();
            return p.toByteArray();
        }
    }

    private static byte[] out(EmbeddedChannel ch) {
        List<Byte> all = new ArrayList<>();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            while (b.isReadable()) {
                all.add(b.readByte());
            }
            b.release();
        }
        byte[] a = new byte[all.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = all.get(i);
        }
        return a;
    }

    private List<AppendRequest> taken() {
        List<AppendRequest> l = new ArrayList<>();
        for (TryRecv<AppendRequest> r; (r = journal.receiver().tryRecv()) instanceof TryRecv.Value<AppendRequest> v; ) {
            l.add(v.value());
        }
        return l;
    }

    @Test
    void theAckWaitsForEveryRecordOfTheMessage() throws Exception {
        EmbeddedChannel ch = session();
        ch.writeInbound(Unpooled.wrappedBuffer(forward(3, "abc")));
        List<AppendRequest> reqs = taken();
        assertEquals(3, reqs.size());
        reqs.get(0).durable().complete(1L);
        reqs.get(1).durable().complete(2L);
        ch.runPendingTasks();
        assertEquals(0, out(ch).length, "two of three durable: no ack yet");
        reqs.get(2).durable().complete(3L);
        ch.runPendingTasks();
        assertArrayEquals(FluentSessionHandler.ackFor(ValueFactory.newString("abc")), out(ch));
        assertEquals(1, counters.acks.acksSent.sum());
        ch.finishAndReleaseAll();
    }

    @Test
    void theAckWaitsForReceiptsThatCompleteOutOfOrder() throws Exception {
        // durable receipts complete in batches, on the writer's thread or the sync's: a later batch can
        // finish first. That is no failure: the ack waits for the earlier ones, then goes out.
        EmbeddedChannel ch = session();
        ch.writeInbound(Unpooled.wrappedBuffer(forward(3, "abc")));
        List<AppendRequest> reqs = taken();
        reqs.get(2).durable().complete(3L);
        ch.runPendingTasks();
        assertEquals(0, out(ch).length, "the last is durable, not the first two: no ack yet");
        assertTrue(ch.isActive());
        reqs.get(0).durable().complete(1L);
        ch.runPendingTasks();
        assertEquals(0, out(ch).length);
        reqs.get(1).durable().complete(2L);
        ch.runPendingTasks();
        assertArrayEquals(FluentSessionHandler.ackFor(ValueFactory.newString("abc")), out(ch));
        assertTrue(ch.isActive());
        assertEquals(1, counters.acks.acksSent.sum());
        assertEquals(0, counters.acks.nacksSent.sum());
        ch.finishAndReleaseAll();
    }

    @Test
    void noChunkNoAckAndNoReceipts() throws Exception {
        EmbeddedChannel ch = session();
        ch.writeInbound(Unpooled.wrappedBuffer(forward(2, null)));
        List<AppendRequest> reqs = taken();
        assertEquals(2, reqs.size());
        assertFalse(reqs.get(0).hasReceipt());
        ch.runPendingTasks();
        assertEquals(0, out(ch).length);
        assertEquals(0, counters.acks.acksPending.get());
        ch.finishAndReleaseAll();
    }

    @Test
    void aFailedRecordWithholdsTheAckAndClosesAfterTheEarlierAcks() throws Exception {
        EmbeddedChannel ch = session();
        ch.writeInbound(Unpooled.wrappedBuffer(forward(1, "first")));
        ch.writeInbound(Unpooled.wrappedBuffer(forward(2, "second")));
        List<AppendRequest> reqs = taken();
        assertEquals(3, reqs.size());
        reqs.get(0).durable().complete(1L);
        reqs.get(1).durable().completeExceptionally(new JournalWriteException("disk full", null));
        reqs.get(2).durable().complete(3L);
        ch.runPendingTasks();
        assertArrayEquals(FluentSessionHandler.ackFor(ValueFactory.newString("first")), out(ch),
                "only the first message is acknowledged");
        ch.runPendingTasks();
        assertFalse(ch.isActive(), "closed so that the client resends the second");
        assertTrue(counters.acks.nacksSent.sum() >= 1);
        ch.finishAndReleaseAll();
    }

    @Test
    void messagesBeforeAProtocolErrorAreStoredAndAckedThenTheConnectionCloses() throws Exception {
        EmbeddedChannel ch = session();
        byte[] a = forward(1, null);
        byte[] b = forward(1, "c2");
        byte[] bad = {(byte) 0xc1};
        // the bad byte ends the session; the two messages before it are stored, the chunked one acked
        byte[] all = new byte[a.length + b.length + bad.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        System.arraycopy(bad, 0, all, a.length + b.length, bad.length);
        ch.writeInbound(Unpooled.wrappedBuffer(all));
        List<AppendRequest> reqs = taken();
        assertEquals(2, reqs.size(), "both messages before the error are stored");
        reqs.get(1).durable().complete(2L);
        ch.runPendingTasks();
        assertArrayEquals(FluentSessionHandler.ackFor(ValueFactory.newString("c2")), out(ch));
        ch.runPendingTasks();
        assertFalse(ch.isActive(), "closed after the acks due");
        assertEquals(1L, counters.acks.errors().get("fluent_bad_message"));
        ch.finishAndReleaseAll();
    }
}
