package dev.logpipe.collector.internal.ingest;

import dev.logpipe.filesink.SourceFormat;

/**
 * Receives the decoders' counts: frames decoded, rejected by reason, truncated. The server wires it
 * to its metrics.
 *
 * <p>Threading: implementations must be thread-safe: every connection's event loop calls them, and
 * they must be cheap and never block (an event loop runs them).
 *
 * <p>Per frame the calls are:
 * <ul>
 *   <li>a frame that became a record (parsed, or stored raw under {@code STORE_RAW}):
 *       {@link #frameDecoded} once, after any {@link #frameRejected} / {@link #frameTruncated} for it;</li>
 *   <li>a frame that cannot be parsed: {@link #frameRejected} with its reason, whether it is then
 *       stored raw or dropped;</li>
 *   <li>a frame with invalid UTF-8: {@link #frameRejected}{@code ("invalid_utf8")}, and the record is
 *       still stored (flagged {@code INVALID_UTF8}) whatever the malformed policy, so
 *       {@link #frameDecoded} follows; if the frame is also malformed for another reason, that reason
 *       is reported too (binary garbage, which is mostly invalid bytes, reports only
 *       {@code binary_garbage});</li>
 *   <li>a frame cut at the limit ({@code TRUNCATE}): {@link #frameTruncated}; a frame over the limit
 *       under {@code CLOSE}: {@link #frameRejected}{@code ("oversize")} and the connection closes.</li>
 * </ul>
 * Empty lines (nothing but spaces, tabs and {@code \r}) are framing noise: skipped, not reported.
 */
public interface IngestObserver {

    /** Reason: a JSON frame that is not valid JSON. */
    String INVALID_JSON = "invalid_json";
    /** Reason: valid JSON that is not an object, e.g. {@code [1,2]}. */
    String NOT_AN_OBJECT = "not_an_object";
    /** Reason: bytes that are not valid UTF-8 (the record is still stored, with U+FFFD). */
    String INVALID_UTF8 = "invalid_utf8";
    /** Reason: a syslog frame whose PRI or RFC 5424 header cannot be parsed. */
    String BAD_SYSLOG_HEADER = "bad_syslog_header";
    /** Reason: an RFC 6587 octet count that is not a count, is absurd, exceeds the limit, or lied. */
    String BAD_OCTET_COUNT = "bad_octet_count";
    /**
     * Reason: a frame cut short by the end of the connection: an octet-counted body the client's EOF
     * cut short (stored raw or dropped by policy), or any unterminated frame left when the server
     * closed the connection or it was reset (dropped: not a frame the client finished sending).
     */
    String INCOMPLETE_FRAME = "incomplete_frame";
    /** Reason: a frame over the limit under {@code OversizePolicy.CLOSE}. */
    String OVERSIZE = "oversize";
    /** Reason: a frame with NUL bytes or mostly non-printable bytes. */
    String BINARY_GARBAGE = "binary_garbage";
    /** Reason: a decoder bug caught at the frame boundary (should never be seen). */
    String DECODER_ERROR = "decoder_error";

    /** An observer that ignores everything. */
    IngestObserver NOOP = new IngestObserver() {
        @Override
        public void frameDecoded(SourceFormat format, int frameBytes) {
        }

        @Override
        public void frameRejected(String reason) {
        }

        @Override
        public void frameTruncated(SourceFormat format) {
        }
    };

    /**
     * A frame became a record and was fired down the pipeline.
     *
     * @param format the record's format
     * @param frameBytes the frame's length on the wire, without delimiter or octet-count header (for
     *     a truncated frame, the bytes kept)
     */
    void frameDecoded(SourceFormat format, int frameBytes);

    /**
     * A frame was bad for {@code reason} (snake_case, one of the constants of this interface); it is
     * then stored raw or dropped by the listener's malformed policy.
     */
    void frameRejected(String reason);

    /** A frame was longer than the limit and was cut ({@code OversizePolicy.TRUNCATE}). */
    void frameTruncated(SourceFormat format);
}
