package dev.logpipe.collector.internal.server;

import dev.logpipe.collector.internal.ingest.HeldBytes;
import dev.logpipe.collector.internal.pipeline.PipelineCounters;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * Sits before the decoders: closes the connection on an idle event, unless the connection is silent only because it is
 * paused by backpressure. It also counts failed TLS handshakes.
 *
 * <p>Threading: confined to the connection's event loop; one instance per connection.
 */
final class ConnectionGuardHandler extends ChannelInboundHandlerAdapter {

    private final BackpressureHandler backpressure;
    private final PipelineCounters counters;

    ConnectionGuardHandler(BackpressureHandler backpressure, PipelineCounters counters) {
        this.backpressure = backpressure;
        this.counters = counters;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Ownership of msg (a ByteBuf) passes to the decoders.
        ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            // A paused connection reads nothing by our choice; that is not the client being idle.
            if (!backpressure.isWaitingForRoom()) {
                counters.idleClosedConnections.increment();
                if (ctx.channel().attr(HeldBytes.KEY).get() instanceof ConnectionMemory m && m.holdsInput()) {
                    // part of a frame is dropped (counted incomplete_frame): reset, so that the client sees an
                    // error rather than a clean end after which it could think everything was read
                    ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
                }
                ctx.close();
            }
            return;
        }
        if (evt instanceof SslHandshakeCompletionEvent done && !done.isSuccess()) {
            // Counted here, once per connection; the handler at the end only logs the exception.
            counters.tlsFailures.increment();
            // The SslHandler closes the connection next: make that close abortive (RST), so a
            // plain-TCP client learns that nothing it sent was read instead of seeing a clean end.
            ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
        }
        ctx.fireUserEventTriggered(evt);
    }
}
