package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.RejectReason;

import dev.logpipe.filesink.EncodedRecord;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;

/**
 * Turns one frame's text into the fields of a record, for one wire format.
 *
 * <p>Threading: confined to one connection's event loop (an instance may keep per-connection state).
 */
interface FrameParser {

    /**
     * Fills {@code b} (which already holds receive time, source, format and flags) from the frame.
     *
     * @param receiveTimeNanos when the frame was received; the reference "now" for guessing a
     *     missing year
     * @return null when the frame parsed, else the reason it is malformed (an
     *     {@link RejectReason}); on a reason, {@code b} is discarded
     */
    RejectReason parse(FrameText frame, LogRecord.Builder b, long receiveTimeNanos);

    /**
     * The frame straight in the journal's record layout, when this parser reads its shape so (no
     * builder, no String per field): the record {@link #parse} would make, byte for byte. Null
     * otherwise, and the caller uses {@link #parse}. Called only for a valid UTF-8 frame that is not
     * binary garbage and that the framer did not refuse.
     *
     * @param flagBits the record's flags (e.g. truncated)
     * @param out the connection's encoder
     */
    default EncodedRecord encode(FrameText frame, long receiveTimeNanos, String source, int flagBits,
                                 EncodedRecord.Encoder out) {
        return null;
    }

    /** The format a record from this frame has: set on {@code b} before {@link #parse}, and on a raw record. */
    SourceFormat formatOf(FrameText frame);
}
