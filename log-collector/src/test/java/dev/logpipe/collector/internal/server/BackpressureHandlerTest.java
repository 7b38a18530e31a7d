package dev.logpipe.collector.internal.server;

import dev.logpipe.channels.Mpsc;
import dev.logpipe.channels.TryRecv;
import dev.logpipe.collector.LostReason;
import dev.logpipe.collector.internal.pipeline.PipelineCounters;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateEvent;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backpressure handler on an {@link EmbeddedChannel}: the exact sequence of pause, async send,
 * hop back to the loop, drain in order and resume, step by step.
 */
class BackpressureHandlerTest {

    private static LogRecord rec(int i) {
        return LogRecord.builder().message("r " + i).format(SourceFormat.TEXT).build();
    }

    private static String take(Mpsc.Channel<AppendRequest> ch) {
        TryRecv<AppendRequest> r = ch.receiver().tryRecv();
        assertInstanceOf(TryRecv.Value.class, r, "a value is waiting");
        return ((TryRecv.Value<AppendRequest>) r).value().record().message();
    }

    @Test
    void fullChannelPausesReadingKeepsOrderAndResumesOnTheEventLoop() {
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(2);
        PipelineCounters counters = new PipelineCounters();
        BackpressureHandler h = new BackpressureHandler(ch.sender(), counters, new ConnectionTracker());
        EmbeddedChannel ec = new EmbeddedChannel(h);

        for (int i = 0; i < 5; i++) {
            assertFalse(ec.writeInbound(rec(i)), "records are consumed, not passed on");
        }
        assertFalse(ec.config().isAutoRead(), "full channel: reading paused");
        assertEquals(1, counters.backpressurePauses.sum());
        assertEquals(3, counters.maxPendingPerConnection(), "records 2, 3, 4 held locally");
        assertEquals(2, ch.receiver().len());

        List<String> out = new ArrayList<>();
        // Each take makes room; the waiting send completes on this (receiver) thread, and the handler
        // continues only once its event loop runs the hop-back task.
        out.add(take(ch));
        assertEquals(2, ch.receiver().len(), "record 2 entered the channel through the async send");
        assertFalse(ec.config().isAutoRead());
        ec.runPendingTasks();
        assertFalse(ec.config().isAutoRead(), "still records 3, 4 waiting");
        out.add(take(ch));
        ec.runPendingTasks();
        out.add(take(ch));
        ec.runPendingTasks();
        assertTrue(ec.config().isAutoRead(), "local FIFO drained: reading resumed");
        out.add(take(ch));
        out.add(take(ch));
        assertEquals(List.of("r 0", "r 1", "r 2", "r 3", "r 4"), out);
        assertEquals(5, counters.receivedRecords().get(SourceFormat.TEXT));
        assertEquals(Map.of(), counters.lost());
        assertEquals(0, counters.pendingRecords.sum(), "nothing held in flight");
        ec.finishAndReleaseAll();
    }

    @Test
    void connectionFinishesOnlyAfterItsHeldRecordsEnteredTheChannel() {
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(1);
        PipelineCounters counters = new PipelineCounters();
        ConnectionTracker tracker = new ConnectionTracker();
        EmbeddedChannel ec = new EmbeddedChannel(new BackpressureHandler(ch.sender(), counters, tracker));
        ec.writeInbound(rec(0));
        ec.writeInbound(rec(1));
        ec.close();
        CompletableFuture<Void> drained = tracker.drain(new ConnectionTracker.DrainPlan(0, System.nanoTime()));
        ec.runPendingTasks();
        assertFalse(drained.isDone(), "record 1 still waits for room");
        assertEquals("r 0", take(ch));
        ec.runPendingTasks();
        assertTrue(drained.isDone(), "closed and everything handed over");
        assertEquals("r 1", take(ch));
    }

    @Test
    void halfClosedConnectionIsClosedByTheServerOnceItsRecordsAreInTheChannel() {
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(1);
        PipelineCounters counters = new PipelineCounters();
        ConnectionTracker tracker = new ConnectionTracker();
        EmbeddedChannel ec = new EmbeddedChannel(new BackpressureHandler(ch.sender(), counters, tracker));
        CompletableFuture<Void> drained = tracker.drain(new ConnectionTracker.DrainPlan(Long.MAX_VALUE,
                System.nanoTime() + Long.MAX_VALUE / 2)); // never by the drain's own close: only the EOF
        ec.writeInbound(rec(0));
        ec.writeInbound(rec(1)); // held: the channel is full
        ec.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE); // the client's EOF
        ec.runPendingTasks();
        assertTrue(ec.isOpen(), "record 1 is still held: the connection stays open for it");
        assertFalse(drained.isDone());
        assertEquals("r 0", take(ch));
        ec.runPendingTasks();
        assertFalse(ec.isOpen(), "everything handed over: the server closes the half-closed connection");
        assertTrue(drained.isDone(), "and the tracker sees it finish");
        assertEquals("r 1", take(ch));

        // With nothing held, the EOF closes at once.
        Mpsc.Channel<AppendRequest> roomy = Mpsc.bounded(8);
        EmbeddedChannel quick = new EmbeddedChannel(new BackpressureHandler(roomy.sender(), counters, new ConnectionTracker()));
        quick.writeInbound(rec(2));
        quick.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        assertFalse(quick.isOpen());
        assertEquals("r 2", take(roomy));
        assertEquals(Map.of(), counters.lost());
        assertEquals(0, counters.pendingRecords.sum(), "nothing held in flight");
    }

    @Test
    void afterTheClientsEofMakingRoomAsksTheSocketForNoMoreReads() {
        // The native (epoll) transport takes a socket whose input has ended out of its poll set; asking
        // it to read again failed (epoll_ctl: ENOENT), and the handler closed the connection with a
        // warning that what it sent was not stored, when everything was. Here a handler at the head
        // fails a read after the EOF the way that transport did.
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(1);
        PipelineCounters counters = new PipelineCounters();
        AtomicBoolean eof = new AtomicBoolean();
        AtomicInteger readsAfterEof = new AtomicInteger();
        EmbeddedChannel ec = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void read(ChannelHandlerContext ctx) {
                if (eof.get()) {
                    readsAfterEof.incrementAndGet();
                    throw new UncheckedIOException(new IOException("epoll_ctl(..) failed with error(-2): No such file or directory"));
                }
                ctx.read();
            }
        }, new BackpressureHandler(ch.sender(), counters, new ConnectionTracker()));
        ec.writeInbound(rec(0));
        ec.writeInbound(rec(1));
        ec.writeInbound(rec(2)); // 1 and 2 held: the channel is full, reading paused
        assertFalse(ec.config().isAutoRead());
        eof.set(true);
        ec.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE); // the client's EOF
        assertEquals("r 0", take(ch));
        ec.runPendingTasks();
        assertEquals("r 1", take(ch));
        ec.runPendingTasks(); // the FIFO is empty now: the point where reading used to resume

        assertEquals(0, readsAfterEof.get(), "no read asked of a socket whose input has ended");
        assertEquals(0, counters.connectionErrors.sum(), "no error, no false 'not stored' warning");
        assertFalse(ec.isOpen(), "closed by the server once everything was handed over");
        assertEquals("r 2", take(ch));
        assertEquals(Map.of(), counters.lost());
        assertEquals(0, counters.pendingRecords.sum());
    }

    @Test
    void closedChannelCountsTheHeldRecordsAsLostAndClosesTheConnection() {
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(4);
        PipelineCounters counters = new PipelineCounters();
        EmbeddedChannel ec = new EmbeddedChannel(new BackpressureHandler(ch.sender(), counters, new ConnectionTracker()));
        ch.receiver().close();
        ec.writeInbound(rec(0));
        assertEquals(Map.of(LostReason.JOURNAL_FAILURE, 1L), counters.lost());
        assertEquals(0, counters.pendingRecords.sum(), "lost, no longer in flight");
        assertFalse(ec.isActive());
    }

    @Test
    void idleEventClosesAnIdleConnectionButNotAPausedOne() {
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(1);
        PipelineCounters counters = new PipelineCounters();
        BackpressureHandler h = new BackpressureHandler(ch.sender(), counters, new ConnectionTracker());
        EmbeddedChannel ec = new EmbeddedChannel(new ConnectionGuardHandler(h, counters), h);
        ec.writeInbound(rec(0));
        ec.writeInbound(rec(1)); // paused now
        ec.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        assertTrue(ec.isActive(), "a connection paused by backpressure is not idle");
        assertEquals(0, counters.idleClosedConnections.sum());
        take(ch);
        ec.runPendingTasks();
        assertTrue(ec.config().isAutoRead());
        ec.pipeline().fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
        assertFalse(ec.isActive(), "an idle connection is closed");
        assertEquals(1, counters.idleClosedConnections.sum());
    }

    /** A read of {@code bytes} bytes into a buffer of {@code capacity}, as the transport hands it on. */
    private static ByteBuf socketRead(int bytes, int capacity) {
        return Unpooled.buffer(capacity, capacity).writeZero(bytes);
    }

    @Test
    void drainDoesNotTakeAConnectionWhoseSocketMayHoldMoreForQuiet() {
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(1024);
        PipelineCounters counters = new PipelineCounters();
        ConnectionTracker tracker = new ConnectionTracker();
        BackpressureHandler h = new BackpressureHandler(ch.sender(), counters, tracker);
        int[] n = {0};
        ChannelInboundHandlerAdapter oneRecordPerRead = new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ((ByteBuf) msg).release();
                ctx.fireChannelRead(rec(n[0]++));
            }
        };
        EmbeddedChannel ec = new EmbeddedChannel(new SocketReadProbe(h), oneRecordPerRead, h);
        long quiet = TimeUnit.MILLISECONDS.toNanos(2);
        CompletableFuture<Void> drained = tracker.drain(new ConnectionTracker.DrainPlan(quiet,
                System.nanoTime() + TimeUnit.MINUTES.toNanos(10)));
        // The last read filled its buffer: the client may have more in the socket, which a busy event
        // loop has not read yet. Many quiet periods later the connection must still be open.
        ec.writeInbound(socketRead(64, 64));
        long readAt = System.nanoTime();
        while (System.nanoTime() - readAt < 25 * quiet) {
            ec.runPendingTasks(); // the drain checks, each of which would close a quiet connection
        }
        assertTrue(ec.isOpen(), "a connection whose last read filled its buffer is not quiet");
        // A read that did not fill its buffer emptied the socket: now quiet means quiet.
        ec.writeInbound(socketRead(10, 64));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ec.isOpen() && System.nanoTime() < deadline) {
            ec.runPendingTasks();
        }
        assertFalse(ec.isOpen(), "the client sent nothing more for the quiet period: the drain closes it");
        assertTrue(drained.isDone());
        assertEquals("r 0", take(ch));
        assertEquals("r 1", take(ch));
    }
    @Test
    void readingStopsWhileWhatTheConnectionWritesWaitsAboveItsHighWaterMark() {
        // acknowledgements to a client that does not read them would pile up without bound
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(100);
        BackpressureHandler h = new BackpressureHandler(ch.sender(), new PipelineCounters(), new ConnectionTracker());
        EmbeddedChannel ec = new EmbeddedChannel(h);
        ec.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(8, 16));
        ec.write(io.netty.buffer.Unpooled.wrappedBuffer(new byte[64])); // not flushed: waiting, over 16 bytes
        assertFalse(ec.isWritable());
        assertFalse(ec.config().isAutoRead(), "reading held while the writes wait");
        ec.flush();
        assertTrue(ec.isWritable());
        assertTrue(ec.config().isAutoRead(), "reading again once they are out");
        ec.finishAndReleaseAll();
    }

    @Test
    void aHoldReleasedAfterTheClientsEofDoesNotAskTheSocketToReadAgain() {
        // the epoll transport has taken an ended socket out of its poll set: reading again failed with
        // epoll_ctl ENOENT and closed the connection before its acknowledgements were sent
        Mpsc.Channel<AppendRequest> ch = Mpsc.bounded(1);
        BackpressureHandler h = new BackpressureHandler(ch.sender(), new PipelineCounters(), new ConnectionTracker());
        EmbeddedChannel ec = new EmbeddedChannel(h);
        h.closer(() -> { }); // an acknowledged protocol closes once its acknowledgements are out
        ec.writeInbound(rec(0));
        ec.writeInbound(rec(1)); // the channel is full: held, reading paused
        h.holdReads(true); // too many acknowledgements waiting
        ec.pipeline().fireUserEventTriggered(io.netty.channel.socket.ChannelInputShutdownEvent.INSTANCE);
        take(ch);
        ec.runPendingTasks(); // record 1 in the channel
        h.holdReads(false);
        assertFalse(ec.config().isAutoRead(), "nothing to read after the EOF");
        h.channelWritabilityChanged(ec.pipeline().context(h));
        assertFalse(ec.config().isAutoRead());
        ec.finishAndReleaseAll();
    }

    @Test
    void theWaitingAcknowledgementsOfAListenersConnectionsAreSharedAmongThoseOpen() {
        int[] open = {1};
        java.util.function.IntSupplier cap = AckQueue.shared(8192, () -> open[0]);
        assertEquals(8192, cap.getAsInt(), "one connection: its own bound");
        open[0] = 8;
        assertEquals(8192, cap.getAsInt());
        open[0] = 200;
        assertEquals(327, cap.getAsInt(), "65,536 shared by 200");
        open[0] = 5000;
        assertEquals(AckQueue.MIN_PENDING, cap.getAsInt(), "never below the least");
        assertEquals(10, AckQueue.shared(10, () -> 5000).getAsInt(), "never above a smaller bound");
    }
}
