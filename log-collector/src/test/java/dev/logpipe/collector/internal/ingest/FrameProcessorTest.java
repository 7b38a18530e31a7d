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
        return (LogRecord) decode(p, frame.getBytes(StandardCharsets.UTF_8), false);
    }

    /** The frame, two bytes into a buffer, through the builder's way or the direct way. */
    private static Object decode(FrameProcessor p, byte[] frame, boolean direct) {
        ByteBuf buf = Unpooled.buffer(frame.length + 2).writeBytes(new byte[] {'x', 'x'}).writeBytes(frame);
        try {
            return direct ? p.processDirect(buf, 2, frame.length, false, null) : p.process(buf, 2, frame.length, false, null);
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

    private static String jsonOfMembers(int n, String first) {
        StringBuilder sb = new StringBuilder("{").append(first);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 && first.isEmpty() ? "" : ",").append("\"k").append(i).append("\":").append(i % 10);
        }
        return sb.append('}').toString();
    }

    @Test
    void aFrameOfMoreFieldsThanARecordIsBuiltWithIsStoredAsItsText() {
        RecordingObserver obs = new RecordingObserver();
        for (JsonLineParser parser : List.of(new JsonLineParser(true), new JsonLineParser(false))) {
            FrameProcessor p = new FrameProcessor(parser, MalformedPolicy.STORE_RAW, obs, () -> 7L);
            p.source("tcp:127.0.0.1:5000");
            // at the limit: every member a field
            LogRecord fits = process(p, jsonOfMembers(FrameProcessor.MAX_FIELDS, "\"msg\":\"m\""));
            assertEquals(FrameProcessor.MAX_FIELDS, fits.fieldCount());
            assertEquals("m", fits.message());
            // one more (95,000 here: a 1 MiB line ran the heap out on the event loops): stored as its text
            String wide = jsonOfMembers(95_000, "");
            LogRecord raw = process(p, wide);
            assertEquals(wide, raw.message());
            assertTrue(raw.hasFlag(RecordFlag.MALFORMED));
            assertEquals(FieldValue.string("too_many_fields"), raw.fields().get("logpipe.error"));
            assertEquals(1, raw.fieldCount());
            // the same through the direct way (which takes up to 32 members and leaves the rest to the parser)
            ByteBuf buf = Unpooled.copiedBuffer(wide, StandardCharsets.UTF_8);
            try {
                Object direct = p.processDirect(buf, 0, buf.readableBytes(), false, null);
                LogRecord r = direct instanceof LogRecord lr ? lr : ((dev.logpipe.filesink.EncodedRecord) direct).decode();
                assertEquals(FieldValue.string("too_many_fields"), r.fields().get("logpipe.error"));
            } finally {
                buf.release();
            }
        }
        assertTrue(obs.rejections().stream().allMatch("too_many_fields"::equals), obs.rejections().toString());
        assertEquals(4, obs.rejections().size(), obs.rejections().toString());

        StringBuilder sd = new StringBuilder("<14>1 2026-12-07T12:00:00Z h app - - [x");
        for (int i = 0; i <= FrameProcessor.MAX_FIELDS; i++) {
            sd.append(" p").append(i).append("=\"1\"");
        }
        String syslog = sd.append("] hello").toString();
        FrameProcessor p = new FrameProcessor(new SyslogParser(java.time.ZoneOffset.UTC), MalformedPolicy.STORE_RAW,
                obs, () -> 7L);
        LogRecord raw = process(p, syslog);
        assertEquals(syslog, raw.message());
        assertEquals(FieldValue.string("too_many_fields"), raw.fields().get("logpipe.error"));
        // a param repeated many times is one field (a JSON array): within the limit
        String repeated = "<14>1 2026-12-07T12:00:00Z h app - - [x" + " p=\"1\"".repeat(10_000) + "] hello";
        LogRecord one = process(p, repeated);
        assertEquals("hello", one.message());
        assertEquals(1, one.fieldCount());
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

    /** What the direct way gave, as a record (an encoded one decoded). */
    private static LogRecord asRecord(Object decoded) {
        return decoded instanceof dev.logpipe.filesink.EncodedRecord e ? e.decode() : (LogRecord) decoded;
    }

    private static FrameProcessor auto(RecordingObserver obs) {
        FrameProcessor p = new FrameProcessor(new AutoLineParser(new JsonLineParser(), new SyslogParser(java.time.ZoneOffset.UTC),
                new TextParser()), MalformedPolicy.STORE_RAW, obs, () -> 7L);
        p.source("tcp:127.0.0.1:5000");
        return p;
    }

    private static byte[] bytes(Object... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (Object part : parts) {
            out.writeBytes(part instanceof byte[] b ? b : part.toString().getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    /**
     * The direct way (a frame straight into the journal layout) stores what the builder's way makes:
     * the same record, flags included, and the same counts, whatever the frame holds (other UTF-8,
     * invalid UTF-8, DEL, controls, garbage, nested JSON, syslog, text).
     */
    @Test
    void theDirectWayStoresWhatTheBuildersWayMakesWhateverTheFrameHolds() {
        byte[] del = {0x7F};
        byte[][] frames = {
            bytes("{\"ts\":\"2026-12-07T10:00:00.5Z\",\"level\":\"info\",\"msg\":\"plain ascii\",\"n\":1}"),
            bytes("{\"msg\":\"caf\u00e9 \u65e5\u672c \ud83d\ude00 raw UTF-8\"}"),
            bytes("{\"msg\":\"invalid ", new byte[] {(byte) 0xFF}, " byte\"}"),
            bytes("{\"msg\":\"cut ", new byte[] {(byte) 0xC3}, "\",\"k\":1}"),
            bytes("{\"msg\":\"overlong ", new byte[] {(byte) 0xC0, (byte) 0xAF}, "\"}"),
            bytes("{\"msg\":\"surrogate ", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, "\"}"),
            bytes("{\"msg\":\"one DEL ", del, "\"}"),
            bytes("{\"m\":\"", del, del, del, del, del, del, del, del, del, del, del, del, "\"}"), // mostly DEL: garbage
            bytes("{\"m\":\"", "\u007f".repeat(40), "\",\"k\":\"abcdefgh\"}"), // mostly DEL, a longer line
            bytes("{\"k", del, "\":\"DEL in a key\"}"),
            bytes("{\"k", new byte[] {(byte) 0xC3, (byte) 0xA9}, "\":\"UTF-8 in a key\"}"),
            bytes("{\"k", new byte[] {(byte) 0xFE}, "\":\"invalid in a key\"}"),
            bytes("{\"msg\":\"ctl ", new byte[] {1}, "\"}"),
            bytes("{\"msg\":\"nul ", new byte[] {0}, "\"}"),
            bytes("{\"msg\":\"tab\tin a string\"}"),
            bytes(" \t{ \"msg\" :\t\"spaces\" }\r"),
            bytes("{\"msg\":\"nested\",\"ctx\":{\"a\":1}}"),
            bytes("{\"msg\":\"trailing\"} ", new byte[] {(byte) 0xFF}),
            bytes("{\"msg\":\"escaped \\u00e9 \\u007f stays ASCII\"}"),
            bytes("not json ", new byte[] {(byte) 0xFF}),
            bytes("<14>1 2026-12-07T10:00:00Z h app - - - syslog"),
            // short lines
            bytes("{\"m\":\"", new byte[] {(byte) 0xFF}, "\"}"),
            bytes("{\"m\":\"", del, "\"}"),
            bytes("{\"m\":\"\u00e9\"}"),
        };
        for (byte[] frame : frames) {
            RecordingObserver fast = new RecordingObserver();
            RecordingObserver checked = new RecordingObserver();
            LogRecord got = asRecord(decode(auto(fast), frame, true));
            LogRecord expected = (LogRecord) decode(auto(checked), frame, false);
            String what = new String(frame, StandardCharsets.ISO_8859_1);
            assertEquals(expected, got, () -> "frame: " + what);
            assertEquals(checked.events, fast.events, () -> "counts of frame: " + what);
        }

        // one connection, frames of every kind in a random order
        java.util.Random rnd = new java.util.Random(7);
        RecordingObserver fast = new RecordingObserver();
        RecordingObserver checked = new RecordingObserver();
        FrameProcessor direct = auto(fast);
        FrameProcessor builder = auto(checked);
        int encoded = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] frame = rnd.nextInt(4) == 0 ? frames[rnd.nextInt(frames.length)] : frames[0];
            Object d = decode(direct, frame, true);
            encoded += d instanceof dev.logpipe.filesink.EncodedRecord ? 1 : 0;
            assertEquals(decode(builder, frame, false), asRecord(d));
        }
        assertTrue(encoded > 10_000, "most frames went the direct way: " + encoded);
        assertEquals(checked.events, fast.events);
    }
}
