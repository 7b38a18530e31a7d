package dev.logpipe.collector.internal.server;

import dev.logpipe.channels.MpscSender;
import dev.logpipe.channels.SendResult;
import dev.logpipe.collector.internal.pipeline.LogLimiter;
import dev.logpipe.collector.internal.pipeline.PipelineCounters;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.LogRecord;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The last handler of a connection: puts every decoded {@link LogRecord} into the journal channel,
 * and when the channel is full, stops reading from the socket until it has room again.
 *
 * <p>How: each record is offered with {@code trySend}. On {@code Full} the record is kept in a small
 * local FIFO, {@code autoRead} goes off (TCP flow control then slows the client), and one async
 * {@code send} of the FIFO's head is registered. Its completion, which runs on the thread that made
 * room (the journal writer), hops back to this connection's event loop, which then drains the FIFO
 * in order with {@code trySend} (registering the next async send if the channel fills again) and
 * turns {@code autoRead} back on. Records decoded meanwhile from the same read join the FIFO's tail,
 * so order is kept. Nothing blocks, sleeps or polls, and no accepted record is dropped: the FIFO
 * holds at most what the reads already in flight decode when {@code autoRead} went off.
 *
 * <p>End of input: the channel allows half-closure, so a client that shuts down its output (EOF)
 * leaves the connection open, and the decoders fire its last records and then the
 * {@link ChannelInputShutdownEvent}. This handler closes the connection once every record it holds
 * is in the channel: the client, which may be waiting for our close, learns that its stream was
 * taken, and the connection finishes as usual.
 *
 * <p>Graceful shutdown: {@link #beginDrain} keeps reading until the client has been quiet for a
 * moment (or a grace deadline passes), then closes; the records already decoded keep flowing into
 * the channel after the close, and the connection counts as finished only once its FIFO is empty.
 *
 * <p>Threading: confined to the connection's event loop; {@link #beginDrain} may be called from any
 * thread (it hops onto the loop). One instance per connection.
 */
final class BackpressureHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(BackpressureHandler.class);
    private static final LogLimiter TLS_FAILURE_LOG = LogLimiter.perMinute();
    private static final long DRAIN_CHECK_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final MpscSender<AppendRequest> sender;
    private final PipelineCounters counters;
    private final ConnectionTracker tracker;
    private final ArrayDeque<AppendRequest> pending = new ArrayDeque<>();

    private ChannelHandlerContext ctx;
    private boolean sendInFlight;
    private boolean paused;
    private boolean inactive;
    private boolean finished;
    private boolean draining;
    /** The client ended its stream (half-close); close once every record is in the channel. */
    private boolean inputShutdown;
    /** The channel refused with Closed once: what this connection still decodes is lost too. */
    private boolean journalGone;
    private ScheduledFuture<?> drainCheck;
    /** Last time bytes arrived from the socket; set by {@link SocketReadProbe} on the same loop. */
    long lastReadNanos = System.nanoTime();
    /** Whether the last socket read filled its buffer (more may wait); set by {@link SocketReadProbe}. */
    boolean socketMayHoldMore;
    /** {@link #lastReadNanos} as the previous drain check saw it when the connection looked quiet, else -1. */
    private long quietMark = -1;
    /** Reading is held by an upstream handler (too many unacknowledged records), besides channel room. */
    private boolean readsHeld;
    /** Reading is held until the listener's budget for unfinished messages has room (see {@link MessageBudget}). */
    private boolean memoryHeld;
    /**
     * Reading is held while what this connection writes (acknowledgements) waits above the channel's
     * write high-water mark: a client that sends and does not read its acknowledgements (outside its
     * protocol's window) would otherwise pile them up in the outbound buffer without bound; 200 RELP
     * connections sending 100,000 small frames each without reading ran the heap out.
     */
    private boolean writesHeld;
    /** Run once no record of this connection waits for channel room any more. */
    private final ArrayDeque<Runnable> whenDrained = new ArrayDeque<>();
    /**
     * Ends the connection when the drain or the client's EOF asks for it: a plain close, or, on an
     * acknowledged protocol, a close once every acknowledgement has been sent.
     */
    private Runnable closer;

    BackpressureHandler(MpscSender<AppendRequest> sender, PipelineCounters counters, ConnectionTracker tracker) {
        this.sender = sender;
        this.counters = counters;
        this.tracker = tracker;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        tracker.register(ctx.channel(), this);
    }

    /** True while this connection waits for channel room; the idle timeout must not close it then. */
    boolean isWaitingForRoom() {
        // not writesHeld: a client that does not read what it is sent is not waiting for us
        return paused || readsHeld || memoryHeld || sendInFlight || !pending.isEmpty();
    }

    /** Whether every record this connection has handed over is in the channel (or lost). */
    boolean isDrained() {
        return !sendInFlight && pending.isEmpty();
    }

    /**
     * Runs {@code action} once every record this connection has handed over is in the channel (or
     * lost): at once when none waits, else on this loop when the FIFO empties or the connection ends.
     */
    void whenDrained(Runnable action) {
        if (!sendInFlight && pending.isEmpty()) {
            action.run();
        } else {
            whenDrained.addLast(action);
        }
    }

    private void runDrained() {
        while (!sendInFlight && pending.isEmpty() && !whenDrained.isEmpty()) {
            whenDrained.pollFirst().run();
        }
    }

    /**
     * Holds or releases reading until memory for unfinished messages has room (event loop); like
     * {@link #holdReads}, independent of it and of channel room.
     */
    void holdReadsForMemory(boolean hold) {
        if (hold == memoryHeld) {
            return;
        }
        memoryHeld = hold;
        if (hold) {
            ctx.channel().config().setAutoRead(false);
            counters.memoryPauses.increment();
        } else {
            readAgainIfFree();
        }
    }

    /**
     * Replaces the plain close used by the graceful drain and after the client's EOF (event loop, before
     * the first read). Acknowledged protocols close only once their acknowledgements are out.
     */
    void closer(Runnable closer) {
        this.closer = closer;
    }

    /**
     * Holds or releases reading for a reason other than channel room (event loop): while held,
     * {@code autoRead} stays off even when the channel has room again.
     */
    void holdReads(boolean hold) {
        if (hold == readsHeld) {
            return;
        }
        readsHeld = hold;
        if (hold) {
            ctx.channel().config().setAutoRead(false);
        } else {
            readAgainIfFree();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        boolean hold = !ctx.channel().isWritable();
        if (hold != writesHeld) {
            writesHeld = hold;
            if (hold) {
                ctx.channel().config().setAutoRead(false);
            } else {
                readAgainIfFree();
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void closeConnection() {
        if (closer != null) {
            closer.run();
        } else {
            ctx.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof AppendRequest request) {
            // An acknowledged protocol made the request (with its receipt) itself.
            counters.recordAccepted(request.format());
            offer(request);
            return;
        }
        if (!(msg instanceof LogRecord record)) {
            // Only records are expected past the decoders; anything else is a wiring bug. Release it
            // (it may be a ByteBuf) rather than leak it, and count it.
            ReferenceCountUtil.release(msg);
            counters.connectionErrors.increment();
            LOG.warn("unexpected message {} after the ingest decoders on {}", msg.getClass().getName(), ctx.channel());
            return;
        }
        counters.recordAccepted(record.format());
        offer(AppendRequest.of(record));
    }

    private void offer(AppendRequest request) {
        if (journalGone) {
            // decoded from a read that was in progress when the journal closed: lost like the rest
            counters.lost(1);
            return;
        }
        if (sendInFlight || !pending.isEmpty()) {
            // Behind records already waiting: keep order.
            hold(request);
            return;
        }
        SendResult<AppendRequest> result = sender.trySend(request);
        if (result instanceof SendResult.Sent<AppendRequest>) {
            return;
        }
        if (result instanceof SendResult.Full<AppendRequest>) {
            hold(request);
            pause();
            sendHead();
            return;
        }
        // Closed: the journal no longer takes records (writer failed, or a forced shutdown).
        hold(request);
        journalClosed();
    }

    /** Keeps a received record in the FIFO; counted in flight until it is in the channel or lost. */
    private void hold(AppendRequest request) {
        pending.addLast(request);
        counters.pendingRecords.increment();
        counters.pendingHighWater(pending.size());
    }

    private void release() {
        pending.pollFirst();
        counters.pendingRecords.decrement();
    }

    private void pause() {
        if (!paused) {
            paused = true;
            ctx.channel().config().setAutoRead(false);
            counters.backpressurePauses.increment();
        }
    }

    private void resume() {
        if (paused) {
            paused = false;
            readAgainIfFree();
        }
    }

    /**
     * Turns reading back on when nothing holds it: not paused for channel room, no upstream hold (waiting
     * acknowledgements), no memory hold, no write hold. The one place that does, so that every release
     * checks every hold. Never after the client's EOF: there is nothing left to read, and the native
     * transport may have taken the socket out of its poll set, so asking it to read again fails
     * (epoll_ctl ENOENT) and closed the connection with a false warning that records were not stored.
     */
    private void readAgainIfFree() {
        if (!paused && !readsHeld && !memoryHeld && !writesHeld && !inputShutdown && ctx.channel().isActive()) {
            ctx.channel().config().setAutoRead(true); // also issues a read() when it was off
        }
    }

    /** Registers one async send of the FIFO's head; its completion continues on this event loop. */
    private void sendHead() {
        sendInFlight = true;
        AppendRequest head = pending.peekFirst();
        sender.send(head).whenComplete((result, error) -> {
            // This runs on the thread that made room (the journal writer), or on this loop if the send
            // was immediate. Handler state is confined to the event loop: hop back before touching it.
            try {
                ctx.executor().execute(() -> headSent(result, error));
            } catch (RejectedExecutionException e) {
                // The event loop is gone (forced shutdown after the drain timeout): finish here, nothing
                // else touches this handler any more.
                headSent(result, error);
            }
        });
    }

    private void headSent(SendResult<AppendRequest> result, Throwable error) {
        sendInFlight = false;
        if (error != null || !(result instanceof SendResult.Sent<AppendRequest>)) {
            journalClosed();
            return;
        }
        release();
        while (!pending.isEmpty()) {
            SendResult<AppendRequest> r = sender.trySend(pending.peekFirst());
            if (r instanceof SendResult.Sent<AppendRequest>) {
                release();
            } else if (r instanceof SendResult.Full<AppendRequest>) {
                sendHead();
                return;
            } else {
                journalClosed();
                return;
            }
        }
        resume();
        runDrained();
        closeIfInputDone();
        maybeFinished();
    }

    /** The channel refused with Closed: what this connection holds cannot be stored; count and close. */
    private void journalClosed() {
        int n = pending.size();
        pending.clear();
        // lost first, then out of the in-flight count: a reader of the books never sees them nowhere
        counters.lost(n);
        counters.pendingRecords.add(-n);
        if (!journalGone) {
            journalGone = true;
            LOG.error("journal channel closed; {} record(s) from {} could not be stored and are counted as lost"
                    + " (with any it still decodes), closing the connection", n, ctx.channel().remoteAddress());
        }
        ctx.close();
        runDrained();
        maybeFinished();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            // The decoders fired every record of the stream before this event.
            inputShutdown = true;
            closeIfInputDone();
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** After the client's EOF: closes the connection when nothing it sent is held here any more. */
    private void closeIfInputDone() {
        if (inputShutdown && !inactive && !sendInFlight && pending.isEmpty()) {
            closeConnection();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inactive = true;
        if (drainCheck != null) {
            drainCheck.cancel(false);
        }
        maybeFinished();
        ctx.fireChannelInactive();
    }

    private void maybeFinished() {
        if (inactive && !finished && !sendInFlight && pending.isEmpty()) {
            finished = true;
            tracker.finished(ctx.channel());
        }
    }

    /** Starts the graceful drain of this connection (idempotent; any thread). */
    void beginDrain(ConnectionTracker.DrainPlan plan) {
        runOnLoop(() -> {
            if (draining || inactive) {
                return;
            }
            draining = true;
            long period = Math.max(1_000_000L, Math.min(plan.quietNanos() / 2, DRAIN_CHECK_MAX_NANOS));
            drainCheck = ctx.executor().scheduleAtFixedRate(() -> drainCheck(plan), period, period,
                    TimeUnit.NANOSECONDS);
        });
    }

    private void drainCheck(ConnectionTracker.DrainPlan plan) {
        if (inactive) {
            return;
        }
        long now = System.nanoTime();
        // Quiet means the client stopped sending, not that this loop stopped reading: a connection that
        // waits for room, or whose last read filled its buffer (the socket may hold more), is not quiet
        // however long ago that read was. A busy loop (other connections' reads, a starved CPU) can leave
        // a flooding connection unread for longer than the quiet period; closing it then dropped what its
        // client had sent, and under load the connections of the costliest format (JSON) were closed first
        // while the cheap ones (text) kept the loop for the whole grace.
        boolean looksQuiet = !isWaitingForRoom() && !socketMayHoldMore && now - lastReadNanos >= plan.quietNanos();
        // And it must look quiet on two checks with no read in between: between two runs of this
        // scheduled task the loop has polled the socket at least once, so bytes that arrived while it was
        // busy have been read (and moved lastReadNanos) by the second check.
        boolean quiet = looksQuiet && quietMark == lastReadNanos;
        quietMark = looksQuiet ? lastReadNanos : -1;
        if (quiet || now - plan.graceDeadlineNanos() >= 0) {
            // Stop reading first so that nothing more is decoded, then close; the decoders fire the
            // complete frames they hold on channelInactive (an unfinished tail is counted
            // incomplete_frame, not stored) and the FIFO keeps draining into the channel after that.
            ctx.channel().config().setAutoRead(false);
            closeConnection();
        }
    }

    private void runOnLoop(Runnable task) {
        if (ctx.executor().inEventLoop()) {
            task.run();
        } else {
            try {
                ctx.executor().execute(task);
            } catch (RejectedExecutionException e) {
                LOG.debug("event loop already shut down for {}", ctx.channel());
            }
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof SSLException
                || (cause instanceof DecoderException && cause.getCause() instanceof SSLException)) {
            // Counted once per connection by ConnectionGuardHandler from the handshake event.
            String note = TLS_FAILURE_LOG.admit();
            if (note != null) {
                LOG.info("TLS failure on {}: {}{}", ctx.channel().remoteAddress(), cause.getMessage(), note);
            }
        } else if (cause instanceof java.io.IOException) {
            counters.connectionErrors.increment(); // a reset or a broken pipe: the client's doing
            LOG.debug("connection error on {}", ctx.channel().remoteAddress(), cause);
        } else {
            // Anything else is ours (e.g. the heap ran out decoding a frame): what the connection sent
            // since its last record is lost with it, so say so where an operator looks.
            counters.connectionErrors.increment();
            LOG.warn("closing {} after an error while reading it; what it sent since its last stored record is"
                    + " not stored: {}", ctx.channel().remoteAddress(), cause.toString(), cause);
        }
        ctx.close();
    }
}
