package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.RejectReason;

import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.filesink.EncodedRecord;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.zip.GZIPInputStream;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ExtensionValue;
import org.msgpack.value.ImmutableValue;
import org.msgpack.value.Value;
import org.msgpack.value.ValueType;

/**
 * Decodes the Fluent Forward protocol v1 (fluentd's "Forward Protocol Specification v1"): a TCP
 * stream of msgpack arrays, each one event stream in one of four modes: Message
 * {@code [tag, time, record, option?]}, Forward {@code [tag, [[time, record], ...], option?]},
 * PackedForward {@code [tag, bin-or-str of concatenated [time, record], option?]} and
 * CompressedPackedForward (the same with {@code option.compressed = "gzip"}; the payload may hold
 * several gzip members). Time is an integer (seconds), a float, or the EventTime extension (type 0:
 * big-endian 32-bit seconds and nanoseconds). Fires each message as {@link FluentMessage}s: one for a
 * small message, parts of at most {@value #PART_RECORDS} records or {@value #PART_BYTES} bytes of their
 * heap for a large one. The next part of a message is fired once the records of the one before are all
 * in the channel ({@link HeldBytes#drainedOrLater}), so that a connection holds one part's records, not a
 * whole message's: a 16 MiB message of tiny events maps to over a million records, several hundred MiB of
 * heap at once. Everything that can refuse a message whole (its option, its compression, an inner
 * stream that is not msgpack) is checked before its first part.
 *
 * <p>Mapping of each event: format {@link SourceFormat#FLUENT}; the event time is the entry's time;
 * the service is the tag unless the record has {@code service}/{@code app}; {@code level}/{@code
 * severity}, {@code host}/{@code hostname} and {@code msg}/{@code message} map as in NDJSON, and
 * {@code log} (Docker's fluentd driver) is the message when there is no {@code msg}/{@code message};
 * every other key is a field (strings as strings, anything else as its JSON). An entry that is not
 * {@code [time, map]} is malformed: stored raw (its JSON, flagged) or dropped by the malformed policy.
 *
 * <p>Framing: the end of each msgpack value is found by an incremental scanner that keeps its state
 * across reads, so a large message arriving in many reads is scanned once. Bytes that are not
 * msgpack, a value that is not a protocol message, nesting deeper than {@value #MAX_DEPTH}, or a
 * message (or inflated payload) over the size limit end decoding with one {@link FluentProtocolError}.
 * HELO/PING/PONG (shared-key authentication) is not supported: a PING is a bad message.
 *
 * <p>Flow control as {@link RelpFrameDecoder}. Threading: confined to the channel's event loop; one
 * instance per connection. Ownership: inbound buffers go to the cumulator; the cumulation is released
 * when fully read, at the end of input and on removal; only immutable messages are fired.
 */
public final class FluentForwardDecoder extends ChannelDuplexHandler {

    /** Deepest nesting of arrays and maps accepted in one message. */
    static final int MAX_DEPTH = 64;
    /** The smallest message size limit, whatever the listener's max frame: Fluent Bit sends chunks of megabytes. */
    public static final int MIN_MESSAGE_BYTES = 16 << 20;
    /** A payload longer than this, once its header is read, sizes the buffer for its message at once. */
    static final int PRESIZE_FROM = 64 * 1024;
    /** Room for what follows a PackedForward payload (the option, e.g. {@code {"size":n,"chunk":"<uuid>"}}). */
    static final int OPTION_ROOM = 128;
    /** The most records one part of a message holds. */
    public static final int PART_RECORDS = 4096;
    /** The most heap (the records' estimate) one part of a message holds; the part that crosses it ends there. */
    static final long PART_BYTES = 256 * 1024;
    /** An entry the fast way cannot take with more keys than this is stored raw, not mapped through msgpack values. */
    static final int SLOW_MAX_KEYS = 4096;
    /** The error reason of a malformed entry. */
    static final RejectReason BAD_ENTRY = RejectReason.FLUENT_BAD_ENTRY;

    private final int maxMessageBytes;
    /** The largest entry mapped (the listener's max frame: one record); a larger one is stored cut. */
    private final int maxEntryBytes;
    private final MalformedPolicy malformed;
    private final IngestObserver observer;
    private final LongSupplier clock;
    private final HeldBytes heldBytes;
    private String source = "";
    private ByteBuf cumulation;
    private boolean failed;
    private boolean inputEnded;
    private boolean heldForBackpressure;
    private boolean firedInPass;
    /** The message whose records are being fired in parts, or null. */
    private Events events;
    /** A next part waits for the records of the one before to be in the channel. */
    private boolean waitingForPart;
    /** The channel closed: what is left is fired while the channel has room, then dropped (see IngestFrameDecoder). */
    private boolean closed;

    // scanner state, relative to the cumulation's reader index
    private int scanPos;
    private long skipBytes;
    private int depth;
    private final long[] remaining = new long[MAX_DEPTH];
    /** {@link #toRecord} met a string that is not well-formed UTF-8. */
    private boolean invalidText;
    /** Maps the entries of the common shape straight to encoded records. */
    private final FluentEntryEncoder entries = new FluentEntryEncoder();

    private FluentForwardDecoder(int maxMessageBytes, int maxEntryBytes, MalformedPolicy malformed,
                                 IngestObserver observer, LongSupplier clock, HeldBytes heldBytes) {
        this.maxMessageBytes = maxMessageBytes;
        this.maxEntryBytes = maxEntryBytes;
        this.malformed = malformed;
        this.observer = observer;
        this.clock = clock;
        this.heldBytes = heldBytes;
    }

    /**
     * A decoder with the listener's malformed policy; messages up to max(max frame, 16 MiB). After each
     * pass it tells {@code heldBytes} how many bytes of an unfinished message it holds.
     */
    public static FluentForwardDecoder create(IngestDecoderConfig cfg, IngestObserver observer, HeldBytes heldBytes) {
        return create(cfg, observer, LogRecord::nowNanos, heldBytes);
    }

    /** A decoder that tells nobody what it holds (tests). */
    public static FluentForwardDecoder create(IngestDecoderConfig cfg, IngestObserver observer) {
        return create(cfg, observer, HeldBytes.NONE);
    }

    static FluentForwardDecoder create(IngestDecoderConfig cfg, IngestObserver observer, LongSupplier clockNanos) {
        return create(cfg, observer, clockNanos, HeldBytes.NONE);
    }

    static FluentForwardDecoder create(IngestDecoderConfig cfg, IngestObserver observer, LongSupplier clockNanos,
                                       HeldBytes heldBytes) {
        return new FluentForwardDecoder(Math.max(cfg.maxFrameBytes(), MIN_MESSAGE_BYTES), cfg.maxFrameBytes(),
                cfg.malformed(), observer, clockNanos, heldBytes);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        source = IngestFrameDecoder.sourceOf(ctx.channel().remoteAddress());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        source = IngestFrameDecoder.sourceOf(ctx.channel().remoteAddress());
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (failed || inputEnded) {
            in.release(); // we own it and nobody will read it
            return;
        }
        // Ownership of `in` passes to the cumulator: it releases it or returns it as the cumulation.
        cumulation = ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(),
                cumulation == null ? Unpooled.EMPTY_BUFFER : cumulation, in);
        decode(ctx, false);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (heldForBackpressure && cumulation != null && !failed) {
            decode(ctx, false);
            if (firedInPass && !ctx.channel().config().isAutoRead()) {
                return;
            }
        }
        ctx.read();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            // Forwarded at once, also while a message's parts wait: the BackpressureHandler then holds the
            // records before them, and closes the connection only once it holds none and the parts are done.
            endOfInput(ctx, false);
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        endOfInput(ctx, true);
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseCumulation(ctx);
    }

    /**
     * The client ended its stream ({@code closed} false: the connection stays open until what it sent is
     * in the channel) or the connection closed: decode what is complete; an unfinished tail is counted.
     */
    private void endOfInput(ChannelHandlerContext ctx, boolean closed) {
        boolean first = !inputEnded;
        inputEnded = true;
        if (closed && !this.closed) {
            this.closed = true;
            waitingForPart = false;
            first = true; // a message still in parts: the rest now
        }
        if (first) {
            decode(ctx, true);
            finishInputIfDone(ctx);
        }
    }

    /** After the end of input, once no message waits in parts: counts an unfinished tail and lets go of it. */
    private void finishInputIfDone(ChannelHandlerContext ctx) {
        if (events == null || failed) {
            if (cumulation != null && cumulation.isReadable() && !failed) {
                observer.frameRejected(RejectReason.INCOMPLETE_FRAME);
            }
            releaseCumulation(ctx);
        }
    }

    private void releaseCumulation(ChannelHandlerContext ctx) {
        events = null; // its bytes are the cumulation's
        waitingForPart = false;
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
            heldBytes.held(ctx, 0);
        }
    }

    /** The records of the last part are all in the channel: fire the next ones (event loop). */
    private void resumeParts(ChannelHandlerContext ctx) {
        if (!waitingForPart) {
            return;
        }
        waitingForPart = false;
        if (events == null || cumulation == null || failed || ctx.isRemoved()) {
            return;
        }
        decode(ctx, inputEnded);
        if (inputEnded) {
            finishInputIfDone(ctx);
        }
    }

    private void decode(ChannelHandlerContext ctx, boolean atEnd) {
        firedInPass = false;
        heldForBackpressure = false;
        try {
            while (cumulation != null && !failed && !ctx.isRemoved() && cumulation.isReadable()) {
                if (events != null) {
                    // a message in parts: the next once the last one's records are all in the channel
                    if (!closed && (waitingForPart
                            || firedInPass && !heldBytes.drainedOrLater(ctx, () -> resumeParts(ctx)))) {
                        waitingForPart = true;
                        break;
                    }
                }
                if (closed && firedInPass && !heldBytes.drained(ctx)) {
                    // closed with the channel full: the rest is not decoded (an acknowledged message is
                    // resent; see IngestFrameDecoder)
                    IngestFrameDecoder.notDecodedAtClose(ctx, cumulation.readableBytes(), observer);
                    events = null;
                    cumulation.skipBytes(cumulation.readableBytes());
                    complete(); // the scanner starts over (on nothing: the input has ended)
                    break;
                }
                if (events == null && !atEnd && firedInPass && !ctx.channel().config().isAutoRead()) {
                    heldForBackpressure = true;
                    break;
                }
                if (!decodeOne(ctx)) {
                    break;
                }
            }
        } catch (RuntimeException e) {
            fail(ctx, RejectReason.DECODER_ERROR.label(), "decoder error: " + e);
        } finally {
            if (cumulation != null) {
                // an unfinished message keeps a buffer of its size, not the read's (see Cumulation); the
                // scanner's offsets are relative to the reader index, which the move keeps
                // inside a large bin/str payload the message's length is known to this much: one buffer
                // of that size, if the listener's memory for unfinished messages has room for it now
                long expected = scanPos + skipBytes + OPTION_ROOM;
                boolean presize = skipBytes > PRESIZE_FROM && expected <= maxMessageBytes
                        && heldBytes.wouldHold(ctx, expected);
                cumulation = presize
                        ? Cumulation.afterPass(ctx.alloc(), cumulation, (int) expected)
                        : Cumulation.afterPass(ctx.alloc(), cumulation);
            }
            long inflated = events != null && events.inflated != null ? events.inflated.length : 0;
            heldBytes.held(ctx, cumulation == null || failed ? 0 : cumulation.capacity() + inflated); // what it takes
        }
    }

    private boolean decodeOne(ChannelHandlerContext ctx) {
        if (events != null) {
            return firePart(ctx);
        }
        int len = scan();
        if (len == -2) {
            return fail(ctx, pendingReason, pendingFailure);
        }
        if (len < 0) {
            if (cumulation.readableBytes() > maxMessageBytes) {
                return fail(ctx, FluentProtocolError.OVERSIZE, "a message longer than " + maxMessageBytes + " bytes");
            }
            return false; // need more bytes
        }
        if (len > maxMessageBytes) {
            return fail(ctx, FluentProtocolError.OVERSIZE, "a message of " + len + " bytes, over " + maxMessageBytes);
        }
        ByteBuffer bytes = cumulation.nioBuffer(cumulation.readerIndex(), len);
        try {
            events = begin(bytes, len);
        } catch (BadMessage e) {
            return fail(ctx, e.reason, e.getMessage());
        } catch (IOException | RuntimeException e) {
            return fail(ctx, FluentProtocolError.BAD_MESSAGE, "not a Forward protocol message: " + e);
        }
        return firePart(ctx);
    }

    /**
     * Maps and fires the next part of {@link #events}; the last one lets go of the message's bytes. The
     * entries are read from the cumulation at an offset from its reader index (which the cumulation's
     * moves and growth keep), or from the inflated payload.
     */
    private boolean firePart(ChannelHandlerContext ctx) {
        Events e = events;
        List<EncodedRecord> part = new ArrayList<>();
        try {
            if (e.remaining > 0) {
                ByteBuffer src = e.inflated != null ? ByteBuffer.wrap(e.inflated, e.pos, e.end - e.pos)
                        : cumulation.nioBuffer(cumulation.readerIndex() + e.pos, e.end - e.pos);
                int base = src.position();
                long weight = 0;
                try (MessageUnpacker u = MessagePack.newDefaultUnpacker(src.duplicate())) {
                    while (e.remaining > 0 && part.size() < PART_RECORDS && weight < PART_BYTES) {
                        e.remaining--;
                        int from = base + (int) u.getTotalReadBytes();
                        u.skipValue(); // the scanner has checked the message's msgpack
                        int len = base + (int) u.getTotalReadBytes() - from;
                        EncodedRecord r = mapEntry(e, src, from, len);
                        if (r != null) {
                            part.add(r);
                            weight += r.heapBytes();
                        }
                    }
                    e.pos += (int) u.getTotalReadBytes();
                }
            }
        } catch (IOException | RuntimeException ex) {
            // checked whole before the first part: only a bug of ours gets here
            return fail(ctx, FluentProtocolError.BAD_MESSAGE, "not a Forward protocol message: " + ex);
        }
        for (int i = 0; i < part.size(); i++) {
            observer.frameDecoded(SourceFormat.FLUENT, e.perRecord);
        }
        boolean last = e.remaining == 0;
        if (last) {
            cumulation.skipBytes(e.len);
            events = null;
        }
        firedInPass = true;
        ctx.fireChannelRead(new FluentMessage(e.tag, List.copyOf(part), e.chunk, last));
        return true;
    }

    /**
     * Maps the entry at {@code src[from, from + len)}; null when the policy drops it. Memory stays
     * within a few times {@link #maxEntryBytes} whatever the entry holds: a larger entry is not mapped
     * but stored cut (as a line over the max frame is), one the fast way cannot take is mapped through
     * msgpack values only while that stays small, and one msgpack cannot read is stored raw; none of
     * these refuses the rest of the message.
     */
    private EncodedRecord mapEntry(Events e, ByteBuffer src, int from, int len) throws IOException {
        if (len > maxEntryBytes) {
            return unmapped(e, src, from, len, RejectReason.OVERSIZE, RecordFlag.TRUNCATED);
        }
        EncodedRecord r = entries.encode(src, from, len, e.tagBytes, source, e.receiveTimeNanos,
                e.tagInvalid ? RecordFlag.INVALID_UTF8.bit() : 0);
        if (r != null) {
            if (r.heapBytes() <= 2L * maxEntryBytes) {
                if (e.tagInvalid) {
                    observer.frameRejected(RejectReason.INVALID_UTF8); // counted as the slow way counts it
                }
                return r;
            }
            return unmapped(e, src, from, len, RejectReason.OVERSIZE, RecordFlag.TRUNCATED); // many tiny fields
        }
        if (entries.lastKeys() > SLOW_MAX_KEYS) {
            // a value tree of a million keys would be tens of megabytes: stored raw instead
            return unmapped(e, src, from, len, BAD_ENTRY, RecordFlag.MALFORMED);
        }
        ByteBuffer entry = src.duplicate();
        entry.limit(from + len).position(from);
        Value v;
        try (MessageUnpacker one = MessagePack.newDefaultUnpacker(entry)) {
            v = one.unpackValue();
        } catch (RuntimeException ex) {
            // msgpack-java refuses some values the format allows (a timestamp extension of a bad length)
            return unmapped(e, src, from, len, BAD_ENTRY, RecordFlag.MALFORMED);
        }
        LogRecord slow = toRecord(e.tag, e.tagInvalid, v, e.receiveTimeNanos);
        return slow == null ? null : entries.encode(slow);
    }

    /**
     * The entry as one record whose message is its JSON (cut at the max frame), flagged; counted under
     * {@code reason} (an oversize entry as truncated). Null, counted, under {@code --malformed drop}.
     */
    private EncodedRecord unmapped(Events e, ByteBuffer src, int from, int len, RejectReason reason, RecordFlag flag) {
        if (reason == RejectReason.OVERSIZE) {
            observer.frameTruncated(SourceFormat.FLUENT);
        } else {
            observer.frameRejected(reason);
        }
        if (malformed == MalformedPolicy.DROP) {
            return null;
        }
        String json = entries.renderCut(src, from, len, maxEntryBytes);
        LogRecord.Builder b = LogRecord.builder().receiveTimeNanos(e.receiveTimeNanos).source(source)
                .format(SourceFormat.FLUENT).service(e.tag).message(json).flag(flag).flag(RecordFlag.MALFORMED)
                .field(FrameProcessor.ERROR_FIELD, reason.label());
        if (e.tagInvalid) {
            b.flag(RecordFlag.INVALID_UTF8);
        }
        return entries.encode(b.build());
    }

    /** A complete message whose records are still to be fired, and where its next entry is. */
    private static final class Events {
        final String tag;
        /** The tag was not well-formed UTF-8: {@link #tag} has U+FFFD for its bad bytes, its records are flagged. */
        final boolean tagInvalid;
        final byte[] tagBytes;
        final ImmutableValue chunk;
        final long receiveTimeNanos;
        /** The message's length in the cumulation, from its reader index. */
        final int len;
        /** Bytes per record for the decoded-bytes counter: the message's length over its entries. */
        final int perRecord;
        /**
         * A CompressedPackedForward payload, inflated, or Message mode's time and record as one entry;
         * else null and the entries are in the cumulation.
         */
        final byte[] inflated;
        /** The entries still to map: [pos, end) of the inflated payload or of the cumulation (from its reader index). */
        int pos;
        final int end;
        long remaining;

        /**
         * @param rawTag the tag's bytes as sent: a tag that is not well-formed UTF-8 (made from a file
         *     name, say) is stored with U+FFFD and its records flagged, as a value would be; refusing
         *     the message made the sender resend it for good
         */
        Events(byte[] rawTag, ImmutableValue chunk, long receiveTimeNanos, int len, byte[] inflated,
               int pos, int end, long entries) {
            this.tag = new String(rawTag, java.nio.charset.StandardCharsets.UTF_8);
            this.tagBytes = tag.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            // well-formed UTF-8 decodes and encodes back to the same bytes; anything else does not
            this.tagInvalid = !java.util.Arrays.equals(tagBytes, rawTag);
            this.chunk = chunk;
            this.receiveTimeNanos = receiveTimeNanos;
            this.len = len;
            this.inflated = inflated;
            this.pos = pos;
            this.end = end;
            this.remaining = entries;
            this.perRecord = entries == 0 ? 0 : (int) Math.max(1, len / entries);
        }
    }

    /**
     * Advances the scanner over the cumulation; returns the length of the complete msgpack value at
     * the reader index (and resets the scanner), -1 when more bytes are needed, -2 after a failure.
     */
    private int scan() {
        ByteBuf b = cumulation;
        int base = b.readerIndex();
        int end = b.readableBytes();
        while (true) {
            if (skipBytes > 0) {
                long n = Math.min(skipBytes, end - scanPos);
                scanPos += (int) n;
                skipBytes -= n;
                if (skipBytes > 0) {
                    return -1;
                }
                if (valueDone()) {
                    return complete();
                }
                continue;
            }
            if (scanPos >= end) {
                return -1;
            }
            int t = b.getUnsignedByte(base + scanPos);
            int header; // header bytes after the type byte
            long payload = 0;
            long children = -1; // >= 0: a container with that many values
            if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) {
                header = 0;
            } else if (t <= 0x8f) {
                header = 0;
                children = 2L * (t & 0x0f);
            } else if (t <= 0x9f) {
                header = 0;
                children = t & 0x0f;
            } else if (t <= 0xbf) {
                header = 0;
                payload = t & 0x1f;
            } else {
                switch (t) {
                    case 0xc4, 0xd9 -> header = 1;
                    case 0xc5, 0xda, 0xdc, 0xde -> header = 2;
                    case 0xc6, 0xdb, 0xdd, 0xdf -> header = 4;
                    case 0xc7 -> header = 2;
                    case 0xc8 -> header = 3;
                    case 0xc9 -> header = 5;
                    case 0xca, 0xce, 0xd2 -> { header = 0; payload = 4; }
                    case 0xcb, 0xcf, 0xd3 -> { header = 0; payload = 8; }
                    case 0xcc, 0xd0 -> { header = 0; payload = 1; }
                    case 0xcd, 0xd1 -> { header = 0; payload = 2; }
                    case 0xd4 -> { header = 0; payload = 2; }
                    case 0xd5 -> { header = 0; payload = 3; }
                    case 0xd6 -> { header = 0; payload = 5; }
                    case 0xd7 -> { header = 0; payload = 9; }
                    case 0xd8 -> { header = 0; payload = 17; }
                    default -> {
                        failScan("byte 0x" + Integer.toHexString(t) + " is not msgpack");
                        return -2;
                    }
                }
                if (scanPos + 1 + header > end) {
                    return -1;
                }
                int h = base + scanPos + 1;
                switch (t) {
                    case 0xc4, 0xd9 -> payload = b.getUnsignedByte(h);
                    case 0xc5, 0xda -> payload = b.getUnsignedShort(h);
                    case 0xc6, 0xdb -> payload = b.getUnsignedInt(h);
                    case 0xdc -> children = b.getUnsignedShort(h);
                    case 0xdd -> children = b.getUnsignedInt(h);
                    case 0xde -> children = 2L * b.getUnsignedShort(h);
                    case 0xdf -> children = 2L * b.getUnsignedInt(h);
                    // ext 8/16/32: the header (length, then the type byte) is counted above; the data follows
                    case 0xc7 -> payload = b.getUnsignedByte(h);
                    case 0xc8 -> payload = b.getUnsignedShort(h);
                    case 0xc9 -> payload = b.getUnsignedInt(h);
                    default -> {
                    }
                }
            }
            scanPos += 1 + header;
            if (payload > maxMessageBytes || children > maxMessageBytes) {
                // More than the limit can hold: no need to wait for it.
                pendingReason = FluentProtocolError.OVERSIZE;
                pendingFailure = "a value of " + Math.max(payload, children) + " bytes or items, over " + maxMessageBytes;
                return -2;
            }
            if (children > 0) {
                if (depth == MAX_DEPTH) {
                    failScan("nesting deeper than " + MAX_DEPTH);
                    return -2;
                }
                remaining[depth++] = children;
                continue;
            }
            if (payload > 0) {
                skipBytes = payload;
                continue;
            }
            if (valueDone()) {
                return complete();
            }
        }
    }

    /** A value ended: counts it in its containers; true when the top-level value is complete. */
    private boolean valueDone() {
        while (depth > 0) {
            if (--remaining[depth - 1] > 0) {
                return false;
            }
            depth--;
        }
        return true;
    }

    private int complete() {
        int len = scanPos;
        scanPos = 0;
        skipBytes = 0;
        depth = 0;
        return len;
    }

    private String pendingReason;
    private String pendingFailure;

    private void failScan(String detail) {
        pendingReason = FluentProtocolError.BAD_MESSAGE;
        pendingFailure = detail;
    }

    private boolean fail(ChannelHandlerContext ctx, String reason, String detail) {
        failed = true;
        releaseCumulation(ctx);
        ctx.fireChannelRead(new FluentProtocolError(reason, detail));
        return false;
    }

    /** Not a Forward protocol message, with the reason to report. */
    private static final class BadMessage extends Exception {
        final String reason;

        BadMessage(String reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }

    /**
     * Reads a complete message's header and option and checks everything that refuses it whole (the
     * option, the compression, an inner stream that is not msgpack) without mapping an entry; where its
     * entries are is returned. {@code bytes} starts at the cumulation's reader index.
     */
    private Events begin(ByteBuffer bytes, int len) throws IOException, BadMessage {
        long now = clock.getAsLong();
        int base = bytes.position();
        try (MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes)) {
            if (u.getNextFormat().getValueType() != ValueType.ARRAY) {
                throw new BadMessage(FluentProtocolError.BAD_MESSAGE, "a message must be an array");
            }
            int n = u.unpackArrayHeader();
            if (n < 2 || n > 4) {
                throw new BadMessage(FluentProtocolError.BAD_MESSAGE, "a message is an array of 2 to 4, not " + n);
            }
            ImmutableValue tagValue = u.unpackValue();
            if (!tagValue.isStringValue()) {
                throw new BadMessage(FluentProtocolError.BAD_MESSAGE, "the tag must be a string");
            }
            byte[] tag = tagValue.asRawValue().asByteArray(); // not necessarily UTF-8: see Events
            ValueType second = u.getNextFormat().getValueType();
            switch (second) {
                case ARRAY -> { // Forward
                    if (n > 3) {
                        throw new BadMessage(FluentProtocolError.BAD_MESSAGE, "Forward mode has 2 or 3 elements");
                    }
                    int m = u.unpackArrayHeader();
                    int from = (int) u.getTotalReadBytes();
                    for (int i = 0; i < m; i++) {
                        u.skipValue(); // the scanner has checked their msgpack
                    }
                    int to = (int) u.getTotalReadBytes();
                    Value option = n == 3 ? u.unpackValue() : null;
                    return new Events(tag, chunkOf(option), now, len, null, from, to, m);
                }
                case STRING, BINARY -> { // PackedForward, CompressedPackedForward
                    if (n > 3) {
                        throw new BadMessage(FluentProtocolError.BAD_MESSAGE, "PackedForward mode has 2 or 3 elements");
                    }
                    int plen = second == ValueType.STRING ? u.unpackRawStringHeader() : u.unpackBinaryHeader();
                    int from = (int) u.getTotalReadBytes();
                    ByteBuffer packed = u.readPayloadAsReference(plen).sliceAsByteBuffer(); // no copy
                    Value option = n == 3 ? u.unpackValue() : null;
                    ImmutableValue chunk = chunkOf(option);
                    byte[] inflated = null;
                    String compressed = optionString(option, "compressed");
                    if (compressed != null && !compressed.equals("text")) {
                        if (!compressed.equals("gzip")) {
                            throw new BadMessage(FluentProtocolError.BAD_COMPRESSION, "compressed=" + compressed + " is not supported");
                        }
                        byte[] gz = new byte[packed.remaining()];
                        packed.get(gz);
                        inflated = gunzip(gz);
                        packed = ByteBuffer.wrap(inflated);
                        from = 0;
                        plen = inflated.length;
                    }
                    // The inner stream is opaque to the scanner: read it through once (no value kept), so
                    // that one that is not msgpack refuses the message before any of it is stored.
                    long entries = 0;
                    try (MessageUnpacker p = MessagePack.newDefaultUnpacker(packed)) {
                        while (p.hasNext()) {
                            skipWithin(p, MAX_DEPTH);
                            entries++;
                        }
                    }
                    return new Events(tag, chunk, now, len, inflated, from, from + plen, entries);
                }
                case INTEGER, FLOAT, EXTENSION -> { // Message
                    if (n < 3) {
                        throw new BadMessage(FluentProtocolError.BAD_MESSAGE, "Message mode has 3 or 4 elements");
                    }
                    // [time, record] as one entry of a stream, mapped as the other modes' entries are (a
                    // record's value tree could be many times its bytes: a 12 MB map of 2 million keys)
                    int from = (int) u.getTotalReadBytes();
                    u.skipValue();
                    u.skipValue(); // the scanner has checked their msgpack
                    int to = (int) u.getTotalReadBytes();
                    Value option = n == 4 ? u.unpackValue() : null;
                    byte[] entry = new byte[1 + to - from];
                    entry[0] = (byte) 0x92; // fixarray of 2
                    bytes.get(base + from, entry, 1, to - from);
                    return new Events(tag, chunkOf(option), now, len, entry, 0, entry.length, 1);
                }
                default -> throw new BadMessage(FluentProtocolError.BAD_MESSAGE,
                        "the second element must be an array, bin, str, time or EventTime, not " + second);
            }
        }
    }

    /**
     * Skips the next value of {@code p}, refusing nesting deeper than {@code maxDepth}: an entry of a
     * packed stream nested a million deep would otherwise overflow the stack of the code that maps it
     * (msgpack's own and ours recurse), on the event loop. Iterative, so the check itself cannot.
     */
    static void skipWithin(MessageUnpacker p, int maxDepth) throws IOException, BadMessage {
        long[] left = new long[maxDepth + 1];
        int depth = 0;
        left[0] = 1;
        while (depth >= 0) {
            if (left[depth] == 0) {
                depth--;
                continue;
            }
            left[depth]--;
            ValueType type = p.getNextFormat().getValueType();
            long n = type == ValueType.ARRAY ? p.unpackArrayHeader()
                    : type == ValueType.MAP ? 2L * p.unpackMapHeader() : -1;
            if (n < 0) {
                p.skipValue();
            } else if (n > 0) {
                if (++depth > maxDepth) {
                    throw new BadMessage(FluentProtocolError.BAD_MESSAGE,
                            "an entry of the packed stream nests deeper than " + maxDepth);
                }
                left[depth] = n;
            }
        }
    }

    /** The option's {@code chunk} (null when there is none); refuses an option that is not a map. */
    private static ImmutableValue chunkOf(Value option) throws BadMessage {
        if (option != null && !option.isNilValue() && !option.isMapValue()) {
            throw new BadMessage(FluentProtocolError.BAD_MESSAGE, "the option must be a map");
        }
        ImmutableValue chunk = null;
        if (option != null && option.isMapValue()) {
            for (Map.Entry<Value, Value> e : option.asMapValue().entrySet()) {
                if (e.getKey().isStringValue() && e.getKey().asStringValue().asString().equals("chunk")) {
                    chunk = e.getValue().immutableValue();
                }
            }
        }
        return chunk;
    }

    private static String optionString(Value option, String key) {
        if (option == null || !option.isMapValue()) {
            return null;
        }
        for (Map.Entry<Value, Value> e : option.asMapValue().entrySet()) {
            if (e.getKey().isStringValue() && e.getKey().asStringValue().asString().equals(key)
                    && e.getValue().isStringValue()) {
                return e.getValue().asStringValue().asString();
            }
        }
        return null;
    }

    /** Inflates every gzip member, one after the other, up to the size limit. */
    private byte[] gunzip(byte[] packed) throws BadMessage {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxMessageBytes, packed.length * 4 + 64));
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(packed))) {
            byte[] buf = new byte[16 * 1024];
            for (int r; (r = in.read(buf)) > 0; ) {
                if (out.size() + r > maxMessageBytes) {
                    throw new BadMessage(FluentProtocolError.OVERSIZE, "gzip payload inflates past " + maxMessageBytes + " bytes");
                }
                out.write(buf, 0, r);
            }
        } catch (IOException e) {
            throw new BadMessage(FluentProtocolError.BAD_COMPRESSION, "gzip payload does not inflate: " + e.getMessage());
        }
        return out.toByteArray();
    }

    /** One event as a record, or null when it is malformed and dropped by policy. */
    LogRecord toRecord(String tag, Value entry, long now) {
        return toRecord(tag, false, entry, now);
    }

    /** As {@link #toRecord(String, Value, long)}, flagged invalid UTF-8 when {@code tagInvalid} (see {@link Events#tagInvalid}). */
    private LogRecord toRecord(String tag, boolean tagInvalid, Value entry, long now) {
        LogRecord.Builder b = LogRecord.builder().receiveTimeNanos(now).source(source).format(SourceFormat.FLUENT);
        if (tagInvalid) {
            b.flag(RecordFlag.INVALID_UTF8);
        }
        long time = entry.isArrayValue() && entry.asArrayValue().size() == 2 ? timeOf(entry.asArrayValue().get(0)) : -1;
        if (time == -1 || !entry.asArrayValue().get(1).isMapValue()) {
            observer.frameRejected(BAD_ENTRY);
            if (malformed == MalformedPolicy.DROP) {
                return null;
            }
            return b.service(tag).message(MsgpackJson.of(entry)).flag(RecordFlag.MALFORMED)
                    .field(FrameProcessor.ERROR_FIELD, BAD_ENTRY.label()).build();
        }
        b.eventTimeNanos(time);
        boolean haveLevel = false;
        boolean haveService = false;
        boolean haveHost = false;
        boolean haveMessage = false;
        String dockerLog = null;
        Map<Value, Value> map = entry.asArrayValue().get(1).asMapValue().map();
        for (Map.Entry<Value, Value> e : map.entrySet()) {
            Value k = e.getKey();
            String name = k.isRawValue() ? text(k) : MsgpackJson.of(k);
            Value v = e.getValue();
            String text = v.isRawValue() ? text(v) : null;
            boolean used = false;
            switch (name) {
                case "level", "severity" -> {
                    if (!haveLevel) {
                        Level l = text != null ? Level.parse(text)
                                : v.isIntegerValue() && v.asIntegerValue().isInIntRange()
                                ? JsonLineParser.levelOfNumber(v.asIntegerValue().toInt()) : null;
                        if (l != null) {
                            b.level(l);
                            haveLevel = used = true;
                        }
                    }
                }
                case "service", "app" -> {
                    if (!haveService && text != null) {
                        b.service(text);
                        haveService = used = true;
                    }
                }
                case "host", "hostname" -> {
                    if (!haveHost && text != null) {
                        b.host(text);
                        haveHost = used = true;
                    }
                }
                case "msg", "message" -> {
                    if (!haveMessage && text != null) {
                        b.message(text);
                        haveMessage = used = true;
                    }
                }
                case "log" -> {
                    if (dockerLog == null && text != null) {
                        dockerLog = text;
                        used = true; // decided at the end: the message, or a field if msg/message came
                    }
                }
                default -> {
                }
            }
            if (!used) {
                b.field(name, text != null ? FieldValue.string(text) : new FieldValue(MsgpackJson.of(v), true));
            }
        }
        if (dockerLog != null) {
            if (haveMessage) {
                b.field("log", FieldValue.string(dockerLog));
            } else {
                b.message(dockerLog.endsWith("\n") ? dockerLog.substring(0, dockerLog.length() - 1) : dockerLog);
            }
        }
        if (!haveService) {
            b.service(tag);
        }
        if (invalidText || tagInvalid) {
            // stored with U+FFFD in place of the bad bytes, flagged and counted, as on the line protocols
            invalidText = false;
            observer.frameRejected(RejectReason.INVALID_UTF8);
            b.flag(RecordFlag.INVALID_UTF8);
        }
        return b.build();
    }

    /** A str or bin value as text; bytes that are not UTF-8 become U+FFFD and set {@link #invalidText}. */
    private String text(Value v) {
        byte[] raw = v.asRawValue().asByteArray();
        String s = new String(raw, java.nio.charset.StandardCharsets.UTF_8);
        if (!java.util.Arrays.equals(s.getBytes(java.nio.charset.StandardCharsets.UTF_8), raw)) {
            invalidText = true; // well-formed UTF-8 decodes and encodes back to the same bytes; anything else does not
        }
        return s;
    }

    /** The entry time in nanoseconds since the epoch, or -1 when it is not a time. */
    static long timeOf(Value t) {
        if (t.isIntegerValue()) {
            if (!t.asIntegerValue().isInLongRange()) {
                return -1;
            }
            long s = t.asIntegerValue().toLong();
            return s < 0 || s > Long.MAX_VALUE / 1_000_000_000L ? -1 : s * 1_000_000_000L;
        }
        if (t.isFloatValue()) {
            double d = t.asFloatValue().toDouble();
            return d < 0 || d > 9.2e9 || Double.isNaN(d) ? -1 : (long) (d * 1e9);
        }
        if (t.isExtensionValue()) {
            ExtensionValue x = t.asExtensionValue();
            byte[] d = x.getData();
            if (x.getType() != 0 || d.length != 8) {
                return -1;
            }
            long sec = ((d[0] & 0xffL) << 24) | ((d[1] & 0xffL) << 16) | ((d[2] & 0xffL) << 8) | (d[3] & 0xffL);
            long nsec = ((d[4] & 0xffL) << 24) | ((d[5] & 0xffL) << 16) | ((d[6] & 0xffL) << 8) | (d[7] & 0xffL);
            return nsec >= 1_000_000_000L ? -1 : sec * 1_000_000_000L + nsec;
        }
        return -1;
    }
}
