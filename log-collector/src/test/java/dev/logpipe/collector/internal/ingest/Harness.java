package dev.logpipe.collector.internal.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.AppendRequest;
import dev.logpipe.filesink.LogRecord;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

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
    /** Every buffer the test wrote and the decoders allocated (cumulations). */
    private final TrackingAllocator alloc = new TrackingAllocator();

    Harness(IngestDecoderConfig cfg) {
        this(cfg, NOW);
    }

    /** A harness whose clock always says {@code nowNanos}. */
    Harness(IngestDecoderConfig cfg, long nowNanos) {
        this(cfg, () -> nowNanos);
    }

    /** A harness whose decoders read {@code clockNanos}. */
    Harness(IngestDecoderConfig cfg, LongSupplier clockNanos) {
        this.cfg = cfg;
        channel.config().setAllocator(alloc);
        IngestDecoders.install(channel.pipeline(), cfg, observer, clockNanos, ZoneOffset.UTC);
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

    /** Writes one chunk (a direct buffer, as sockets deliver); nothing once the decoders closed the channel. */
    Harness write(byte[] bytes) {
        if (!channel.isOpen()) {
            return this; // a closed connection receives nothing more
        }
        ByteBuf buf = alloc.directBuffer(Math.max(1, bytes.length)).writeBytes(bytes);
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
            // a record, or one read straight into the journal layout (decoded here, as a reader would)
            assertTrue(o instanceof LogRecord || o instanceof AppendRequest r && !r.hasReceipt(),
                    "only records leave the decoders, got " + o);
            out.add(o instanceof AppendRequest r ? r.record() : (LogRecord) o);
        }
        return out;
    }

    /**
     * Ends the input as a client does (EOF: half-close, which delivers any trailing frame), then closes
     * the channel; returns every record and asserts no leak.
     */
    List<LogRecord> finish() {
        if (channel.isOpen()) {
            channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        }
        return close();
    }

    /**
     * Closes the channel without a prior end of input, as the server does (shutdown drain, idle
     * timeout): a trailing unterminated frame is incomplete. Returns every record, asserts no leak.
     */
    List<LogRecord> close() {
        List<LogRecord> out = drain();
        channel.finish(); // rethrows anything that reached exceptionCaught at the pipeline's tail
        out.addAll(drain());
        assertFalse(channel.finishAndReleaseAll(), "nothing else may be left in the channel");
        assertReleased();
        return out;
    }

    /** Bytes of capacity in the buffers the test wrote or the decoders allocated that are still held. */
    long heldCapacity() {
        long held = 0;
        for (ByteBuf b : alloc.allocated) {
            if (b.refCnt() > 0) {
                held += b.capacity();
            }
        }
        return held;
    }

    void assertReleased() {
        for (ByteBuf b : alloc.allocated) {
            assertEquals(0, b.refCnt(), "a buffer written to or allocated by the decoders was not released");
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

    /** What one run produced: the records and the observer's calls, in order. */
    record Result(List<LogRecord> records, List<String> events) {
    }

    /** Decodes {@code input} in one buffer; returns records and observer events. */
    static Result runWhole(IngestDecoderConfig cfg, byte[] input) {
        Harness h = new Harness(cfg);
        h.write(input);
        List<LogRecord> records = h.finish();
        return new Result(records, List.copyOf(h.observer.events));
    }

    /**
     * Decodes {@code input} whole, split in two at every index, and one byte at a time, and asserts
     * that every run gives the same records and observer calls; returns them.
     */
    static Result assertSplitInvariant(IngestDecoderConfig cfg, byte[] input) {
        Result whole = runWhole(cfg, input);
        for (int i = 1; i < input.length; i++) {
            Harness h = new Harness(cfg);
            h.write(java.util.Arrays.copyOfRange(input, 0, i));
            h.write(java.util.Arrays.copyOfRange(input, i, input.length));
            List<LogRecord> records = h.finish();
            assertEquals(whole, new Result(records, List.copyOf(h.observer.events)), "split at byte " + i);
        }
        Harness h = new Harness(cfg);
        for (byte b : input) {
            h.write(new byte[] {b});
        }
        List<LogRecord> records = h.finish();
        assertEquals(whole, new Result(records, List.copyOf(h.observer.events)), "one byte at a time");
        return whole;
    }
}
