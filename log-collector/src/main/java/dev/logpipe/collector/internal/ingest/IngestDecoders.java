package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.LogRecord;
import io.netty.channel.ChannelPipeline;
import java.time.ZoneId;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Installs the ingest decoder chain on a connection's pipeline: the handlers that turn TCP bytes into
 * {@link LogRecord}s, fired one per frame with {@code ctx.fireChannelRead(record)}.
 *
 * <p>With {@link WireFormat#AUTO} the chain is a sniffer ({@value #SNIFFER_NAME}) that looks at the
 * first bytes and replaces itself, in place, with the decoder ({@value #DECODER_NAME}): a syslog
 * decoder when they are an RFC 6587 octet count, else a newline decoder that detects the format of
 * each frame ({@link AutoLineParser}); with a fixed format the decoder is installed at once. Handlers added
 * after {@code install} (the server's backpressure handler) therefore always follow the decoder.
 *
 * <p>What the records carry: {@code source} is {@code tcp:HOST:PORT} of the peer ({@code [v6]:port}
 * for IPv6), {@code receiveTimeNanos} is stamped when the frame is decoded, and the event time is the
 * sender's or, when it gave none, the receive time. Bad input never throws: it is counted on the
 * {@link IngestObserver} and stored raw or dropped by the {@code MalformedPolicy}. Records are fired
 * in frame order; after each record, if the channel's {@code autoRead} is off, the decoder stops and
 * holds the rest until the next {@code read()} (see {@link IngestFrameDecoder}).
 *
 * <p>Threading: {@code install} may be called from any thread (typically a
 * {@code ChannelInitializer}); the handlers it adds are confined to the channel's event loop and are
 * per connection. RFC 3164 timestamps, which carry no zone, are read in the JVM's default zone.
 */
public final class IngestDecoders {

    /** Name of the format sniffer in the pipeline (AUTO only, until it has decided). */
    public static final String SNIFFER_NAME = "logpipe-ingest-sniffer";
    /** Name of the frame decoder in the pipeline. */
    public static final String DECODER_NAME = "logpipe-ingest-decoder";

    private IngestDecoders() {
    }

    /**
     * Adds the decoder chain at the end of {@code p}.
     *
     * @param p a new connection's pipeline
     * @param cfg the listener's decoder settings
     * @param obs receives the counts; called on the event loop, must not block
     */
    public static void install(ChannelPipeline p, IngestDecoderConfig cfg, IngestObserver obs) {
        install(p, cfg, obs, LogRecord::nowNanos, ZoneId.systemDefault());
    }

    /** {@link #install(ChannelPipeline, IngestDecoderConfig, IngestObserver)} with a clock and zone, for tests. */
    static void install(ChannelPipeline p, IngestDecoderConfig cfg, IngestObserver obs, LongSupplier clockNanos,
                        ZoneId zone) {
        Objects.requireNonNull(p, "p");
        Objects.requireNonNull(cfg, "cfg");
        Objects.requireNonNull(obs, "obs");
        Objects.requireNonNull(clockNanos, "clockNanos");
        Objects.requireNonNull(zone, "zone");
        if (cfg.format() == WireFormat.AUTO) {
            p.addLast(SNIFFER_NAME, new FormatSniffHandler(f -> newDecoder(f, cfg, obs, clockNanos, zone)));
        } else {
            p.addLast(DECODER_NAME, newDecoder(cfg.format(), cfg, obs, clockNanos, zone));
        }
    }

    static IngestFrameDecoder newDecoder(WireFormat format, IngestDecoderConfig cfg, IngestObserver obs,
                                         LongSupplier clockNanos, ZoneId zone) {
        FrameParser parser = switch (format) {
            case JSON -> new JsonLineParser();
            case SYSLOG -> new SyslogParser(zone);
            case TEXT -> new TextParser();
            // AUTO here: a newline-framed connection whose frames each say their own format
            case AUTO -> new AutoLineParser(new JsonLineParser(), new SyslogParser(zone), new TextParser());
        };
        FrameProcessor processor = new FrameProcessor(parser, cfg.malformed(), obs, clockNanos);
        return new IngestFrameDecoder(processor, cfg.maxFrameBytes(), cfg.oversize(), format == WireFormat.SYSLOG,
                obs);
    }
}
