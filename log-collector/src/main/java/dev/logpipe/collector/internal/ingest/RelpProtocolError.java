package dev.logpipe.collector.internal.ingest;

/**
 * Fired by {@link RelpFrameDecoder} instead of a frame when the stream cannot be framed any more (a
 * bad header, a length that lied, an oversize frame). The decoder reads nothing more; the session
 * handler answers what came before and closes the connection, as the RELP specification asks.
 *
 * <p>Threading: immutable.
 *
 * @param reason snake_case, e.g. {@code relp_bad_frame}
 * @param detail what was wrong, for the log
 */
public record RelpProtocolError(String reason, String detail) {

    /** A header that is not {@code TXNR SP COMMAND SP DATALEN}. */
    public static final String BAD_HEADER = "relp_bad_header";
    /** A frame whose DATALEN bytes are not followed by LF: the length lied. */
    public static final String BAD_LENGTH = "relp_bad_length";
    /** A DATALEN over the listener's maximum frame size. */
    public static final String OVERSIZE = "relp_oversize";
}
