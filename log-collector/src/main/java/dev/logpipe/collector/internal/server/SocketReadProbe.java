package dev.logpipe.collector.internal.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * The first handler of a connection: notes, for the shutdown drain's quiet check, when bytes last
 * came off the socket and whether that read may have left more in the socket.
 *
 * <p>Why first (before TLS): only the transport's own buffers say whether a read filled the buffer
 * it was given. A read that filled its buffer may have left bytes in the socket; one that did not
 * emptied it. On a busy event loop a connection can go far longer than the quiet period between two
 * reads while its client floods (the loop is decoding other connections' reads, or the process
 * waits for a CPU), so "no bytes for a while" alone does not mean the client is quiet.
 *
 * <p>Threading: confined to the connection's event loop; one instance per connection.
 */
final class SocketReadProbe extends ChannelInboundHandlerAdapter {

    private final BackpressureHandler backpressure;

    SocketReadProbe(BackpressureHandler backpressure) {
        this.backpressure = backpressure;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        backpressure.lastReadNanos = System.nanoTime();
        if (msg instanceof ByteBuf buf) {
            // The transport reads at most the buffer's writable bytes: a full buffer may have left more.
            backpressure.socketMayHoldMore = !buf.isWritable();
        }
        ctx.fireChannelRead(msg);
    }
}
