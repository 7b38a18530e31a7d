package dev.logpipe.collector.internal.server;

import dev.logpipe.collector.Durability;
import dev.logpipe.collector.internal.ingest.FluentMessage;
import dev.logpipe.collector.internal.ingest.FluentProtocolError;
import dev.logpipe.collector.internal.pipeline.AckCounters;
import dev.logpipe.collector.internal.pipeline.LogLimiter;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.EncodedRecord;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.value.ImmutableValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;

/**
 * The server side of a Fluent Forward connection: hands each message's records downstream as
 * {@link AppendRequest}s and, when the message's option carried {@code chunk}, answers the msgpack
 * map {@code {"ack": chunk}} (the chunk echoed exactly as sent, str or bin) once every record of the
 * message is durable (or written, by the ack level), in message order. Without {@code chunk} nothing
 * is answered.
 *
 * <p>A large message comes in parts ({@link FluentMessage#last()}): its acknowledgement waits for the
 * last part's records, and is not sent if a part before failed. Once its first part is taken, the rest
 * is taken too, also while the connection closes gracefully; a message whose first part comes after the
 * close began is not taken at all.
 *
 * <p>A message whose records could not all be stored is not acknowledged: the connection is closed
 * after the acknowledgements before it, and the client resends. A protocol error (see
 * {@link dev.logpipe.collector.internal.ingest.FluentForwardDecoder}) closes the connection the same
 * way. Graceful close (shutdown drain, the client's EOF): stop reading, send every acknowledgement
 * due, close.
 *
 * <p>Threading: confined to the connection's event loop; one instance per connection.
 */
final class FluentSessionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(FluentSessionHandler.class);
    private static final LogLimiter PROTOCOL_ERROR_LOG = LogLimiter.perMinute();
    static final String PROTOCOL = "fluent";

    private final BackpressureHandler backpressure;
    private final AckCounters counters;
    private final Durability ackLevel;
    private final IntSupplier maxPendingAcks;
    private final Runnable syncNow;
    private final long pressureDelayNanos;
    private AckQueue acks;
    private boolean closing;
    /** A message's first part was taken and its last has not come: the parts between are taken too. */
    private boolean inMessage;
    /** A message's first part was not taken (closing): neither are its other parts. */
    private boolean skippingMessage;

    FluentSessionHandler(BackpressureHandler backpressure, AckCounters counters, Durability ackLevel,
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
        backpressure.closer(() -> closeGracefully(ctx));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FluentProtocolError err) {
            counters.error(err.reason());
            String note = PROTOCOL_ERROR_LOG.admit();
            if (note != null) {
                LOG.info("Fluent Forward protocol error from {}: {}; closing the connection{}",
                        ctx.channel().remoteAddress(), err.detail(), note);
            }
            closeGracefully(ctx);
            return;
        }
        if (!(msg instanceof FluentMessage m)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (skippingMessage) {
            skippingMessage = !m.last();
            return;
        }
        if (closing && m.chunk() != null && !inMessage) {
            skippingMessage = !m.last();
            return; // not acknowledged: the client resends it (storing it too would only duplicate it)
        }
        boolean first = !inMessage;
        inMessage = !m.last();
        if (first) {
            counters.received(PROTOCOL);
        }
        List<EncodedRecord> records = m.records();
        if (m.chunk() == null) {
            // Unacknowledged mode: stored even while closing, as on a plain TCP connection; the client
            // never resends it.
            for (EncodedRecord r : records) {
                ctx.fireChannelRead(AppendRequest.of(r));
            }
            return;
        }
        CompletableFuture<?>[] receipts = new CompletableFuture<?>[records.size()];
        AppendRequest[] requests = new AppendRequest[records.size()];
        for (int i = 0; i < requests.length; i++) {
            if (ackLevel == Durability.DURABLE) {
                requests[i] = AppendRequest.withDurableReceipt(records.get(i));
                receipts[i] = requests[i].durable();
            } else {
                requests[i] = AppendRequest.withReceipt(records.get(i));
                receipts[i] = requests[i].written().toCompletableFuture();
            }
        }
        if (!m.last()) {
            acks.addPart(receipts); // the last part's acknowledgement fails if this part does
        } else {
            byte[] ack = ackFor(m.chunk());
            acks.add((c, out, failure) -> {
                if (failure == null) {
                    out.writeBytes(ack);
                } else {
                    LOG.warn("records of a Fluent message from {} could not be stored ({}); not acknowledging it,"
                            + " closing the connection so that the client resends", c.channel().remoteAddress(),
                            failure.toString());
                    closeGracefully(c);
                }
            }, receipts);
        }
        for (AppendRequest r : requests) {
            ctx.fireChannelRead(r); // on to the BackpressureHandler
        }
    }

    /** {@code {"ack": chunk}} with the chunk exactly as it came (str or bin, same bytes). */
    static byte[] ackFor(ImmutableValue chunk) {
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packMapHeader(1);
            p.packString("ack");
            p.packValue(chunk);
            p.flush();
            return p.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // an in-memory packer does not fail
        }
    }

    private void closeGracefully(ChannelHandlerContext ctx) {
        if (closing) {
            return;
        }
        closing = true;
        ctx.channel().config().setAutoRead(false);
        backpressure.holdReads(true);
        acks.whenEmpty(() -> {
            if (ctx.channel().isActive()) {
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        acks.discard();
        ctx.fireChannelInactive();
    }
}
