package dev.logpipe.collector.internal.server;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.TryRecv;
import dev.logpipe.collector.Durability;
import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.collector.internal.ingest.IngestDecoderConfig;
import dev.logpipe.collector.internal.ingest.RelpFrameDecoder;
import dev.logpipe.collector.internal.pipeline.PipelineCounters;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.JournalWriteException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The RELP session on an {@link EmbeddedChannel} with a real journal channel: which responses go
 * out, when (only after the receipt), and in which order.
 */
class RelpSessionHandlerTest {

    private static final String OFFERS = "relp_version=0\nrelp_software=test\ncommands=syslog";
    private static final String OPEN = "1 open " + OFFERS.length() + " " + OFFERS + "\n";

    private final Mpsc.Channel<AppendRequest> journal = Mpsc.bounded(1024);
    private final PipelineCounters counters = new PipelineCounters();
    private final AtomicInteger syncRequests = new AtomicInteger();

    private EmbeddedChannel session(Durability level, int maxPendingAcks) {
        BackpressureHandler bp = new BackpressureHandler(journal.sender(), counters, new ConnectionTracker());
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.SYSLOG, 4096, OversizePolicy.TRUNCATE,
                MalformedPolicy.STORE_RAW);
        return new EmbeddedChannel(RelpFrameDecoder.create(cfg, counters),
                new RelpSessionHandler(bp, counters.acks, level, () -> maxPendingAcks, syncRequests::incrementAndGet,
                        TimeUnit.MILLISECONDS.toNanos(2)),
                bp);
    }

    private static void in(EmbeddedChannel ch, String s) {
        ch.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
    }

    private static String syslog(int txnr, String msg) {
        return txnr + " syslog " + msg.length() + " " + msg + "\n";
    }

    /** Everything the server wrote so far, as text. */
    private static String out(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        Object o;
        while ((o = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            sb.append(b.toString(StandardCharsets.UTF_8));
            b.release();
        }
        return sb.toString();
    }

    /**
     * Runs the embedded loop's timers (only those: queued tasks such as an ack flush stay queued) until
     * at least {@code count} syncs were asked for, or 5 s pass; whether they were.
     */
    private boolean runTimersUntilSyncRequests(EmbeddedChannel ch, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (syncRequests.get() < count && System.nanoTime() < deadline) {
            ch.runScheduledPendingTasks();
            Thread.sleep(1); // polling the embedded loop's timers, not waiting for an outcome
        }
        return syncRequests.get() >= count;
    }

    private List<AppendRequest> taken() {
        List<AppendRequest> l = new ArrayList<>();
        for (TryRecv<AppendRequest> r; (r = journal.receiver().tryRecv()) instanceof TryRecv.Value<AppendRequest> v; ) {
            l.add(v.value());
        }
        return l;
    }

    @Test
    void answersOpenWithItsOffersAndAcksEachMessageOnlyOnceDurableInTxnrOrder() {
        EmbeddedChannel ch = session(Durability.DURABLE, 100);
        in(ch, OPEN);
        String answer = "200 OK\nrelp_version=0\nrelp_software=logpipe\ncommands=syslog";
        assertEquals("1 rsp " + answer.length() + " " + answer + "\n", out(ch));

        in(ch, syslog(2, "<13>one") + syslog(3, "<13>two") + syslog(4, "<13>three"));
        List<AppendRequest> reqs = taken();
        assertEquals(3, reqs.size());
        assertEquals("one", reqs.get(0).record().message());
        assertTrue(reqs.get(0).receiptWhenDurable());
        assertEquals("", out(ch), "nothing is acknowledged before it is durable");

        reqs.get(1).durable().complete(11L); // the second becomes durable first: its ack must wait
        ch.runPendingTasks();
        assertEquals("", out(ch), "acks go out in txnr order");
        reqs.get(0).durable().complete(10L);
        ch.runPendingTasks();
        assertEquals("2 rsp 6 200 OK\n3 rsp 6 200 OK\n", out(ch));
        assertEquals(1, counters.acks.acksPending.get());
        reqs.get(2).durable().completeExceptionally(new JournalWriteException("disk full", null));
        ch.runPendingTasks();
        assertTrue(out(ch).startsWith("4 rsp "), "a record that could not be stored is answered");
        assertEquals(2, counters.acks.acksSent.sum());
        assertEquals(1, counters.acks.nacksSent.sum());
        assertEquals(0, counters.acks.acksPending.get());

        in(ch, "5 close 0\n");
        assertEquals("5 rsp 0\n", out(ch));
        ch.runPendingTasks();
        assertFalse(ch.isActive(), "closed after answering close");
        ch.finishAndReleaseAll();
    }

    @Test
    void writtenAckLevelUsesWrittenReceipts() {
        EmbeddedChannel ch = session(Durability.WRITTEN, 100);
        in(ch, OPEN + syslog(2, "<13>one"));
        out(ch);
        AppendRequest r = taken().get(0);
        assertFalse(r.receiptWhenDurable());
        assertTrue(r.hasReceipt());
        ch.finishAndReleaseAll();
    }

    @Test
    void aWaitingAckAsksForAnEarlySync() throws InterruptedException {
        EmbeddedChannel ch = session(Durability.DURABLE, 100);
        in(ch, OPEN + syslog(2, "<13>one"));
        assertTrue(runTimersUntilSyncRequests(ch, 2), "sync requested again while the ack waits");
        taken().get(0).durable().complete(1L);
        ch.runPendingTasks();
        int after = syncRequests.get();
        Thread.sleep(10);
        ch.runScheduledPendingTasks();
        assertEquals(after, syncRequests.get(), "no more requests once nothing waits");
        ch.finishAndReleaseAll();
    }

    @Test
    void theEarlySyncGoesOnForLaterAcksWhenTheTimerFindsTheHeadReady() throws InterruptedException {
        EmbeddedChannel ch = session(Durability.DURABLE, 100);
        in(ch, OPEN + syslog(2, "<13>one") + syslog(3, "<13>two"));
        out(ch);
        List<AppendRequest> reqs = taken();
        // The first becomes durable; its flush is queued but has not run when the timer fires
        // (runScheduledPendingTasks runs timers only, not the queued flush).
        reqs.get(0).durable().complete(1L);
        assertTrue(runTimersUntilSyncRequests(ch, syncRequests.get() + 1),
                "the timer asks for a sync while the head is ready but its flush still queued (the ack behind it waits)");
        ch.runPendingTasks();
        assertEquals("2 rsp 6 200 OK\n", out(ch));
        assertTrue(runTimersUntilSyncRequests(ch, syncRequests.get() + 1),
                "the second ack still waits: a sync is asked for again");
        ch.finishAndReleaseAll();
    }

    @Test
    void tooManyWaitingAcksStopReadingUntilHalfAreSent() {
        EmbeddedChannel ch = session(Durability.DURABLE, 4);
        in(ch, OPEN);
        out(ch);
        StringBuilder sb = new StringBuilder();
        for (int i = 2; i < 6; i++) {
            sb.append(syslog(i, "<13>m" + i));
        }
        in(ch, sb.toString());
        assertFalse(ch.config().isAutoRead(), "4 acks waiting: reading held");
        List<AppendRequest> reqs = taken();
        reqs.get(0).durable().complete(1L);
        ch.runPendingTasks();
        assertFalse(ch.config().isAutoRead(), "3 waiting: still held");
        reqs.get(1).durable().complete(2L);
        ch.runPendingTasks();
        assertTrue(ch.config().isAutoRead(), "2 waiting (half): reading again");
        ch.finishAndReleaseAll();
    }

    @Test
    void aFramingErrorAnswersWhatCameBeforeThenSendsServercloseAndCloses() {
        EmbeddedChannel ch = session(Durability.DURABLE, 100);
        in(ch, OPEN);
        out(ch);
        in(ch, syslog(2, "<13>good") + "3 syslog 3 <13>lying\n4 syslog 5 <13>x\n");
        List<AppendRequest> reqs = taken();
        assertEquals(1, reqs.size(), "only the frame before the error is stored");
        assertEquals(1, counters.acks.errors().get("relp_bad_length"));
        assertTrue(ch.isActive(), "open until the frame before the error is answered");
        assertEquals("", out(ch));
        reqs.get(0).durable().complete(1L);
        ch.runPendingTasks();
        assertEquals("2 rsp 6 200 OK\n0 serverclose 0\n", out(ch));
        assertFalse(ch.isActive());
        ch.finishAndReleaseAll();
    }

    @Test
    void aCommandBeforeOpenIsRefusedAndTheSessionEnds() {
        EmbeddedChannel ch = session(Durability.DURABLE, 100);
        in(ch, syslog(1, "<13>early"));
        ch.runPendingTasks();
        String o = out(ch);
        assertTrue(o.startsWith("1 rsp ") && o.contains("500"), o);
        assertTrue(o.endsWith("0 serverclose 0\n"), o);
        assertFalse(ch.isActive());
        assertEquals(0, taken().size());
        ch.finishAndReleaseAll();
    }
}
