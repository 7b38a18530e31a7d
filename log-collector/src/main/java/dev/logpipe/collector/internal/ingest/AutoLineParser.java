package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.RejectReason;

import dev.logpipe.filesink.EncodedRecord;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;

/**
 * {@code --format auto} on a newline-framed connection: each frame is parsed in the format its own
 * first bytes say, after leading spaces and tabs: {@code {} is JSON, {@code <} 1-3 digits {@code >}
 * is syslog, anything else is plain text. So a client that mixes JSON and syslog lines on one
 * connection gets each stored as what it is.
 *
 * <p>Threading: confined to the connection's event loop, like the parsers it delegates to.
 */
final class AutoLineParser implements FrameParser {

    private final FrameParser json;
    private final FrameParser syslog;
    private final FrameParser text;

    AutoLineParser(FrameParser json, FrameParser syslog, FrameParser text) {
        this.json = json;
        this.syslog = syslog;
        this.text = text;
    }

    @Override
    public RejectReason parse(FrameText frame, LogRecord.Builder b, long receiveTimeNanos) {
        return of(frame).parse(frame, b, receiveTimeNanos);
    }

    @Override
    public EncodedRecord encode(FrameText frame, long receiveTimeNanos, String source, int flagBits,
                                EncodedRecord.Encoder out) {
        return of(frame).encode(frame, receiveTimeNanos, source, flagBits, out);
    }

    @Override
    public SourceFormat formatOf(FrameText frame) {
        return of(frame).formatOf(frame);
    }

    private FrameParser of(FrameText frame) {
        byte[] b = frame.bytes;
        int n = frame.length;
        int i = 0;
        while (i < n && (b[i] == ' ' || b[i] == '\t')) {
            i++;
        }
        if (i == n) {
            return text;
        }
        if (b[i] == '{') {
            return json;
        }
        if (b[i] == '<') {
            int digits = 0;
            int j = i + 1;
            while (j < n && digits < 3 && b[j] >= '0' && b[j] <= '9') {
                digits++;
                j++;
            }
            if (digits > 0 && j < n && b[j] == '>') {
                return syslog;
            }
        }
        return text;
    }
}
