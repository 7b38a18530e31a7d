package dev.logpipe.collector.internal.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.LogRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs bytes through the decoder chain on an {@link EmbeddedChannel} with a fixed clock (so records
 * from different runs compare equal) and checks that every buffer written was released.
 */
final class Harness {

    /** The fixed receive time: 2024-03-10T12:00:00Z. */
    static final long NOW = Instant.parse("2024-03-10T12:00:00Z").getEpochSecond() * 1_000_000_000L;

    final IngestDecoderConfig cfg;
    final RecordingObserver observer = new RecordingObserver();
    final EmbeddedChannel channel = new EmbeddedChannel();
    private final List<ByteBuf> written = new ArrayList<>();

    Harness(IngestDecoderConfig cfg) {
        this.cfg = cfg;
        IngestDecoders.install(channel.pipeline(), cfg, observer, () -> NOW, ZoneOffset.UTC);
    }

    static Harness of(WireFormat format) {
        return new Harness(IngestDecoderConfig.defaults().withFormat(format));
    }

    static Harness of(WireFormat format, int maxFrameBytes, OversizePolicy oversize, MalformedPolicy malformed) {
        return new Harness(new IngestDecoderConfig(format, maxFrameBytes, oversize, malformed));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Writes one chunk (a direct buffer, as sockets deliver). */
    Harness write(byte[] bytes) {
        ByteBuf buf = Unpooled.directBuffer(Math.max(1, bytes.length)).writeBytes(bytes);
        written.add(buf);
        channel.writeInbound(buf);
        return this;
    }

    Harness write(String s) {
        return write(utf8(s));
    }

    /** Records fired so far. */
    List<LogRecord> drain() {
        List<LogRecord> out = new ArrayList<>();
        Object o;
        while ((o = channel.readInbound()) != null) {
            assertTrue(o instanceof LogRecord, "only LogRecords leave the decoders, got " + o.getClass());
            out.add((LogRecord) o);
        }
        return out;
    }

    /** Closes the channel (delivering any trailing frame), returns every record, asserts no leak. */
    List<LogRecord> finish() {
        List<LogRecord> out = drain();
        channel.finish();
        out.addAll(drain());
        assertFalse(channel.finishAndReleaseAll(), "nothing else may be left in the channel");
        assertReleased();
        return out;
    }

    void assertReleased() {
        for (ByteBuf b : written) {
            assertEquals(0, b.refCnt(), "a buffer written to the decoders was not released");
        }
    }

    /** Decodes {@code bytes} written as the given chunks; returns the records. */
    static List<LogRecord> run(IngestDecoderConfig cfg, byte[]... chunks) {
        Harness h = new Harness(cfg);
        for (byte[] c : chunks) {
            h.write(c);
        }
        return h.finish();
    }
}
