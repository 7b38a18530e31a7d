package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.RejectReason;

import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.filesink.EncodedRecord;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import io.netty.buffer.ByteBuf;
import java.util.function.LongSupplier;

/**
 * Turns one frame (a range of the connection's cumulation buffer) into a record, or into nothing:
 * skips empty frames, detects invalid UTF-8 and binary garbage, runs the format's parser, applies the
 * malformed policy, and reports every outcome to the {@link IngestObserver}.
 *
 * <p>Threading: confined to one connection's event loop.
 *
 * <p>Ownership: reads the frame's bytes into its own scratch array and never keeps or releases the
 * {@code ByteBuf}; the caller owns it.
 */
final class FrameProcessor {

    /**
     * The most fields a record is built with on the general parsers' way (JSON lines the direct way
     * cannot take, RFC 5424 structured data): a frame with more is stored as its text, flagged,
     * {@link RejectReason#TOO_MANY_FIELDS}. The direct way's records are bytes, bounded by the max frame.
     */
    public static final int MAX_FIELDS = 4096;

    /** The field a raw (malformed) record carries its reason in. */
    static final String ERROR_FIELD = "logpipe.error";

    private final FrameParser parser;
    private final MalformedPolicy malformedPolicy;
    private final IngestObserver observer;
    private final LongSupplier clock;
    /** Frames longer than this get a one-off array, so an idle connection does not pin a big one. */
    private static final int MAX_KEPT_SCRATCH = 64 * 1024;
    /** {@link #passNanos} outside a decoding pass. */
    private static final long NO_PASS = Long.MIN_VALUE;

    /** The clock's reading for the decoding pass in progress ({@link #beginPass}), else {@link #NO_PASS}. */
    private long passNanos = NO_PASS;

    private String source = "";
    private byte[] scratch = new byte[256];
    /** For {@link #processDirect}; made on first use. */
    private EncodedRecord.Encoder encoder;

    FrameProcessor(FrameParser parser, MalformedPolicy malformedPolicy, IngestObserver observer,
                   LongSupplier clock) {
        this.parser = parser;
        this.malformedPolicy = malformedPolicy;
        this.observer = observer;
        this.clock = clock;
    }

    void source(String source) {
        this.source = source;
    }

    /**
     * Starts a decoding pass: every frame decoded until {@link #endPass} gets this one reading of the
     * clock as its received time. A pass decodes what one socket read (or one release of held-back
     * input) made complete, so its frames arrived within microseconds of each other; one reading
     * instead of one per frame saves the clock call, about 8 % of an event loop's work under bulk NDJSON.
     */
    void beginPass() {
        passNanos = clock.getAsLong();
    }

    /** Ends the pass: frames decoded outside one read the clock each. */
    void endPass() {
        passNanos = NO_PASS;
    }

    /**
     * Decodes {@code buf[index, index + length)}.
     *
     * @param truncated whether the frame was cut at the limit
     * @param forcedReason non-null when the framer already knows the frame is bad (e.g. a lying
     *     octet count): the frame is not parsed but treated as malformed for that reason
     * @return the record to fire, or null (empty frame, or dropped by policy)
     */
    LogRecord process(ByteBuf buf, int index, int length, boolean truncated, RejectReason forcedReason) {
        return (LogRecord) decode(buf, index, length, truncated, forcedReason, false);
    }

    /**
     * As {@link #process}, but a frame the parser reads straight into the journal's layout (see
     * {@link FrameParser#encode}) comes back as an {@link EncodedRecord}; any other as a {@link LogRecord}.
     */
    Object processDirect(ByteBuf buf, int index, int length, boolean truncated, RejectReason forcedReason) {
        return decode(buf, index, length, truncated, forcedReason, true);
    }

    private Object decode(ByteBuf buf, int index, int length, boolean truncated, RejectReason forcedReason,
                          boolean direct) {
        byte[] bytes = scratch;
        if (bytes.length < length) {
            bytes = new byte[length];
            if (length <= MAX_KEPT_SCRATCH) {
                scratch = bytes; // keep a mid-size array; a huge one only lives for its frame
            }
        }
        buf.getBytes(index, bytes, 0, length);
        if (isBlank(bytes, length)) {
            return null; // empty lines are framing noise: skipped, not counted
        }
        long now = passNanos != NO_PASS ? passNanos : clock.getAsLong();
        FrameText frame = FrameText.scan(bytes, length);
        RejectReason reason = forcedReason;
        if (reason == null && frame.garbage) {
            reason = RejectReason.BINARY_GARBAGE;
        }
        if (!frame.validUtf8 && !frame.garbage) {
            observer.frameRejected(RejectReason.INVALID_UTF8); // still stored, flagged
        }
        if (direct && forcedReason == null && frame.validUtf8 && !frame.garbage) {
            EncodedRecord encoded = encodeDirect(frame, now, truncated);
            if (encoded != null) {
                if (truncated) {
                    observer.frameTruncated(encoded.format());
                }
                observer.frameDecoded(encoded.format(), length);
                return encoded;
            }
        }
        SourceFormat format = parser.formatOf(frame);
        LogRecord.Builder b = null;
        if (reason == null) {
            b = newBuilder(now, format, frame, truncated);
            try {
                reason = parser.parse(frame, b, now);
            } catch (RuntimeException e) {
                // A parser bug must not reach exceptionCaught or lose the frame: keep it raw.
                reason = RejectReason.DECODER_ERROR;
            }
        }
        if (reason != null) {
            observer.frameRejected(reason);
            if (truncated) {
                observer.frameTruncated(format);
            }
            if (malformedPolicy == MalformedPolicy.DROP) {
                return null;
            }
            b = newBuilder(now, format, frame, truncated)
                    .message(frame.text())
                    .flag(RecordFlag.MALFORMED)
                    .field(ERROR_FIELD, reason.label());
        } else if (truncated) {
            observer.frameTruncated(format);
        }
        LogRecord record = b.build();
        observer.frameDecoded(record.format(), length);
        return record;
    }

    private EncodedRecord encodeDirect(FrameText frame, long now, boolean truncated) {
        if (encoder == null) {
            encoder = new EncodedRecord.Encoder(false); // FrameText checked the frame's UTF-8 already
        }
        try {
            return parser.encode(frame, now, source, truncated ? RecordFlag.TRUNCATED.bit() : 0, encoder);
        } catch (RuntimeException e) {
            return null; // a bug on the direct way must not lose the frame: the builder's way decides
        }
    }

    private LogRecord.Builder newBuilder(long now, SourceFormat format, FrameText frame, boolean truncated) {
        LogRecord.Builder b = LogRecord.builder().receiveTimeNanos(now).source(source).format(format);
        if (truncated) {
            b.flag(RecordFlag.TRUNCATED);
        }
        if (!frame.validUtf8) {
            b.flag(RecordFlag.INVALID_UTF8);
        }
        return b;
    }

    private static boolean isBlank(byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            byte c = bytes[i];
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                return false;
            }
        }
        return true;
    }
}
