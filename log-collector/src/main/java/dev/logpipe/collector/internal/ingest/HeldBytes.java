package dev.logpipe.collector.internal.ingest;

import io.netty.channel.ChannelHandlerContext;
import io.netty.util.AttributeKey;

/**
 * Told, after each decoding pass, how many bytes a connection's decoder holds for unfinished input
 * (the buffer of a message whose end has not arrived), so that memory held across connections can be
 * bounded. Called on the connection's event loop; must not read from or decode on the channel. The
 * line and RELP decoders find a connection's instance in its channel attribute {@link #KEY} (the line
 * decoder is created later, by the format sniffer); the Fluent decoder is given one.
 */
@FunctionalInterface
public interface HeldBytes {

    /** The channel attribute holding a connection's instance. */
    AttributeKey<HeldBytes> KEY = AttributeKey.valueOf("logpipe.heldBytes");

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

    /**
     * Whether every record the connection's decoder has fired is in the channel now. If not, answers
     * false and runs {@code resume} on the event loop once they are (or once the connection's records
     * are lost with the journal): a decoder firing one large message in parts asks before each next
     * part, so that the connection holds one part's records at a time. Without a channel behind (tests):
     * always true.
     */
    default boolean drainedOrLater(ChannelHandlerContext ctx, Runnable resume) {
        return true;
    }

    /**
     * Whether every record the connection's decoder has fired is in the channel now (no callback). A
     * decoder whose connection closed fires what it still holds only while this is true: closing
     * hundreds of flooding connections at once (a shutdown's grace deadline) made each decode a whole
     * read of tiny lines at once, and ran the heap out.
     */
    default boolean drained(ChannelHandlerContext ctx) {
        return true;
    }
}
