package dev.logpipe.collector;

import java.util.Locale;

/**
 * Why a frame (or a receiver's record) was rejected: the key of {@link PipelineStats#rejected()}.
 * A rejected frame is then stored raw (flagged {@code MALFORMED}, with its {@link #label()} in the
 * field {@code logpipe.error}) or dropped, by the listener's malformed policy.
 *
 * <p>{@link #label()} is the stable lowercase name that metrics ({@code reason="invalid_json"}),
 * {@code /stats} and stored records use; it never changes for an existing reason.
 *
 * <p>Threading: immutable, thread-safe.
 */
public enum RejectReason {
    /** A JSON frame that is not valid JSON. */
    INVALID_JSON,
    /** Valid JSON that is not an object, e.g. {@code [1,2]}. */
    NOT_AN_OBJECT,
    /** Bytes that are not valid UTF-8 (the record is still stored, with U+FFFD). */
    INVALID_UTF8,
    /** A syslog frame whose PRI or RFC 5424 header cannot be parsed. */
    BAD_SYSLOG_HEADER,
    /** An RFC 6587 octet count that is not a count, is absurd, exceeds the limit, or lied. */
    BAD_OCTET_COUNT,
    /**
     * A frame cut short by the end of the connection: an octet-counted body the client's EOF cut
     * short (stored raw or dropped by policy), or any unterminated frame left when the server closed
     * the connection or it was reset (dropped: not a frame the client finished sending). Also, once per
     * connection, complete frames a closed connection still held undecoded behind a full journal channel
     * (dropped, as bytes never read: decoding them all at once ran the heap out).
     */
    INCOMPLETE_FRAME,
    /** A frame over the limit under {@code OversizePolicy.CLOSE}. */
    OVERSIZE,
    /** A frame with NUL bytes or mostly non-printable bytes. */
    BINARY_GARBAGE,
    /** A decoder bug caught at the frame boundary (should never be seen). */
    DECODER_ERROR,
    /** A Fluent Forward entry that is not a {@code [time, record]} pair with a map record. */
    FLUENT_BAD_ENTRY,
    /** An OTLP log record whose trace id is not 16 bytes. */
    OTLP_BAD_TRACE_ID,
    /** An OTLP log record whose span id is not 8 bytes. */
    OTLP_BAD_SPAN_ID,
    /**
     * A JSON line or RFC 5424 structured data with more fields than a record is built with
     * ({@code FrameProcessor.MAX_FIELDS}, 4,096) on the general parser's way: stored as its text.
     * A 1 MiB line of 95,000 one-digit members would take ~20 MB of heap as a record being built,
     * on the event loop, per connection.
     */
    TOO_MANY_FIELDS;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** The stable lowercase name used in metrics, {@code /stats} and {@code logpipe.error}: {@code invalid_json}, ... */
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return label;
    }
}
