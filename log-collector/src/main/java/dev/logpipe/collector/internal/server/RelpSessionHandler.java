package dev.logpipe.collector.internal.server;

import dev.logpipe.collector.Durability;
import dev.logpipe.collector.internal.ingest.RelpFrame;
import dev.logpipe.collector.internal.ingest.RelpProtocolError;
import dev.logpipe.collector.internal.pipeline.AckCounters;
import dev.logpipe.collector.internal.pipeline.LogLimiter;
import dev.logpipe.filesink.AppendRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;

/**
 * The server side of a RELP session (librelp's {@code doc/relp.md}): answers {@code open} with the
 * offers it accepts ({@code relp_version}, {@code relp_software}, {@code commands=syslog}), hands each
 * {@code syslog} frame's record downstream as an {@link AppendRequest} with a receipt, and answers
 * {@code TXNR rsp 6 200 OK} only once that record is durable (or written, by the ack level), in TXNR
 * order; answers {@code close} with an empty {@code rsp} and closes.
 *
 * <p>Errors: a command before {@code open}, a second {@code open} or a framing error (see
 * {@link dev.logpipe.collector.internal.ingest.RelpFrameDecoder}) ends the session: the frames
 * before it are still answered, then the hint {@code 0 serverclose 0} is sent and the connection is
 * closed. An unknown command is answered {@code 500} and the session goes on. A record the journal
 * could not store is answered {@code 500}; the client resends it.
 *
 * <p>Graceful close (shutdown drain, the client's EOF): stop reading, answer every frame received,
 * send {@code serverclose}, close.
 *
 * <p>Threading: confined to the connection's event loop; one instance per connection.
 */
final class RelpSessionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(RelpSessionHandler.class);
    private static final LogLimiter PROTOCOL_ERROR_LOG = LogLimiter.perMinute();
    static final String PROTOCOL = "relp";
    private static final byte[] SERVERCLOSE = "0 serverclose 0\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OK = "200 OK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RSP = " rsp ".getBytes(StandardCharsets.US_ASCII);

    private enum State { NEW, OPEN, CLOSING }

    private final BackpressureHandler backpressure;
    private final AckCounters counters;
    private final Durability ackLevel;
    private final IntSupplier maxPendingAcks;
    private final Runnable syncNow;
    private final long pressureDelayNanos;
    private AckQueue acks;
    private State state = State.NEW;

    RelpSessionHandler(BackpressureHandler backpressure, AckCounters counters, Durability ackLevel,
                       IntSupplier maxPendingAcks, Runnable syncNow, long pressureDelayNanos) {
        this.backpressure = backpressure;
        this.counters = counters;
        this.ackLevel = ackLevel;
        this.maxPendingAcks = maxPendingAcks;
        this.syncNow = syncNow;
        this.pressureDelayNanos = pressureDelayNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        acks = new AckQueue(ctx, counters, backpressure, maxPendingAcks,
                ackLevel == Durability.DURABLE ? syncNow : null, pressureDelayNanos);
        backpressure.closer(() -> closeGracefully(ctx, true));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof RelpProtocolError err) {
            counters.error(err.reason());
            String note = PROTOCOL_ERROR_LOG.admit();
            if (note != null) {
                LOG.info("RELP protocol error from {}: {}; closing the session{}", ctx.channel().remoteAddress(),
                        err.detail(), note);
            }
            closeGracefully(ctx, true);
            return;
        }
        if (!(msg instanceof RelpFrame f)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (state == State.CLOSING) {
            return; // after close or an error: not answered; a client resends what it did not see answered
        }
        switch (f.command()) {
            case "open" -> open(ctx, f);
            case RelpFrame.SYSLOG -> syslog(ctx, f);
            case "close" -> {
                if (!checkOpen(ctx, f)) {
                    return;
                }
                acks.add((c, out, failure) -> rsp(out, f.txnr(), new byte[0]));
                closeGracefully(ctx, false);
            }
            case "rsp" -> {
                // Only the server answers; a client's rsp is a protocol error.
                counters.error("relp_unexpected_rsp");
                closeGracefully(ctx, true);
            }
            default -> {
                if (f.txnr() == 0) {
                    return; // a hint from the client: not answered
                }
                if (!checkOpen(ctx, f)) {
                    return;
                }
                counters.error("relp_unknown_command");
                answer(f.txnr(), "500 command not supported: " + f.command());
            }
        }
    }

    private void open(ChannelHandlerContext ctx, RelpFrame f) {
        if (state != State.NEW) {
            counters.error("relp_open_twice");
            answer(f.txnr(), "500 protocol error: connection already open");
            closeGracefully(ctx, true);
            return;
        }
        int version = 0;
        boolean syslog = false;
        for (String line : f.text().split("\n")) {
            int eq = line.indexOf('=');
            String name = (eq < 0 ? line : line.substring(0, eq)).trim();
            String value = eq < 0 ? "" : line.substring(eq + 1).trim();
            if (name.equals("relp_version")) {
                try {
                    version = Math.min(1, Integer.parseInt(value));
                } catch (NumberFormatException e) {
                    version = -1;
                }
            } else if (name.equals("commands")) {
                for (String c : value.split(",")) {
                    syslog |= c.trim().equals(RelpFrame.SYSLOG);
                }
            }
        }
        if (version < 0) {
            counters.error("relp_bad_offer");
            answer(f.txnr(), "500 invalid relp_version offer");
            closeGracefully(ctx, true);
            return;
        }
        if (!syslog) {
            counters.error("relp_no_syslog_command");
            answer(f.txnr(), "500 required command not supported by client");
            closeGracefully(ctx, true);
            return;
        }
        state = State.OPEN;
        answer(f.txnr(), "200 OK\nrelp_version=" + version + "\nrelp_software=logpipe\ncommands=syslog");
    }

    private void syslog(ChannelHandlerContext ctx, RelpFrame f) {
        if (!checkOpen(ctx, f)) {
            return;
        }
        counters.received(PROTOCOL);
        long txnr = f.txnr();
        AckQueue.Response response = (c, out, failure) -> {
            if (failure == null) {
                rsp(out, txnr, OK);
            } else {
                rsp(out, txnr, ("500 not stored: " + oneLine(failure)).getBytes(StandardCharsets.UTF_8));
            }
        };
        if (!f.hasRecord()) {
            acks.add(response); // empty, or dropped by the malformed policy: nothing to wait for
            return;
        }
        AppendRequest request;
        CompletableFuture<?> receipt;
        if (ackLevel == Durability.DURABLE) {
            request = f.encoded() != null ? AppendRequest.withDurableReceipt(f.encoded())
                    : AppendRequest.withDurableReceipt(f.record());
            receipt = request.durable();
        } else {
            request = f.encoded() != null ? AppendRequest.withReceipt(f.encoded()) : AppendRequest.withReceipt(f.record());
            receipt = request.written().toCompletableFuture();
        }
        acks.add(response, receipt);
        ctx.fireChannelRead(request); // on to the BackpressureHandler, which sends it to the journal
    }

    private boolean checkOpen(ChannelHandlerContext ctx, RelpFrame f) {
        if (state == State.OPEN) {
            return true;
        }
        counters.error("relp_not_open");
        answer(f.txnr(), "500 protocol error: session not open");
        closeGracefully(ctx, true);
        return false;
    }

    private void answer(long txnr, String data) {
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        acks.add((c, out, failure) -> rsp(out, txnr, bytes));
    }

    /** Appends {@code TXNR rsp DATALEN[ DATA]LF} to {@code out}. */
    private static void rsp(ByteBuf out, long txnr, byte[] data) {
        writeDecimal(out, txnr);
        out.writeBytes(RSP);
        writeDecimal(out, data.length);
        if (data.length > 0) {
            out.writeByte(' ');
            out.writeBytes(data);
        }
        out.writeByte('\n');
    }

    private static void writeDecimal(ByteBuf out, long v) {
        if (v < 10) {
            out.writeByte('0' + (int) v);
            return;
        }
        int digits = 1;
        for (long x = v / 10; x > 0; x /= 10) {
            digits++;
        }
        int at = out.writerIndex() + digits;
        out.ensureWritable(digits);
        for (int i = 1; i <= digits; i++) {
            out.setByte(at - i, '0' + (int) (v % 10));
            v /= 10;
        }
        out.writerIndex(at);
    }

    private static String oneLine(Throwable t) {
        String m = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        m = m.replace('\n', ' ');
        return m.length() > 200 ? m.substring(0, 200) : m;
    }

    /**
     * Stops reading, answers everything received, then (with {@code hint}) sends {@code serverclose}
     * and closes. Idempotent.
     */
    private void closeGracefully(ChannelHandlerContext ctx, boolean hint) {
        if (state == State.CLOSING) {
            return;
        }
        state = State.CLOSING;
        ctx.channel().config().setAutoRead(false);
        backpressure.holdReads(true);
        acks.whenEmpty(() -> {
            if (!ctx.channel().isActive()) {
                return;
            }
            if (hint) {
                ctx.writeAndFlush(ctx.alloc().buffer(SERVERCLOSE.length).writeBytes(SERVERCLOSE))
                        .addListener(ChannelFutureListener.CLOSE);
            } else {
                // Close once what is written (the close's rsp) has left.
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        state = State.CLOSING;
        acks.discard();
        ctx.fireChannelInactive();
    }
}
