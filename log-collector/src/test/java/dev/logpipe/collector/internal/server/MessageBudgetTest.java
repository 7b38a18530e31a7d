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
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory a listener's connections hold for unfinished Fluent messages: bounded across
 * connections, the oldest holder always goes on, and a connection over the bound waits with its
 * reads off until another has stored its message.
 */
class MessageBudgetTest {

    @Test
    void grantsWithinTheLimitTheHeadMayGoPastItAndAReleaseWakesTheWaiters() {
        MessageBudget b = new MessageBudget(100);
        Object a = new Object();
        Object c = new Object();
        Object d = new Object();
        AtomicInteger wokeC = new AtomicInteger();
        AtomicInteger wokeD = new AtomicInteger();
        assertTrue(b.tryGrow(a, 60, () -> { }));
        assertTrue(b.tryGrow(c, 40, wokeC::incrementAndGet), "within the limit");
        assertFalse(b.tryGrow(d, 1, wokeD::incrementAndGet), "past the limit, not the head");
        assertFalse(b.tryGrow(c, 10, wokeC::incrementAndGet), "a holder that is not the head waits too");
        assertTrue(b.tryGrow(a, 500, () -> { }), "the head goes on past the limit");
        assertEquals(600, b.used());
        assertEquals(2, b.waiting());

        b.release(a);
        assertEquals(1, wokeC.get());
        assertEquals(1, wokeD.get());
        assertEquals(0, b.waiting(), "woken once; they ask again");
        assertEquals(40, b.used());
        assertTrue(b.tryGrow(c, 500, () -> { }), "c is the head now");
        assertFalse(b.tryGrow(d, 1, wokeD::incrementAndGet));

        b.release(d); // ends d's wait without waking anyone
        assertEquals(0, b.waiting());
        b.release(c);
        assertEquals(1, wokeD.get());
        assertEquals(0, b.used());
    }

    private final PipelineCounters counters = new PipelineCounters();

    private EmbeddedChannel connection(Mpsc.Channel<AppendRequest> journal, MessageBudget budget) {
        return connection(journal, budget, 2);
    }

    private EmbeddedChannel connection(Mpsc.Channel<AppendRequest> journal, MessageBudget budget, int open) {
        BackpressureHandler bp = new BackpressureHandler(journal.sender(), counters, new ConnectionTracker());
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.AUTO, 4096, OversizePolicy.TRUNCATE,
                MalformedPolicy.STORE_RAW);
        return new EmbeddedChannel(FluentForwardDecoder.create(cfg, counters, new ConnectionMemory(budget, bp, () -> open)),
                new FluentSessionHandler(bp, counters.acks, Durability.DURABLE, () -> 100, () -> { },
                        TimeUnit.MILLISECONDS.toNanos(2)),
                bp);
    }

    /** A Forward-mode message (no chunk) of {@code n} events of ~100 bytes. */
    private static byte[] forward(String tag, int n) throws Exception {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(2).packString(tag).packArrayHeader(n);
            for (int i = 0; i < n; i++) {
                p.packArrayHeader(2).packLong(1_710_072_000L + i).packMapHeader(1).packString("message")
                        .packString(tag + " " + i + " " + "x".repeat(80));
            }
            p.flush();
            return p.toByteArray();
        }
    }

    private static List<String> drain(Mpsc.Channel<AppendRequest> journal, EmbeddedChannel... loops) {
        List<String> out = new ArrayList<>();
        while (true) {
            TryRecv<AppendRequest> r = journal.receiver().tryRecv();
            if (r instanceof TryRecv.Value<AppendRequest> v) {
                out.add(v.value().record().message());
                continue;
            }
            boolean ran = false;
            for (EmbeddedChannel l : loops) {
                ran |= l.hasPendingTasks();
                l.runPendingTasks();
            }
            if (!ran && !(journal.receiver().tryRecv() instanceof TryRecv.Value<AppendRequest>)) {
                return out;
            }
        }
    }

    @Test
    void aConnectionPastTheBoundWaitsWithItsReadsOffUntilAnotherHasStoredItsMessage() throws Exception {
        Mpsc.Channel<AppendRequest> journal = Mpsc.bounded(10_000);
        MessageBudget budget = new MessageBudget(100 * 1024);
        EmbeddedChannel a = connection(journal, budget);
        EmbeddedChannel b = connection(journal, budget);
        byte[] ma = forward("a", 1_500); // ~150 KiB each
        byte[] mb = forward("b", 1_500);

        a.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(ma, 0, 120 * 1024)));
        assertEquals(120 * 1024, budget.used(), "a holds 120 KiB: the first holder may go past 100");
        assertTrue(a.config().isAutoRead());
        b.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(mb, 0, 90 * 1024)));
        assertFalse(b.config().isAutoRead(), "b would go past the bound: its reads stop");
        assertEquals(1, budget.waiting());
        assertEquals(1, counters.memoryPauses.sum());
        assertEquals(120 * 1024, budget.used(), "b holds its 90 KiB outside the budget, reading nothing more");

        a.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(ma, 120 * 1024, ma.length)));
        assertEquals(0, budget.used(), "a's message is stored: its memory is given back");
        b.runPendingTasks(); // the wake-up, then reading turned back on
        b.runPendingTasks();
        assertTrue(b.config().isAutoRead());
        assertEquals(90 * 1024, budget.used());
        b.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(mb, 90 * 1024, mb.length)));
        assertEquals(0, budget.used());

        List<String> stored = drain(journal, a, b);
        assertEquals(3_000, stored.size());
        for (int i = 0; i < 1_500; i++) {
            assertTrue(stored.get(i).startsWith("a " + i + " "), stored.get(i));
            assertTrue(stored.get(1_500 + i).startsWith("b " + i + " "), stored.get(1_500 + i));
        }
    }

    @Test
    void aMessagesMemoryIsKeptWhileItsRecordsWaitForChannelRoom() throws Exception {
        Mpsc.Channel<AppendRequest> journal = Mpsc.bounded(100);
        MessageBudget budget = new MessageBudget(100 * 1024);
        EmbeddedChannel a = connection(journal, budget);
        byte[] ma = forward("a", 1_500);
        a.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(ma, 0, 100 * 1024)));
        assertEquals(100 * 1024, budget.used());
        a.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(ma, 100 * 1024, ma.length)));
        assertFalse(a.config().isAutoRead(), "the channel is full");
        assertTrue(budget.used() >= ma.length, "its records wait for room, and its bytes are kept until"
                + " its last part is fired: " + budget.used());
        List<String> stored = drain(journal, a);
        assertEquals(1_500, stored.size());
        assertEquals(0, budget.used(), "given back once every record is in the channel");

        a.close(); // a connection that ends mid-message gives its memory back
        EmbeddedChannel c = connection(journal, budget);
        c.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(ma, 0, 100 * 1024)));
        assertEquals(100 * 1024, budget.used());
        c.close();
        assertEquals(0, budget.used());
    }

    @Test
    void aLongUnfinishedLineTakesTheBudgetAndASecondWaitsWithItsReadsOff() {
        Mpsc.Channel<AppendRequest> journal = Mpsc.bounded(10_000);
        MessageBudget budget = new MessageBudget(100 * 1024);
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.AUTO, 1 << 20, OversizePolicy.TRUNCATE,
                MalformedPolicy.STORE_RAW);
        List<EmbeddedChannel> lines = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            EmbeddedChannel ch = new EmbeddedChannel();
            BackpressureHandler bp = new BackpressureHandler(journal.sender(), counters, new ConnectionTracker());
            ch.attr(dev.logpipe.collector.internal.ingest.HeldBytes.KEY).set(new ConnectionMemory(budget, bp, () -> 2));
            dev.logpipe.collector.internal.ingest.IngestDecoders.install(ch.pipeline(), cfg, counters);
            ch.pipeline().addLast(bp);
            lines.add(ch);
        }
        byte[] start = ("{\"message\":\"" + "a".repeat(120 * 1024)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        lines.get(0).writeInbound(Unpooled.wrappedBuffer(start));
        assertTrue(budget.used() >= start.length, "the first holds its line in the budget: " + budget.used());
        lines.get(1).writeInbound(Unpooled.wrappedBuffer(start));
        assertFalse(lines.get(1).config().isAutoRead(), "the second would go past the bound");

        lines.get(0).writeInbound(Unpooled.wrappedBuffer("\"}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertEquals(0, budget.used(), "its line stored, its memory given back");
        lines.get(1).runPendingTasks();
        lines.get(1).runPendingTasks();
        assertTrue(lines.get(1).config().isAutoRead(), "the second reads again");
        lines.get(1).writeInbound(Unpooled.wrappedBuffer("\"}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        List<String> stored = drain(journal, lines.get(0), lines.get(1));
        assertEquals(2, stored.size());
        assertEquals(120 * 1024, stored.get(1).length());
        assertEquals(0, budget.used());
    }

    @Test
    void withManyConnectionsOpenEachHoldsLessOutsideTheBudget() throws Exception {
        Mpsc.Channel<AppendRequest> journal = Mpsc.bounded(10_000);
        byte[] m = forward("a", 1_500);
        MessageBudget few = new MessageBudget(1 << 20);
        EmbeddedChannel a = connection(journal, few, 2);
        a.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(m, 0, 20 * 1024)));
        assertEquals(0, few.used(), "20 KiB is within the allowance of 2 connections (64 KiB)");
        MessageBudget many = new MessageBudget(1 << 20);
        EmbeddedChannel b = connection(journal, many, 1_000);
        b.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(m, 0, 20 * 1024)));
        assertTrue(many.used() >= 20 * 1024, "past the allowance of 1,000 connections (8 KiB): " + many.used());
        a.close();
        b.close();
        assertEquals(0, many.used());
    }
}
