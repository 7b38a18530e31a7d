package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.RejectReason;

import dev.logpipe.filesink.EncodedRecord;
import dev.logpipe.filesink.LogRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Frames a RELP connection (librelp's {@code doc/relp.md}): {@code TXNR SP COMMAND SP DATALEN
 * [SP DATA] LF}, TXNR and DATALEN of 1 to 9 digits, COMMAND of 1 to 32 letters; with DATALEN 0 the
 * data part may be absent ({@code 1 close 0 LF}). Fires one {@link RelpFrame} per frame; a
 * {@code syslog} frame's data goes through the syslog parser (RFC 5424 or 3164) into the frame's
 * record, counted on the {@link IngestObserver} like a syslog frame over plain TCP.
 *
 * <p>Bad input: RELP has no way to resynchronise a stream, so a header that does not parse, or
 * DATALEN bytes not followed by LF (a length that lied) fires one {@link RelpProtocolError} and ends
 * decoding: everything after it is discarded, and the session handler closes the connection once it has
 * answered the frames before it. A DATALEN over {@code maxFrameBytes} does the same under
 * {@link OversizePolicy#CLOSE}, and for any command but {@code syslog}; a {@code syslog} frame that long
 * under TRUNCATE (the default, as rsyslog's imrelp does since 8.35) fires its first bytes (backed off to
 * a whole UTF-8 character) flagged TRUNCATED, then skips exactly the rest as it arrives: closing the
 * session for it left rsyslog's omrelp retrying that message, and everything queued behind it, for good.
 *
 * <p>Flow control: as {@link IngestFrameDecoder}: each pass fires at least one frame, then stops
 * while {@code autoRead} is off, keeping the remaining bytes; the next {@code read()} fires held
 * frames first. On the client's end of input every complete buffered frame is fired; an
 * unterminated tail is counted {@code incomplete_frame} and dropped.
 *
 * <p>Threading: confined to the channel's event loop; one instance per connection.
 *
 * <p>Ownership: inbound buffers go to the cumulator, which releases them or adopts them; the
 * cumulation is released when fully read, at the end of input and on removal. Only immutable
 * {@link RelpFrame}s and {@link RelpProtocolError}s are fired.
 */
public final class RelpFrameDecoder extends ChannelDuplexHandler {

    private static final int MAX_NUMBER_DIGITS = 9;
    private static final int MAX_COMMAND_LENGTH = 32;

    private final FrameProcessor processor;
    private final int maxFrameBytes;
    private final OversizePolicy oversize;
    private final IngestObserver observer;
    /** Data bytes of a truncated syslog frame still to skip, then its LF; -1 when none. */
    private long skipRemaining = -1;
    private ByteBuf cumulation;
    /** Told what the cumulation holds after each pass (the connection's {@link HeldBytes#KEY}, if any). */
    private HeldBytes heldBytes = HeldBytes.NONE;
    private ChannelHandlerContext ctx;
    private boolean failed;
    private boolean inputEnded;
    private boolean heldForBackpressure;
    private boolean firedInPass;
    /** After the client's EOF: the rest waits until the records fired before are all in the channel. */
    private boolean waitingForDrain;
    /** The channel closed: what is left is decoded while the channel has room, then dropped. */
    private boolean closed;

    private RelpFrameDecoder(FrameProcessor processor, int maxFrameBytes, OversizePolicy oversize,
                             IngestObserver observer) {
        this.processor = processor;
        this.maxFrameBytes = maxFrameBytes;
        this.oversize = oversize;
        this.observer = observer;
    }

    /** A decoder with the listener's limits and malformed policy (its format setting is not used). */
    public static RelpFrameDecoder create(IngestDecoderConfig cfg, IngestObserver observer) {
        return create(cfg, observer, dev.logpipe.filesink.LogRecord::nowNanos, java.time.ZoneId.systemDefault());
    }

    static RelpFrameDecoder create(IngestDecoderConfig cfg, IngestObserver observer,
                                   java.util.function.LongSupplier clockNanos, java.time.ZoneId zone) {
        FrameProcessor p = new FrameProcessor(new SyslogParser(zone), cfg.malformed(), observer, clockNanos);
        return new RelpFrameDecoder(p, cfg.maxFrameBytes(), cfg.oversize(), observer);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        HeldBytes held = ctx.channel().attr(HeldBytes.KEY).get();
        if (held != null) {
            heldBytes = held;
        }
        processor.source(IngestFrameDecoder.sourceOf(ctx.channel().remoteAddress()));
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        processor.source(IngestFrameDecoder.sourceOf(ctx.channel().remoteAddress()));
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
                return; // answered with buffered frames; the downstream wants no more yet
            }
        }
        ctx.read();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            endOfInput(ctx, false); // forwarded at once: the BackpressureHandler closes once this decoder is done
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
        releaseCumulation();
    }

    /**
     * Decodes every complete frame left: after the client's EOF no faster than the channel takes their
     * records (a read of small frames holds thousands), once the channel is {@code closed} at once.
     */
    private void endOfInput(ChannelHandlerContext ctx, boolean closed) {
        boolean decodeNow = !inputEnded;
        inputEnded = true;
        if (closed && !this.closed) {
            this.closed = true;
            decodeNow |= waitingForDrain;
            waitingForDrain = false;
        }
        if (decodeNow) {
            decode(ctx, true);
            finishInputIfDone();
        }
    }

    private void finishInputIfDone() {
        if (waitingForDrain) {
            return;
        }
        if (cumulation != null && cumulation.isReadable() && !failed) {
            observer.frameRejected(RejectReason.INCOMPLETE_FRAME);
        }
        releaseCumulation();
    }

    /** The records fired after the client's EOF are all in the channel: decode more (event loop). */
    private void resumeAtEnd(ChannelHandlerContext ctx) {
        if (!waitingForDrain) {
            return;
        }
        waitingForDrain = false;
        if (cumulation == null || failed || ctx.isRemoved()) {
            return;
        }
        decode(ctx, true);
        finishInputIfDone();
    }

    private void releaseCumulation() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
            if (ctx != null) {
                heldBytes.held(ctx, 0);
            }
        }
    }

    private void decode(ChannelHandlerContext ctx, boolean atEnd) {
        firedInPass = false;
        heldForBackpressure = false;
        processor.beginPass();
        try {
            while (cumulation != null && !failed && !ctx.isRemoved() && cumulation.isReadable()) {
                if (!atEnd && firedInPass && !ctx.channel().config().isAutoRead()) {
                    heldForBackpressure = true;
                    break;
                }
                if (atEnd && !closed && firedInPass
                        && (waitingForDrain || !heldBytes.drainedOrLater(ctx, () -> resumeAtEnd(ctx)))) {
                    waitingForDrain = true;
                    break;
                }
                if (atEnd && closed && firedInPass && !heldBytes.drained(ctx)) {
                    // closed with the channel full: the rest is not decoded (not acknowledged: resent)
                    IngestFrameDecoder.notDecodedAtClose(ctx, cumulation.readableBytes(), observer);
                    cumulation.skipBytes(cumulation.readableBytes());
                    break;
                }
                if (!decodeOne(ctx)) {
                    break;
                }
            }
        } catch (RuntimeException e) {
            fail(ctx, RejectReason.DECODER_ERROR.label(), "decoder error: " + e);
        } finally {
            processor.endPass();
            if (cumulation != null) {
                // an unfinished frame keeps a buffer of its size, not the read's (see Cumulation)
                cumulation = Cumulation.afterPass(ctx.alloc(), cumulation);
            }
            heldBytes.held(ctx, cumulation == null ? 0 : cumulation.capacity());
        }
    }

    /** Decodes one frame at the reader index; false when more bytes are needed (or decoding failed). */
    private boolean decodeOne(ChannelHandlerContext ctx) {
        ByteBuf b = cumulation;
        int start = b.readerIndex();
        int end = b.writerIndex();
        if (skipRemaining >= 0) {
            return skipTruncated(ctx, b, start, end);
        }
        int p = start;
        // TXNR
        long txnr = 0;
        int digits = 0;
        while (p < end && isDigit(b.getByte(p))) {
            if (++digits > MAX_NUMBER_DIGITS) {
                return fail(ctx, RelpProtocolError.BAD_HEADER, "transaction number longer than 9 digits");
            }
            txnr = txnr * 10 + (b.getByte(p) - '0');
            p++;
        }
        if (p == end) {
            return false;
        }
        if (digits == 0 || b.getByte(p) != ' ') {
            return fail(ctx, RelpProtocolError.BAD_HEADER, "a frame must start with TXNR SP");
        }
        p++;
        // COMMAND
        int cmdStart = p;
        while (p < end && isAlpha(b.getByte(p))) {
            if (p - cmdStart >= MAX_COMMAND_LENGTH) {
                return fail(ctx, RelpProtocolError.BAD_HEADER, "command longer than 32 letters");
            }
            p++;
        }
        if (p == end) {
            return false;
        }
        if (p == cmdStart || b.getByte(p) != ' ') {
            return fail(ctx, RelpProtocolError.BAD_HEADER, "command must be letters followed by SP");
        }
        String command = b.toString(cmdStart, p - cmdStart, StandardCharsets.US_ASCII);
        p++;
        // DATALEN
        long dataLen = 0;
        digits = 0;
        while (p < end && isDigit(b.getByte(p))) {
            if (++digits > MAX_NUMBER_DIGITS) {
                return fail(ctx, RelpProtocolError.BAD_HEADER, "DATALEN longer than 9 digits");
            }
            dataLen = dataLen * 10 + (b.getByte(p) - '0');
            p++;
        }
        if (p == end) {
            return false;
        }
        byte after = b.getByte(p);
        if (digits == 0 || (after != ' ' && after != '\n')) {
            return fail(ctx, RelpProtocolError.BAD_HEADER, "DATALEN must be digits followed by SP or LF");
        }
        if (after == '\n') {
            if (dataLen != 0) {
                return fail(ctx, RelpProtocolError.BAD_LENGTH, "DATALEN " + dataLen + " but no data");
            }
            b.readerIndex(p + 1);
            fire(ctx, txnr, command, b, p, 0, false);
            return true;
        }
        if (dataLen > maxFrameBytes) {
            if (oversize == OversizePolicy.CLOSE || !RelpFrame.SYSLOG.equals(command)) {
                observer.frameRejected(RejectReason.OVERSIZE);
                return fail(ctx, RelpProtocolError.OVERSIZE, "DATALEN " + dataLen + " over the limit of " + maxFrameBytes);
            }
            int dataStart = p + 1;
            if (end - dataStart <= maxFrameBytes) {
                return false; // wait for the part that is kept, and the byte after it
            }
            int cut = IngestFrameDecoder.utf8Cut(b, dataStart, maxFrameBytes);
            b.readerIndex(dataStart + cut);
            skipRemaining = dataLen - cut;
            fire(ctx, txnr, command, b, dataStart, cut, true);
            return true;
        }
        int dataStart = p + 1;
        int len = (int) dataLen;
        if (end - dataStart < len + 1) {
            return false; // wait for the data and the trailer
        }
        if (b.getByte(dataStart + len) != '\n') {
            return fail(ctx, RelpProtocolError.BAD_LENGTH, "DATALEN " + dataLen + " is not followed by LF");
        }
        b.readerIndex(dataStart + len + 1);
        fire(ctx, txnr, command, b, dataStart, len, false);
        return true;
    }

    /** Skips the rest of a truncated syslog frame's data, then its LF; false when more bytes are needed. */
    private boolean skipTruncated(ChannelHandlerContext ctx, ByteBuf b, int start, int end) {
        int n = (int) Math.min(end - start, skipRemaining);
        b.readerIndex(start + n);
        skipRemaining -= n;
        if (skipRemaining > 0 || b.readerIndex() == end) {
            return false;
        }
        skipRemaining = -1;
        if (b.getByte(b.readerIndex()) != '\n') {
            return fail(ctx, RelpProtocolError.BAD_LENGTH, "a truncated frame's DATALEN is not followed by LF");
        }
        b.skipBytes(1);
        return true;
    }

    private void fire(ChannelHandlerContext ctx, long txnr, String command, ByteBuf b, int index, int len,
                      boolean truncated) {
        RelpFrame frame;
        if (RelpFrame.SYSLOG.equals(command)) {
            int n = len;
            while (n > 0 && (b.getByte(index + n - 1) == '\n' || b.getByte(index + n - 1) == '\r')) {
                n--; // a trailing line end is not part of the message
            }
            Object r = n == 0 ? null : processor.processDirect(b, index, n, truncated, null);
            frame = new RelpFrame(txnr, command, r instanceof LogRecord lr ? lr : null,
                    r instanceof EncodedRecord e ? e : null, null);
        } else {
            frame = new RelpFrame(txnr, command, null, null, b.toString(index, len, StandardCharsets.UTF_8));
        }
        firedInPass = true;
        ctx.fireChannelRead(frame);
    }

    private boolean fail(ChannelHandlerContext ctx, String reason, String detail) {
        failed = true;
        releaseCumulation();
        ctx.fireChannelRead(new RelpProtocolError(reason, detail));
        return false;
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isAlpha(byte c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
}
