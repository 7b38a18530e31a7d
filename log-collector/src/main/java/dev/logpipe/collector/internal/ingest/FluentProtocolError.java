package dev.logpipe.collector.internal.ingest;

/**
 * Fired by {@link FluentForwardDecoder} instead of a message when the stream cannot be decoded any
 * more (not msgpack, not a Forward protocol message, over the size limit). The decoder reads nothing
 * more; the session handler acknowledges what came before and closes the connection.
 *
 * <p>Threading: immutable.
 *
 * @param reason snake_case, e.g. {@code fluent_bad_message}
 * @param detail what was wrong, for the log
 */
public record FluentProtocolError(String reason, String detail) {

    /** Bytes that are not msgpack, or a msgpack value that is not a Forward protocol message. */
    public static final String BAD_MESSAGE = "fluent_bad_message";
    /** A message (or its decompressed entries) over the size limit. */
    public static final String OVERSIZE = "fluent_oversize";
    /** A {@code compressed} option other than gzip, or gzip data that does not inflate. */
    public static final String BAD_COMPRESSION = "fluent_bad_compression";
}
