package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.WireFormat;
import java.util.Objects;

/**
 * The settings of one listener's decoder chain.
 *
 * <p>Threading: immutable, thread-safe; one instance may serve every connection of a listener.
 *
 * @param format the wire format, or {@link WireFormat#AUTO} to detect it per connection
 * @param maxFrameBytes the longest frame kept whole, in bytes, not counting its delimiter or octet
 *     count header; at least 16
 * @param oversize what to do with a longer frame
 * @param malformed what to do with a frame that cannot be parsed
 */
public record IngestDecoderConfig(WireFormat format, int maxFrameBytes, OversizePolicy oversize,
                                  MalformedPolicy malformed) {

    /** The default maximum frame size: 1 MiB. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 1 << 20;

    /** The smallest maximum frame size accepted; below it not even a syslog header fits. */
    public static final int MIN_MAX_FRAME_BYTES = 16;

    public IngestDecoderConfig {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(oversize, "oversize");
        Objects.requireNonNull(malformed, "malformed");
        if (maxFrameBytes < MIN_MAX_FRAME_BYTES || maxFrameBytes > Integer.MAX_VALUE - 2) {
            throw new IllegalArgumentException("maxFrameBytes must be at least " + MIN_MAX_FRAME_BYTES
                    + ", was " + maxFrameBytes);
        }
    }

    /** AUTO, 1 MiB, {@link OversizePolicy#TRUNCATE}, {@link MalformedPolicy#STORE_RAW}. */
    public static IngestDecoderConfig defaults() {
        return new IngestDecoderConfig(WireFormat.AUTO, DEFAULT_MAX_FRAME_BYTES, OversizePolicy.TRUNCATE,
                MalformedPolicy.STORE_RAW);
    }

    /** This configuration with another format. */
    public IngestDecoderConfig withFormat(WireFormat newFormat) {
        return new IngestDecoderConfig(newFormat, maxFrameBytes, oversize, malformed);
    }

    /** This configuration with another maximum frame size. */
    public IngestDecoderConfig withMaxFrameBytes(int newMaxFrameBytes) {
        return new IngestDecoderConfig(format, newMaxFrameBytes, oversize, malformed);
    }

    /** This configuration with another oversize policy. */
    public IngestDecoderConfig withOversize(OversizePolicy newOversize) {
        return new IngestDecoderConfig(format, maxFrameBytes, newOversize, malformed);
    }
}
