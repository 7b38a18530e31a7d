package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.RejectReason;
import dev.logpipe.filesink.SourceFormat;

/**
 * Receives the decoders' counts: frames decoded, rejected by reason, truncated. The pipeline's
 * {@code PipelineCounters} keeps them; {@code PipelineStats} snapshots read them, and the metrics read
 * those.
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
 *   <li>a frame with invalid UTF-8: {@link #frameRejected}{@code (INVALID_UTF8)}, and the record is
 *       still stored (flagged {@code INVALID_UTF8}) whatever the malformed policy, so
 *       {@link #frameDecoded} follows; if the frame is also malformed for another reason, that reason
 *       is reported too (binary garbage, which is mostly invalid bytes, reports only
 *       {@code BINARY_GARBAGE});</li>
 *   <li>a frame cut at the limit ({@code TRUNCATE}): {@link #frameTruncated}; a frame over the limit
 *       under {@code CLOSE}: {@link #frameRejected}{@code (OVERSIZE)} and the connection closes.</li>
 * </ul>
 * Empty lines (nothing but spaces, tabs and {@code \r}) are framing noise: skipped, not reported.
 */
public interface IngestObserver {

    /** An observer that ignores everything. */
    IngestObserver NOOP = new IngestObserver() {
        @Override
        public void frameDecoded(SourceFormat format, int frameBytes) {
        }

        @Override
        public void frameRejected(RejectReason reason) {
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
     * A frame was bad for {@code reason}; it is
     * then stored raw or dropped by the listener's malformed policy.
     */
    void frameRejected(RejectReason reason);

    /** A frame was longer than the limit and was cut ({@code OversizePolicy.TRUNCATE}). */
    void frameTruncated(SourceFormat format);
}
