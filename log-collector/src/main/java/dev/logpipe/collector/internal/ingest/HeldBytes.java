package dev.logpipe.collector.internal.ingest;

import io.netty.channel.ChannelHandlerContext;

/**
 * Told, after each decoding pass, how many bytes a connection's decoder holds for unfinished input
 * (the buffer of a message whose end has not arrived), so that memory held across connections can be
 * bounded. Called on the connection's event loop; must not read from or decode on the channel.
 */
@FunctionalInterface
public interface HeldBytes {

    /** Nothing to tell. */
    HeldBytes NONE = (ctx, bytes) -> { };

    void held(ChannelHandlerContext ctx, long bytes);

    /**
     * Whether holding {@code bytes} would be granted now (no effect): a decoder asks before it sizes a
     * buffer for a whole message it knows the length of, rather than growing it as reads come.
     */
    default boolean wouldHold(ChannelHandlerContext ctx, long bytes) {
        return true;
    }
}
