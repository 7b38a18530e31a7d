package dev.logpipe.collector.internal.ingest;

import static dev.logpipe.collector.internal.ingest.Harness.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link WireFormat#AUTO}: the format is detected from a connection's first bytes. */
class FormatDetectionTest {

    private static final IngestDecoderConfig AUTO = IngestDecoderConfig.defaults();

    private static List<LogRecord> auto(String stream) {
        return Harness.assertSplitInvariant(AUTO, utf8(stream)).records();
    }

    private static WireFormat detect(String prefix, boolean atEnd) {
        ByteBuf b = Unpooled.wrappedBuffer(utf8(prefix));
        try {
            return FormatSniffHandler.detect(b, atEnd);
        } finally {
            b.release();
        }
    }

    @Test
    void jsonAfterOptionalWhitespace() {
        List<LogRecord> r = auto(" \r\n\t{\"msg\":\"a\"}\n{\"msg\":\"b\"}\n");
        assertEquals(List.of("a", "b"), r.stream().map(LogRecord::message).toList());
        r.forEach(rec -> assertEquals(SourceFormat.JSON, rec.format()));
    }

    @Test
    void syslogWithLfFraming() {
        List<LogRecord> r = auto("<34>Oct 11 22:14:15 mymachine su: failed\n<13>1 - h app - - - five\n");
        assertEquals(SourceFormat.SYSLOG_3164, r.get(0).format());
        assertEquals(SourceFormat.SYSLOG_5424, r.get(1).format());
        assertEquals(List.of("failed", "five"), r.stream().map(LogRecord::message).toList());
    }

    @Test
    void eachNewlineFrameIsParsedInItsOwnFormat() {
        List<LogRecord> r = auto("<13>1 - h app - - - first\n{\"msg\":\"second\",\"level\":\"warn\"}\nthird, plain\n"
                + "  {\"msg\":\"fourth\"}\n<34>Oct 11 22:14:15 mymachine su: fifth\n");
        assertEquals(List.of("first", "second", "third, plain", "fourth", "fifth"),
                r.stream().map(LogRecord::message).toList());
        assertEquals(List.of(SourceFormat.SYSLOG_5424, SourceFormat.JSON, SourceFormat.TEXT, SourceFormat.JSON,
                SourceFormat.SYSLOG_3164), r.stream().map(LogRecord::format).toList());
        r.forEach(rec -> assertFalse(rec.hasFlag(RecordFlag.MALFORMED), rec.toString()));
    }

    @Test
    void anOctetCountedConnectionStaysSyslog() {
        // after an octet count, a frame that looks like JSON is a syslog message, not a JSON record
        List<LogRecord> r = auto("23 <13>1 - h app - - - one13 {\"msg\":\"x\"}");
        assertEquals(SourceFormat.SYSLOG_5424, r.get(0).format());
        assertEquals(2, r.size());
        assertTrue(r.get(1).format() != SourceFormat.JSON, r.get(1).toString());
    }

    @Test
    void syslogWithOctetCounting() {
        List<LogRecord> r = auto("23 <13>1 - h app - - - one23 <13>1 - h app - - - two");
        assertEquals(List.of("one", "two"), r.stream().map(LogRecord::message).toList());
        r.forEach(rec -> assertEquals(SourceFormat.SYSLOG_5424, rec.format()));
    }

    @Test
    void everythingElseIsText() {
        for (String s : new String[] {"hello world\n", "<abc> not syslog\n", "<1234> too many digits\n",
            "123 abc\n", "12345678901 <13>x\n", "[1,2]\n"}) {
            List<LogRecord> r = auto(s);
            assertEquals(1, r.size(), s);
            assertEquals(SourceFormat.TEXT, r.get(0).format(), s);
            assertEquals(s.trim(), r.get(0).message());
            assertFalse(r.get(0).hasFlag(RecordFlag.MALFORMED));
        }
    }

    @Test
    void aConnectionThatEndsBeforeTheDecisionIsText() {
        assertEquals(List.of("<13"), auto("<13").stream().map(LogRecord::message).toList());
        assertEquals(List.of("12"), auto("12").stream().map(LogRecord::message).toList());
        assertEquals(List.of("12 "), auto("12 ").stream().map(LogRecord::message).toList());
        assertEquals(List.of(), auto(" \n "), "whitespace only: nothing to store");
        Harness h = new Harness(AUTO);
        assertEquals(List.of(), h.finish(), "no bytes at all");
    }

    @Test
    void theSnifferWaitsForJustEnoughBytes() {
        assertNull(detect("", false));
        assertNull(detect("  \n", false));
        assertNull(detect("<", false));
        assertNull(detect("<13", false));
        assertNull(detect("123", false));
        assertNull(detect("123 ", false));
        assertEquals(WireFormat.JSON, detect("{", false));
        assertEquals(WireFormat.SYSLOG, detect("<1>", false));
        assertEquals(WireFormat.SYSLOG, detect("5 <", false));
        assertEquals(WireFormat.TEXT, detect("<13x", false));
        assertEquals(WireFormat.TEXT, detect("12 x", false));
        assertEquals(WireFormat.TEXT, detect("h", false));
        assertEquals(WireFormat.TEXT, detect(" ".repeat(FormatSniffHandler.MAX_SNIFF_BYTES + 1), false));
    }

    @Test
    void theSnifferLeavesThePipelineWithJustTheDecoder() {
        Harness h = new Harness(AUTO);
        assertNotNull(h.channel.pipeline().get(IngestDecoders.SNIFFER_NAME));
        h.write("{\"m");
        assertNull(h.channel.pipeline().get(IngestDecoders.SNIFFER_NAME));
        assertTrue(h.channel.pipeline().get(IngestDecoders.DECODER_NAME) instanceof IngestFrameDecoder);
        h.write("sg\":\"x\"}\n");
        assertEquals("x", h.finish().get(0).message());
    }

    @Test
    void fixedFormatsDoNotSniff() {
        Harness h = Harness.of(WireFormat.TEXT);
        assertNull(h.channel.pipeline().get(IngestDecoders.SNIFFER_NAME));
        h.write("{\"msg\":\"x\"}\n");
        LogRecord r = h.finish().get(0);
        assertEquals(SourceFormat.TEXT, r.format());
        assertEquals("{\"msg\":\"x\"}", r.message());
    }
}
