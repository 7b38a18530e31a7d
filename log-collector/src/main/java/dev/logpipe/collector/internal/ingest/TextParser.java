package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.RejectReason;

import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;

/**
 * The plain-text format: the line is the message, nothing else is set.
 *
 * <p>Threading: stateless, thread-safe.
 */
final class TextParser implements FrameParser {

    @Override
    public RejectReason parse(FrameText frame, LogRecord.Builder b, long receiveTimeNanos) {
        b.message(frame.text());
        return null;
    }

    @Override
    public SourceFormat formatOf(FrameText frame) {
        return SourceFormat.TEXT;
    }
}
