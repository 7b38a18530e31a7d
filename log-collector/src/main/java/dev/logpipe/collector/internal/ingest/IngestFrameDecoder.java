package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.RejectReason;

import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.internal.pipeline.LogLimiter;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.EncodedRecord;
import dev.logpipe.filesink.LogRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Frames a connection's bytes and fires one {@link LogRecord} per frame: LF/CRLF lines, and, for
 * syslog, RFC 6587 octet counting detected per frame (a frame that starts with a digit is
 * {@code LEN SP MSG}, any other is a line).
 *
 * <p>Limits: a frame longer than {@code maxFrameBytes} is cut (TRUNCATE: the first bytes, backed off
 * to a whole UTF-8 character, are delivered flagged, the rest up to the frame's end is skipped) or
 * ends the connection (CLOSE: frames before it are delivered, then the channel is closed).
 *
 * <p>End of input: every complete frame still buffered is delivered. After the client's EOF the
 * connection stays open and they are fired no faster than the channel takes them (the next once the
 * records before are all in it): a buffer can hold a whole read of tiny lines, 32,768 records in 64
 * KiB. When the connection closed (reset, or closed by the server: a shutdown's grace deadline), they
 * are fired while the channel takes them at once; what is left when it does not (the channel full) is
 * not decoded, like bytes the connection never read, and logged: hundreds of flooding connections
 * closed at once each decoding a whole read ran the heap out. An unterminated tail (a line without its LF, an octet-counted body cut short) is the client's last
 * frame only when the client ended its stream: a {@link ChannelInputShutdownEvent} (EOF read on a
 * channel with {@code ALLOW_HALF_CLOSURE}) delivers it like any frame. When the channel goes inactive
 * without that event (the server closed it: shutdown drain, idle timeout, ...) or the input ends after
 * an {@code exceptionCaught} (connection reset by peer), the tail is a frame the client did not
 * finish sending: it is counted {@code incomplete_frame} and dropped, never stored as a record.
 *
 * <p>Octet counts: a count that is not digits followed by a space (on a connection that has used
 * octet counting; on one that has not, such a frame is simply a line that starts with a digit), or has
 * more than 10 digits, is not trusted: it is counted {@code bad_octet_count} and that frame is
 * taken up to the next LF instead (stored raw or dropped by policy; on a connection that has counted,
 * up to the next LF or frame header, see {@link #resync}), after which per-frame detection resumes.
 * A count above {@code maxFrameBytes} followed by {@code <} (a syslog PRI) is a frame too long:
 * under TRUNCATE its head is delivered flagged and exactly the rest of its count is skipped as it
 * arrives (nothing of it is held), under CLOSE the connection is closed; an over-limit number followed
 * by anything else is a line (or, after counted frames, a lying count as above). Taking over-limit
 * counts for lies lost every later frame of an octet-counting sender, which sends no LF to resynchronise
 * on. A count that was wrong but plausible shows at the next frame: on a connection
 * that used octet counting, a frame that starts with neither a digit nor {@code <} is the tail of a
 * frame whose count lied and is counted {@code bad_octet_count} the same way. An octet-counted frame
 * cut short by the client's end of input is {@code incomplete_frame} (stored raw or dropped by policy).
 *
 * <p>Flow control: each pass (a {@code channelRead}, or a {@code read()} while frames are held) fires
 * at least one record if it has one, then stops while the channel's {@code autoRead} is off (the
 * downstream handler is applying backpressure), keeping the remaining bytes. The next {@code read()}
 * (which {@code setAutoRead(true)} issues) fires held frames first and asks the transport for more
 * only if it had none to fire or {@code autoRead} is back on. At the end of the input, as above.
 *
 * <p>Threading: confined to the channel's event loop; one instance per connection (not sharable).
 *
 * <p>Ownership: each inbound {@code ByteBuf} is handed to the cumulator, which releases it or adopts
 * it as the cumulation buffer; the cumulation is released when fully read, on close and on removal.
 * Only immutable {@link LogRecord}s are fired; no buffer leaves this handler.
 */
final class IngestFrameDecoder extends ChannelDuplexHandler {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(IngestFrameDecoder.class);
    private static final LogLimiter NOT_DECODED_LOG = LogLimiter.perMinute();

    private enum State {
        /** At the start of a frame. */
        FRAME_START,
        /** Inside a line that must be reported as a bad octet count, up to its LF. */
        BAD_COUNT_LINE,
        /** Inside an octet-counted body of {@code octetLength} bytes. */
        OCTET_BODY,
        /** At an octet-counted body longer than the limit ({@code octetRemaining} bytes): its head is kept. */
        OCTET_OVERSIZE_HEAD,
        /** Skipping the rest of an oversize octet-counted body, {@code octetRemaining} bytes. */
        OCTET_SKIP,
        /** Skipping the rest of an oversize line, up to its LF. */
        DISCARD_TO_LF,
        /** Closed for an oversize frame; everything further is ignored. */
        CLOSED
    }

    /** Longest octet count accepted, in digits (a count must fit an int anyway). */
    private static final int MAX_COUNT_DIGITS = 10;

    private final FrameProcessor processor;
    private final int maxFrameBytes;
    private final OversizePolicy oversize;
    private final boolean syslogFraming;
    private final IngestObserver observer;

    private ByteBuf cumulation;
    /** Told what the cumulation holds after each pass (the connection's {@link HeldBytes#KEY}, if any). */
    private HeldBytes heldBytes = HeldBytes.NONE;
    private ChannelHandlerContext ctx;
    private State state = State.FRAME_START;
    private int octetLength;
    /** Bytes of an oversize octet-counted body not yet consumed. */
    private long octetRemaining;
    private boolean usedOctetCounting;
    /**
     * The bytes from {@code lineScanFrom} on that are known to hold no LF: a line arriving a few bytes
     * per read is then scanned once, not once per read (which a trickling client could turn into
     * quadratic CPU).
     */
    private int lineScanFrom = -1;
    private int lineScanned;
    /** Likewise for {@link #resync}: the bytes from {@code resyncFrom} up to {@code resyncScanned} hold no LF or header. */
    private int resyncFrom = -1;
    private int resyncScanned;
    /** Whether the last decode pass stopped, with bytes left, because the downstream turned autoRead off. */
    private boolean heldForBackpressure;
    /** Whether the current decode pass has fired a record. */
    private boolean firedInPass;
    private boolean inputEnded;
    /** Whether the input ended because the client ended its stream (so a tail is its last frame). */
    private boolean endedByClient;
    /** Whether an exception (e.g. a connection reset) reached this connection: its end is not a clean EOF. */
    private boolean failed;
    /** After the client's EOF: the rest waits until the records fired before are all in the channel. */
    private boolean waitingForDrain;
    /** The channel closed: what is left is fired while the channel has room, then dropped. */
    private boolean closed;

    IngestFrameDecoder(FrameProcessor processor, int maxFrameBytes, OversizePolicy oversize,
                       boolean syslogFraming, IngestObserver observer) {
        this.processor = processor;
        this.maxFrameBytes = maxFrameBytes;
        this.oversize = oversize;
        this.syslogFraming = syslogFraming;
        this.observer = observer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        HeldBytes held = ctx.channel().attr(HeldBytes.KEY).get();
        if (held != null) {
            heldBytes = held;
        }
        processor.source(sourceOf(ctx.channel().remoteAddress()));
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        processor.source(sourceOf(ctx.channel().remoteAddress()));
        super.channelActive(ctx);
    }

    static String sourceOf(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            String host = inet.getHostString();
            return "tcp:" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        return address == null ? "tcp:" : "tcp:" + address;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (state == State.CLOSED || inputEnded) {
            in.release(); // we own it and nobody will read it
            return;
        }
        if (cumulation != null && cumulation.isReadable()) {
            // The last read ended inside a frame. Complete it with this read's bytes up to its first LF,
            // decoded as a read of their own, so that the rest of this read is decoded in its own buffer
            // rather than copied behind that frame (a bulk sender's every read ends inside a line).
            int lf = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
            if (lf >= 0 && lf + 1 < in.writerIndex()) {
                ByteBuf head = in.readRetainedSlice(lf + 1 - in.readerIndex());
                cumulation = ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, head);
                decode(ctx, false);
                if (state == State.CLOSED || inputEnded || ctx.isRemoved()) {
                    in.release();
                    return;
                }
                if (heldForBackpressure || (firedInPass && !ctx.channel().config().isAutoRead())) {
                    // the downstream wants no more now: keep the rest for the next read(), as a pass does
                    cumulation = ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(),
                            cumulation == null ? Unpooled.EMPTY_BUFFER : cumulation, in);
                    heldForBackpressure = true;
                    return;
                }
            }
        }
        // Ownership of `in` passes to the cumulator: it releases it or returns it as the cumulation.
        cumulation = ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(),
                cumulation == null ? Unpooled.EMPTY_BUFFER : cumulation, in);
        decode(ctx, false);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (heldForBackpressure && cumulation != null && state != State.CLOSED) {
            decode(ctx, false);
            if (firedInPass && !ctx.channel().config().isAutoRead()) {
                return; // this read was answered with buffered frames; the downstream wants no more yet
            }
        }
        ctx.read();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            // With ALLOW_HALF_CLOSURE a read error (reset) also ends in this event, after exceptionCaught.
            // Forwarded at once, also while the rest waits for room: the BackpressureHandler then holds
            // records, and closes the connection only once it holds none and this decoder is done.
            endOfInput(ctx, !failed, false);
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        failed = true;
        super.exceptionCaught(ctx, cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        // Inactive without a prior input shutdown: the server closed the connection, or it broke.
        endOfInput(ctx, false, true);
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseCumulation();
    }

    /**
     * Delivers every buffered frame; the unterminated tail is delivered only when {@code byClient}. While
     * the channel is open (the client's EOF), no faster than the channel takes them: the buffer may hold a
     * whole read of tiny lines (32,768 records in 64 KiB), and at once over hundreds of connections that
     * ran the heap out. Once it is {@code closed}, at once.
     */
    private void endOfInput(ChannelHandlerContext ctx, boolean byClient, boolean closed) {
        boolean decodeNow = !inputEnded;
        if (!inputEnded) {
            inputEnded = true;
            endedByClient = byClient;
        }
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

    /**
     * A closed connection's buffer left undecoded behind a full channel: counted once as {@code
     * incomplete_frame} (frames the server holds and does not store, as for an unfinished one at a
     * close), and logged with its size.
     */
    static void notDecodedAtClose(ChannelHandlerContext ctx, int bytes, IngestObserver observer) {
        observer.frameRejected(RejectReason.INCOMPLETE_FRAME);
        String note = NOT_DECODED_LOG.admit();
        if (note != null) {
            LOG.info("{} closed with {} bytes it sent not yet decoded and the journal channel full: they are not"
                    + " stored (as bytes it never read; counted incomplete_frame){}", ctx.channel().remoteAddress(), bytes, note);
        }
    }

    /** After the end of input, once nothing waits for room: counts an unfinished count and lets go. */
    private void finishInputIfDone() {
        if (waitingForDrain) {
            return;
        }
        if (state == State.OCTET_BODY) {
            // A count was read but not one byte of its frame came: nothing to store, still counted.
            observer.frameRejected(RejectReason.INCOMPLETE_FRAME);
            state = State.FRAME_START;
        }
        releaseCumulation();
    }

    /** The records fired after the client's EOF are all in the channel: deliver more (event loop). */
    private void resumeAtEnd(ChannelHandlerContext ctx) {
        if (!waitingForDrain) {
            return;
        }
        waitingForDrain = false;
        if (cumulation == null || state == State.CLOSED || ctx.isRemoved()) {
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

    /**
     * Fires every complete frame (every frame at all when {@code atEnd}), but once a record has been
     * fired in this pass, stops while {@code autoRead} is off: the pass answers at least one read.
     */
    private void decode(ChannelHandlerContext ctx, boolean atEnd) {
        firedInPass = false;
        heldForBackpressure = false;
        processor.beginPass();
        try {
            while (cumulation != null && state != State.CLOSED && !ctx.isRemoved() && cumulation.isReadable()) {
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
                    notDecodedAtClose(ctx, cumulation.readableBytes(), observer);
                    cumulation.skipBytes(cumulation.readableBytes());
                    state = State.FRAME_START;
                    break;
                }
                if (!decodeOne(ctx, atEnd)) {
                    break;
                }
            }
        } catch (RuntimeException e) {
            // A framing bug: the stream position can no longer be trusted. Count it and end the
            // connection rather than let it reach exceptionCaught or misframe what follows.
            observer.frameRejected(RejectReason.DECODER_ERROR);
            state = State.CLOSED;
            releaseCumulation();
            ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0); // RST: the client must learn of it
            ctx.close();
        } finally {
            processor.endPass();
            if (cumulation != null) {
                // an unfinished frame keeps a buffer of its size, not the read's (see Cumulation)
                cumulation = Cumulation.afterPass(ctx.alloc(), cumulation);
            }
            heldBytes.held(ctx, cumulation == null ? 0 : cumulation.capacity());
        }
    }

    /** Decodes at most one frame; false when more input is needed (or the connection closed). */
    private boolean decodeOne(ChannelHandlerContext ctx, boolean atEnd) {
        switch (state) {
            case FRAME_START -> {
                if (syslogFraming) {
                    byte first = cumulation.getByte(cumulation.readerIndex());
                    if (first >= '0' && first <= '9') {
                        return decodeOctetHeader(ctx, atEnd);
                    }
                    if (usedOctetCounting && first != '<' && first != '\n' && first != '\r') {
                        // The previous count lied: this is the tail of its frame.
                        state = State.BAD_COUNT_LINE;
                        return true;
                    }
                }
                return decodeLine(ctx, atEnd, null);
            }
            case BAD_COUNT_LINE -> {
                return usedOctetCounting ? resync(ctx, atEnd, false) : decodeLine(ctx, atEnd, RejectReason.BAD_OCTET_COUNT);
            }
            case OCTET_BODY -> {
                int readable = cumulation.readableBytes();
                int ri = cumulation.readerIndex();
                if (readable >= octetLength) {
                    state = State.FRAME_START;
                    cumulation.readerIndex(ri + octetLength);
                    emit(ctx, ri, octetLength, false, null);
                    return true;
                }
                if (atEnd) {
                    bodyCutByTheEnd(ctx, ri, readable);
                }
                return false;
            }
            case OCTET_OVERSIZE_HEAD -> {
                int readable = cumulation.readableBytes();
                int ri = cumulation.readerIndex();
                if (readable > maxFrameBytes) {
                    int cut = cutLength(ri); // looks at the byte after the limit: the body has it
                    cumulation.readerIndex(ri + cut);
                    octetRemaining -= cut;
                    state = State.OCTET_SKIP;
                    emit(ctx, ri, cut, true, null);
                    return true;
                }
                if (atEnd) {
                    bodyCutByTheEnd(ctx, ri, readable);
                }
                return false;
            }
            case OCTET_SKIP -> {
                int skip = (int) Math.min(cumulation.readableBytes(), octetRemaining);
                cumulation.skipBytes(skip);
                octetRemaining -= skip;
                if (octetRemaining == 0) {
                    state = State.FRAME_START;
                    return true;
                }
                return false;
            }
            case DISCARD_TO_LF -> {
                if (usedOctetCounting) {
                    return resync(ctx, atEnd, true);
                }
                int ri = cumulation.readerIndex();
                int lf = cumulation.indexOf(ri, cumulation.writerIndex(), (byte) '\n');
                if (lf < 0) {
                    cumulation.skipBytes(cumulation.readableBytes());
                    return false;
                }
                cumulation.readerIndex(lf + 1);
                state = State.FRAME_START;
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    /**
     * The input ended inside an octet-counted body: the client's last frame, cut short, when the client
     * ended its stream (stored flagged); dropped and counted when the connection closed under it.
     */
    private void bodyCutByTheEnd(ChannelHandlerContext ctx, int ri, int readable) {
        state = State.FRAME_START;
        cumulation.readerIndex(ri + readable);
        if (endedByClient) {
            emit(ctx, ri, readable, false, RejectReason.INCOMPLETE_FRAME);
        } else {
            observer.frameRejected(RejectReason.INCOMPLETE_FRAME); // cut by the close: dropped
        }
    }

    /** What {@link #frameAt} found. */
    private static final int NO_HEADER = 0;
    private static final int HEADER = 1;
    private static final int UNDECIDED = 2;
    /** Set by {@link #headerShapeAt} on HEADER: the count, and where the body starts. */
    private long shapeCount;
    private int shapeBody;

    /**
     * Whether {@code LEN SP <PRI>} (a count of 1 to 10 digits without a leading zero, a space, a PRI of
     * 1 to 3 digits) starts at {@code p}; UNDECIDED when the bytes before {@code end} do not tell yet.
     */
    private int headerShapeAt(int p, int end) {
        int i = p;
        byte c = cumulation.getByte(i);
        if (c < '1' || c > '9') {
            return NO_HEADER;
        }
        long count = 0;
        int digits = 0;
        while (i < end && (c = cumulation.getByte(i)) >= '0' && c <= '9') {
            if (++digits > MAX_COUNT_DIGITS) {
                return NO_HEADER;
            }
            count = count * 10 + (c - '0');
            i++;
        }
        if (i >= end) {
            return UNDECIDED;
        }
        if (c != ' ') {
            return NO_HEADER;
        }
        int body = ++i;
        if (i >= end) {
            return UNDECIDED;
        }
        if (cumulation.getByte(i++) != '<') {
            return NO_HEADER;
        }
        int pri = 0;
        while (i < end && (c = cumulation.getByte(i)) >= '0' && c <= '9') {
            if (++pri > 3) {
                return NO_HEADER;
            }
            i++;
        }
        if (i >= end) {
            return UNDECIDED;
        }
        if (pri == 0 || c != '>') {
            return NO_HEADER;
        }
        shapeCount = count;
        shapeBody = body;
        return HEADER;
    }

    /**
     * Whether a frame starts at {@code p}: a header shape whose count ends at an LF or another header
     * shape, or where the input ended. Frames follow each other with nothing between them, so the digits
     * of a message's end run into the next count ("... after 9" then "25 <13>..." reads "925 <13>");
     * the count that lands on the next frame tells which digits are the count. A count that ends where
     * the bytes so far end is UNDECIDED until the next byte comes (or the input ends), so that how the
     * stream was cut into reads never changes what is found.
     */
    private int frameAt(int p, int end, boolean atEnd) {
        int shape = headerShapeAt(p, end);
        if (shape != HEADER) {
            return shape;
        }
        long next = shapeBody + shapeCount;
        if (next == end) {
            return atEnd ? HEADER : UNDECIDED;
        }
        if (next > end) {
            return UNDECIDED;
        }
        int n = (int) next;
        byte c = cumulation.getByte(n);
        if (c == '\n' || c == '\r') {
            return HEADER;
        }
        return headerShapeAt(n, end) == NO_HEADER ? NO_HEADER : HEADER;
    }

    /**
     * After a count that lied on a connection that counts octets: its senders end frames with no LF,
     * so the tail of the broken frame runs to the next LF or the next frame header, whichever comes
     * first, and is reported {@code bad_octet_count} (or, {@code discarding}, the rest of a frame cut
     * at the limit is dropped up to there). Before, only an LF ended it: one wrong count (say, one
     * counted in characters, not bytes, on a line with an "ü") merged or dropped every later frame of
     * the connection. A header inside a message's text can end the tail early; only a broken frame is
     * read this way.
     */
    private boolean resync(ChannelHandlerContext ctx, boolean atEnd, boolean discarding) {
        int ri = cumulation.readerIndex();
        int end = cumulation.writerIndex();
        int limit = discarding ? end : (int) Math.min(end, ri + (long) maxFrameBytes + 2);
        // a broken frame's tail is at least one byte (a bad header at ri is not the next frame)
        int p = ri == resyncFrom ? ri + resyncScanned : discarding ? ri : ri + 1;
        resyncFrom = -1;
        int found = -1;
        boolean lf = false;
        for (; p < limit; p++) {
            byte c = cumulation.getByte(p);
            if (c == '\n') {
                found = p;
                lf = true;
                break;
            }
            if (c >= '1' && c <= '9') {
                int h = frameAt(p, end, atEnd);
                if (h == HEADER) {
                    found = p;
                    break;
                }
                if (h == UNDECIDED && !atEnd) {
                    // a later start in the same digits may be a whole frame already; else wait for more
                    for (int q = p + 1; q < end && (c = cumulation.getByte(q)) >= '0' && c <= '9'; q++) {
                        if (frameAt(q, end, false) == HEADER) {
                            found = q;
                            break;
                        }
                    }
                    break;
                }
            }
        }
        if (discarding) {
            if (found >= 0) {
                cumulation.readerIndex(lf ? found + 1 : found);
                state = State.FRAME_START;
                return true;
            }
            cumulation.readerIndex(p); // dropped up to a possible header, kept for the next read
            return false;
        }
        if (found >= 0) {
            int length = found - ri;
            if (lf && length > 0 && cumulation.getByte(found - 1) == '\r') {
                length--;
            }
            cumulation.readerIndex(lf ? found + 1 : found);
            state = State.FRAME_START;
            if (length > maxFrameBytes) {
                emit(ctx, ri, cutLength(ri), true, RejectReason.BAD_OCTET_COUNT);
            } else if (length > 0) {
                emit(ctx, ri, length, false, RejectReason.BAD_OCTET_COUNT);
            }
            return true;
        }
        int readable = end - ri;
        if (readable > maxFrameBytes + 1) {
            if (oversize == OversizePolicy.CLOSE) {
                closeOversize(ctx);
                return false;
            }
            int cut = cutLength(ri);
            cumulation.readerIndex(ri + cut);
            state = State.DISCARD_TO_LF;
            emit(ctx, ri, cut, true, RejectReason.BAD_OCTET_COUNT);
            return true;
        }
        if (atEnd) {
            cumulation.readerIndex(end);
            state = State.FRAME_START;
            if (endedByClient) {
                emit(ctx, ri, readable, false, RejectReason.BAD_OCTET_COUNT); // the client's last frame
            } else if (!isBlank(ri, readable)) {
                observer.frameRejected(RejectReason.INCOMPLETE_FRAME);
            }
            return false;
        }
        resyncFrom = ri;
        resyncScanned = p - ri;
        return false;
    }

    /** Parses {@code LEN SP}; on success enters OCTET_BODY. */
    private boolean decodeOctetHeader(ChannelHandlerContext ctx, boolean atEnd) {
        int ri = cumulation.readerIndex();
        int readable = cumulation.readableBytes();
        long value = 0;
        int limit = Math.min(readable, MAX_COUNT_DIGITS + 1);
        for (int i = 0; i < limit; i++) {
            byte c = cumulation.getByte(ri + i);
            if (c >= '0' && c <= '9') {
                value = value * 10 + (c - '0');
                continue;
            }
            if (c == ' ' && i > 0 && value <= maxFrameBytes) {
                cumulation.readerIndex(ri + i + 1);
                octetLength = (int) value;
                usedOctetCounting = true;
                state = State.OCTET_BODY;
                return true;
            }
            if (c == ' ' && i > 0) {
                // Over the limit. A syslog message starts with its PRI: a count followed by '<' is a frame
                // too long, as its count says (cut it, or close, then skip exactly the rest: trusting the
                // count is what octet counting is, RFC 6587 3.4.1, and a count that lies costs only this
                // connection's own bytes); anything else is a line that starts with a number.
                if (i + 1 >= readable) {
                    if (atEnd) {
                        state = State.BAD_COUNT_LINE;
                        return true;
                    }
                    return false; // the body's first byte has not come yet
                }
                if (cumulation.getByte(ri + i + 1) != '<') {
                    if (!usedOctetCounting) {
                        return decodeLine(ctx, atEnd, null);
                    }
                    state = State.BAD_COUNT_LINE;
                    return true;
                }
                if (oversize == OversizePolicy.CLOSE) {
                    closeOversize(ctx);
                    return false;
                }
                cumulation.readerIndex(ri + i + 1);
                octetRemaining = value;
                usedOctetCounting = true;
                state = State.OCTET_OVERSIZE_HEAD;
                return true;
            }
            if (c != ' ' && !usedOctetCounting) {
                // Digits not followed by a space on a connection that never counted: not a count at
                // all but a line that starts with a digit (e.g. a PRI-less "2024-03-10T..." line).
                return decodeLine(ctx, atEnd, null);
            }
            state = State.BAD_COUNT_LINE; // a count that lies, or one over the limit: take the line
            return true;
        }
        if (readable > MAX_COUNT_DIGITS || atEnd) {
            state = State.BAD_COUNT_LINE; // absurdly many digits, or input ended inside the header
            return true;
        }
        return false;
    }

    /**
     * Takes one line ({@code \n} or {@code \r\n}), applying the frame limit.
     *
     * @param forcedReason non-null to report the line as malformed for that reason
     */
    private boolean decodeLine(ChannelHandlerContext ctx, boolean atEnd, RejectReason forcedReason) {
        int ri = cumulation.readerIndex();
        int readable = cumulation.readableBytes();
        // A line of maxFrameBytes content may be followed by "\r\n": look that far and no further.
        int window = (int) Math.min(readable, (long) maxFrameBytes + 2);
        int known = ri == lineScanFrom ? Math.min(lineScanned, window) : 0;
        int lf = cumulation.indexOf(ri + known, ri + window, (byte) '\n');
        lineScanFrom = -1; // remembered below only when the same line will be scanned again
        if (lf >= 0) {
            int length = lf - ri;
            if (length > 0 && cumulation.getByte(lf - 1) == '\r') {
                length--;
            }
            state = State.FRAME_START;
            if (length > maxFrameBytes) {
                if (oversize == OversizePolicy.CLOSE) {
                    closeOversize(ctx);
                    return false;
                }
                cumulation.readerIndex(lf + 1);
                emit(ctx, ri, cutLength(ri), true, forcedReason);
                return true;
            }
            cumulation.readerIndex(lf + 1);
            emit(ctx, ri, length, false, forcedReason);
            return true;
        }
        boolean over = readable > maxFrameBytes + 1
                || (readable == maxFrameBytes + 1 && cumulation.getByte(ri + maxFrameBytes) != '\r');
        if (over) {
            if (oversize == OversizePolicy.CLOSE) {
                closeOversize(ctx);
                return false;
            }
            int cut = cutLength(ri);
            cumulation.readerIndex(ri + cut); // DISCARD_TO_LF skips the rest, up to the frame's LF
            state = State.DISCARD_TO_LF;
            emit(ctx, ri, cut, true, forcedReason);
            return true;
        }
        if (atEnd) {
            int length = readable;
            if (length > 0 && cumulation.getByte(ri + length - 1) == '\r') {
                length--;
            }
            cumulation.readerIndex(ri + readable);
            state = State.FRAME_START;
            if (endedByClient) {
                emit(ctx, ri, length, false, forcedReason); // the client's last frame, ended by its EOF
            } else if (!isBlank(ri, length)) {
                // The connection closed under this frame: it is not one the client finished sending.
                observer.frameRejected(RejectReason.INCOMPLETE_FRAME);
            }
            return false;
        }
        lineScanFrom = ri;
        lineScanned = window;
        return false;
    }

    /** Whether {@code cumulation[index, index + length)} holds only spaces, tabs, CR and LF (framing noise). */
    private boolean isBlank(int index, int length) {
        for (int i = index; i < index + length; i++) {
            byte c = cumulation.getByte(i);
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                return false;
            }
        }
        return true;
    }

    /** maxFrameBytes backed off so that the cut does not split a UTF-8 character. */
    private int cutLength(int ri) {
        return utf8Cut(cumulation, ri, maxFrameBytes);
    }

    /**
     * {@code max} backed off so that a cut of {@code b} at {@code from + max} does not split a UTF-8
     * character; reads the byte at the cut, which must exist.
     */
    static int utf8Cut(ByteBuf b, int from, int max) {
        int cut = max;
        // The byte at the cut is where the dropped part begins; while it continues a character, back off.
        for (int i = 0; i < 3 && cut > 0 && (b.getByte(from + cut) & 0xC0) == 0x80; i++) {
            cut--;
        }
        return (b.getByte(from + cut) & 0xC0) == 0x80 ? max : cut;
    }

    private void closeOversize(ChannelHandlerContext ctx) {
        observer.frameRejected(RejectReason.OVERSIZE);
        state = State.CLOSED;
        releaseCumulation();
        // Abortive close (RST, not FIN): the bytes after the oversized frame are dropped, and a
        // client such as `logpipe send` must learn that not everything it sent was read.
        ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
        ctx.close();
    }

    /**
     * Decodes {@code cumulation[index, index + length)} and fires the record, if any. The reader index
     * has already moved past the frame, but the bytes stay valid until the buffer is discarded after
     * this decode pass.
     */
    private void emit(ChannelHandlerContext ctx, int index, int length, boolean truncated, RejectReason forcedReason) {
        Object record = processor.processDirect(cumulation, index, length, truncated, forcedReason);
        if (record != null) {
            firedInPass = true;
            // an immutable heap object; no buffer goes with it
            ctx.fireChannelRead(record instanceof EncodedRecord e ? AppendRequest.of(e) : record);
        }
    }
}
