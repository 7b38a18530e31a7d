package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.RejectReason;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameProcessorTest {

    /** A parser with a bug: it throws. */
    private static final FrameParser THROWING = new FrameParser() {
        @Override
        public RejectReason parse(FrameText frame, LogRecord.Builder b, long receiveTimeNanos) {
            throw new IllegalStateException("bug");
        }

        @Override
        public SourceFormat formatOf(FrameText frame) {
            return SourceFormat.TEXT;
        }
    };

    private static LogRecord process(FrameProcessor p, String frame) {
        ByteBuf buf = Unpooled.copiedBuffer("xx" + frame, StandardCharsets.UTF_8);
        try {
            return p.process(buf, 2, buf.readableBytes() - 2, false, null);
        } finally {
            buf.release();
        }
    }

    @Test
    void aParserBugBecomesARawRecordNotAnException() {
        RecordingObserver obs = new RecordingObserver();
        FrameProcessor p = new FrameProcessor(THROWING, MalformedPolicy.STORE_RAW, obs, () -> 7L);
        p.source("tcp:127.0.0.1:5000");
        LogRecord r = process(p, "payload");
        assertEquals("payload", r.message());
        assertTrue(r.hasFlag(RecordFlag.MALFORMED));
        assertEquals(FieldValue.string("decoder_error"), r.fields().get("logpipe.error"));
        assertEquals("tcp:127.0.0.1:5000", r.source());
        assertEquals(7L, r.receiveTimeNanos());
        assertEquals(List.of("rejected decoder_error", "decoded TEXT 7"), obs.events);

        FrameProcessor dropping = new FrameProcessor(THROWING, MalformedPolicy.DROP, obs, () -> 7L);
        assertNull(process(dropping, "payload"));
    }

    @Test
    void readsOnlyItsRangeOfTheBuffer() {
        RecordingObserver obs = new RecordingObserver();
        FrameProcessor p = new FrameProcessor(new TextParser(), MalformedPolicy.STORE_RAW, obs, () -> 7L);
        assertEquals("abc", process(p, "abc").message());
        assertNull(process(p, " \t\r"), "blank");
        assertEquals(List.of("decoded TEXT 3"), obs.events);
    }

    @Test
    void sourceIsTcpHostPort() {
        assertEquals("tcp:127.0.0.1:5140", IngestFrameDecoder.sourceOf(new InetSocketAddress("127.0.0.1", 5140)));
        assertEquals("tcp:[0:0:0:0:0:0:0:1]:9", IngestFrameDecoder.sourceOf(new InetSocketAddress("::1", 9)));
        assertEquals("tcp:", IngestFrameDecoder.sourceOf(null));
    }

    @Test
    void configDefaultsAndValidation() {
        IngestDecoderConfig d = IngestDecoderConfig.defaults();
        assertEquals(new IngestDecoderConfig(WireFormat.AUTO, 1 << 20, OversizePolicy.TRUNCATE, MalformedPolicy.STORE_RAW), d);
        assertThrows(IllegalArgumentException.class, () -> d.withMaxFrameBytes(15));
        assertThrows(NullPointerException.class, () -> d.withFormat(null));
    }
}
