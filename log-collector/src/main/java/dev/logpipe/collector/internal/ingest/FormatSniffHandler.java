package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.function.Function;

/**
 * Detects a connection's framing from its first bytes ({@link WireFormat#AUTO}) and replaces itself
 * with its decoder, handing it every byte seen so far: the syslog decoder when they start with an
 * RFC 6587 octet count, else the newline decoder that detects each frame's format
 * ({@link AutoLineParser}).
 *
 * <p>Rules, after skipping leading whitespace (space, tab, CR, LF): {@code {} is JSON;
 * {@code <} 1-3 digits {@code >} is syslog (LF framing); 1-10 digits, a space and {@code <} is syslog
 * (octet counting); anything else is plain text. Only the octet-counting case fixes the connection's
 * format; the others pick the per-frame decoder. It waits for as many bytes as a rule needs (at most
 * a dozen after the whitespace); if the input ends first, or more than {@value #MAX_SNIFF_BYTES}
 * bytes of whitespace arrive, it decides with what it has (a partial match is text). It also decides
 * at once on an {@code exceptionCaught}, and passes the exception on to the decoder, so that the decoder
 * knows the input did not end cleanly (see {@link IngestFrameDecoder} on unterminated tails).
 *
 * <p>Threading: confined to the channel's event loop; one instance per connection.
 *
 * <p>Ownership: inbound buffers are cumulated here until the decision; the cumulation is then passed
 * (with its ownership) to the decoder by {@code fireChannelRead}, or released on removal.
 */
final class FormatSniffHandler extends ChannelInboundHandlerAdapter {

    static final int MAX_SNIFF_BYTES = 1024;

    private final Function<WireFormat, IngestFrameDecoder> decoders;
    private ByteBuf cumulation;

    /** @param decoders makes the decoder for a detected format (JSON, SYSLOG or TEXT) */
    FormatSniffHandler(Function<WireFormat, IngestFrameDecoder> decoders) {
        this.decoders = decoders;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        // Ownership of `in` passes to the cumulator: it releases it or returns it as the cumulation.
        cumulation = ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(),
                cumulation == null ? Unpooled.EMPTY_BUFFER : cumulation, in);
        WireFormat format = detect(cumulation, false);
        if (format != null) {
            switchTo(ctx, format);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent && cumulation != null) {
            switchTo(ctx, detect(cumulation, true));
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Hand the bytes to a decoder first, so that the decoder sees the failure and will not take
        // the end of input that may follow (a reset) for the client's EOF.
        if (cumulation != null) {
            switchTo(ctx, detect(cumulation, true));
        }
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (cumulation != null) {
            switchTo(ctx, detect(cumulation, true));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }

    private void switchTo(ChannelHandlerContext ctx, WireFormat detected) {
        // octet counting frames the whole connection as syslog; newline framing is detected per frame
        WireFormat format = detected == WireFormat.SYSLOG && octetCounted(cumulation) ? WireFormat.SYSLOG
                : WireFormat.AUTO;
        ByteBuf seen = cumulation;
        cumulation = null;
        try {
            ctx.pipeline().addAfter(ctx.name(), IngestDecoders.DECODER_NAME, decoders.apply(format));
            ctx.pipeline().remove(this);
        } catch (RuntimeException e) {
            // The pipeline refused the change (e.g. the channel is being torn down): nothing can
            // decode these bytes, so release them and end the connection rather than leak or throw.
            seen.release();
            ctx.close();
            return;
        }
        // Ownership of `seen` passes to the decoder, which now follows this (removed) context.
        ctx.fireChannelRead(seen);
    }

    /**
     * The format the bytes say, or null if they do not say yet.
     *
     * @param atEnd no more bytes will come: decide now
     */
    static WireFormat detect(ByteBuf buf, boolean atEnd) {
        int i = buf.readerIndex();
        int end = buf.writerIndex();
        while (i < end && isSpace(buf.getByte(i))) {
            i++;
        }
        if (i == end) {
            return atEnd || i - buf.readerIndex() > MAX_SNIFF_BYTES ? WireFormat.TEXT : null;
        }
        byte first = buf.getByte(i);
        if (first == '{') {
            return WireFormat.JSON;
        }
        if (first == '<') {
            int digits = 0;
            for (int j = i + 1; j < end; j++) {
                byte c = buf.getByte(j);
                if (isDigit(c) && digits < 3) {
                    digits++;
                } else {
                    return c == '>' && digits > 0 ? WireFormat.SYSLOG : WireFormat.TEXT;
                }
            }
            return atEnd ? WireFormat.TEXT : null;
        }
        if (isDigit(first)) {
            int digits = 0;
            for (int j = i; j < end; j++) {
                byte c = buf.getByte(j);
                if (isDigit(c) && digits < 10) {
                    digits++;
                } else if (c == ' ' && digits > 0) {
                    if (j + 1 == end) {
                        return atEnd ? WireFormat.TEXT : null;
                    }
                    return buf.getByte(j + 1) == '<' ? WireFormat.SYSLOG : WireFormat.TEXT;
                } else {
                    return WireFormat.TEXT;
                }
            }
            return atEnd ? WireFormat.TEXT : null;
        }
        return WireFormat.TEXT;
    }

    /** True when the first non-space bytes are digits, a space and {@code <}: an RFC 6587 octet count. */
    static boolean octetCounted(ByteBuf buf) {
        int i = buf.readerIndex();
        int end = buf.writerIndex();
        while (i < end && isSpace(buf.getByte(i))) {
            i++;
        }
        int digits = 0;
        while (i < end && isDigit(buf.getByte(i))) {
            digits++;
            i++;
        }
        return digits > 0 && i + 1 < end && buf.getByte(i) == ' ' && buf.getByte(i + 1) == '<';
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }
}
