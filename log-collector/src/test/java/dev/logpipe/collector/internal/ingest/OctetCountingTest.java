package dev.logpipe.collector.internal.ingest;

import static dev.logpipe.collector.internal.ingest.Harness.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 6587 framing: octet counting and LF framing, detected per frame on syslog connections. */
class OctetCountingTest {

    private static final IngestDecoderConfig SYSLOG = IngestDecoderConfig.defaults().withFormat(WireFormat.SYSLOG);

    /** {@code LEN SP MSG} with the length in UTF-8 bytes. */
    private static String octet(String msg) {
        return utf8(msg).length + " " + msg;
    }

    private static List<String> messages(List<LogRecord> records) {
        return records.stream().map(LogRecord::message).toList();
    }

    private static String error(LogRecord r) {
        FieldValue v = r.fields().get("logpipe.error");
        return v == null ? null : v.text();
    }

    @Test
    void octetCountedFramesCarryNewlinesAndNonAscii() {
        String stream = octet("<13>1 2024-03-10T11:00:00Z h app - - - first\nsecond line")
                + octet("<13>1 - h app - - - grüße 中文")
                + octet("<13>Mar 10 11:00:00 h app: bsd in octets");
        Harness.Result r = Harness.assertSplitInvariant(SYSLOG, utf8(stream));
        assertEquals(List.of("first\nsecond line", "grüße 中文", "bsd in octets"), messages(r.records()));
        r.records().forEach(rec -> assertTrue(rec.flags().isEmpty(), rec::toString));
        assertEquals(List.of(), r.events().stream().filter(e -> e.startsWith("rejected")).toList());
    }

    @Test
    void octetAndLfFramingMixPerFrameAndTrailingNewlinesAreTolerated() {
        String stream = octet("<13>1 - h a - - - one") + "\n"
                + "<13>1 - h a - - - two\r\n"
                + octet("<13>1 - h a - - - three\n")
                + "<13>1 - h a - - - four";
        Harness.Result r = Harness.assertSplitInvariant(SYSLOG, utf8(stream));
        assertEquals(List.of("one", "two", "three", "four"), messages(r.records()));
        r.records().forEach(rec -> assertFalse(rec.hasFlag(RecordFlag.MALFORMED), rec::toString));
    }

    @Test
    void aCountThatIsNotACountFallsBackToTheLine() {
        String stream = octet("<13>1 - h a - - - good")
                + "12x <13>1 - h a - - - liar\n"
                + octet("<13>1 - h a - - - good again");
        Harness.Result r = Harness.assertSplitInvariant(SYSLOG, utf8(stream));
        assertEquals(List.of("good", "12x <13>1 - h a - - - liar", "good again"), messages(r.records()));
        assertEquals("bad_octet_count", error(r.records().get(1)));
        assertTrue(r.records().get(1).hasFlag(RecordFlag.MALFORMED));
        assertEquals(List.of("bad_octet_count"), r.events().stream().filter(e -> e.startsWith("rejected"))
                .map(e -> e.substring(9)).toList());
    }

    @Test
    void anElevenDigitCountIsNotHonoured() {
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.SYSLOG, 64, OversizePolicy.TRUNCATE,
                MalformedPolicy.STORE_RAW);
        String stream = "99999999999 <13>1 - h a - - - eleven digits\n" + octet("<13>1 - h a - - - fine");
        Harness.Result r = Harness.assertSplitInvariant(cfg, utf8(stream));
        assertEquals(List.of("99999999999 <13>1 - h a - - - eleven digits", "fine"), messages(r.records()));
        assertEquals("bad_octet_count", error(r.records().get(0)));
        assertEquals(null, error(r.records().get(1)));
    }

    /**
     * An octet-counted frame over the limit, sent as octet senders do (no LF after it), between others:
     * its head is kept flagged, exactly its count is skipped, and the frames after it are all there. It
     * used to be taken for a lying count and read up to an LF that never came: everything after it on
     * the connection was lost, uncounted.
     */
    @Test
    void anOverLimitFrameIsCutAndExactlyItsCountSkipped() {
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.SYSLOG, 64, OversizePolicy.TRUNCATE,
                MalformedPolicy.STORE_RAW);
        String big = "<13>1 - h a - - - " + "x".repeat(40) + "ü".repeat(30) + " end of the long one";
        StringBuilder stream = new StringBuilder(octet("<13>1 - h a - - - before") + octet(big));
        List<String> after = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            after.add("after " + i);
            stream.append(octet("<13>1 - h a - - - after " + i));
        }
        Harness.Result r = Harness.assertSplitInvariant(cfg, utf8(stream.toString()));
        List<LogRecord> recs = r.records();
        assertEquals(7, recs.size(), recs::toString);
        assertEquals("before", recs.get(0).message());
        LogRecord cut = recs.get(1);
        assertTrue(cut.hasFlag(RecordFlag.TRUNCATED), cut::toString);
        assertFalse(cut.hasFlag(RecordFlag.MALFORMED), "its header survived the cut: " + cut);
        assertEquals("x".repeat(40) + "ü".repeat(3), cut.message(), "64 bytes, backed off to a whole character");
        assertEquals(after, messages(recs.subList(2, 7)));
        assertEquals(List.of(), r.events().stream().filter(e -> e.startsWith("rejected")).toList());
    }

    @Test
    void anOverLimitFrameClosesTheConnectionUnderClose() {
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.SYSLOG, 64, OversizePolicy.CLOSE,
                MalformedPolicy.STORE_RAW);
        String stream = octet("<13>1 - h a - - - before") + octet("<13>1 - h a - - - " + "x".repeat(80))
                + octet("<13>1 - h a - - - not read");
        Harness.Result r = Harness.assertSplitInvariant(cfg, utf8(stream));
        assertEquals(List.of("before"), messages(r.records()));
        assertTrue(r.events().contains("rejected oversize"), r.events().toString());
    }

    @Test
    void anOverLimitNumberThatIsNotFollowedByAPriIsNotACount() {
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.SYSLOG, 64, OversizePolicy.TRUNCATE,
                MalformedPolicy.STORE_RAW);
        // a fresh connection: a line that starts with a number (an epoch time, say) stays a line
        Harness.Result fresh = Harness.assertSplitInvariant(cfg, utf8("1733512345 started\n" + octet("<13>1 - h a - - - next")));
        assertEquals(2, fresh.records().size(), fresh.records()::toString);
        assertEquals("next", fresh.records().get(1).message());
        assertEquals(null, error(fresh.records().get(1)));
        assertFalse(fresh.records().get(0).message().isEmpty());
        assertTrue(fresh.events().stream().noneMatch(e -> e.contains("octet")), fresh.events().toString());
        // after counted frames: a count that lies (no PRI after it) is taken as the rest of a line
        Harness.Result counted = Harness.assertSplitInvariant(cfg,
                utf8(octet("<13>1 - h a - - - first") + "1733512345 x\n" + octet("<13>1 - h a - - - next")));
        assertEquals(List.of("first", "1733512345 x", "next"), messages(counted.records()));
        assertEquals("bad_octet_count", error(counted.records().get(1)));
    }

    @Test
    void aCountTooShortIsFoundAtTheNextFrame() {
        String stream = "10 <13>1 - h a - - - the count is short\n" + octet("<13>1 - h a - - - next");
        Harness.Result r = Harness.assertSplitInvariant(SYSLOG, utf8(stream));
        assertEquals(List.of("<13>1 - h ", "a - - - the count is short", "next"), messages(r.records()));
        assertEquals("bad_syslog_header", error(r.records().get(0)), "the cut frame itself is broken");
        assertEquals("bad_octet_count", error(r.records().get(1)), "its tail is the count's lie");
        assertEquals(null, error(r.records().get(2)));
    }

    @Test
    void aCountTooLongSwallowsIntoTheNextFrameAndResynchronises() {
        String stream = "30 <13>1 - h a - - - short\n" + octet("<13>1 - h a - - - victim") + "\n"
                + "<13>1 - h a - - - after\n";
        Harness.Result r = Harness.assertSplitInvariant(SYSLOG, utf8(stream));
        List<LogRecord> recs = r.records();
        assertEquals(3, recs.size(), recs::toString);
        assertEquals(null, error(recs.get(0)), "the long count is plausible: its frame parses");
        assertEquals("short\n24 <13", recs.get(0).message(), "30 bytes: its own 24 and 6 of the next frame");
        assertEquals(">1 - h a - - - victim", recs.get(1).message());
        assertEquals("bad_octet_count", error(recs.get(1)));
        assertEquals("after", recs.get(2).message());
    }

    /**
     * Octet-counting senders put nothing between frames, so after a count that lied there is no LF to
     * find the next frame by: the tail of the broken frame ends at the next {@code LEN SP <PRI>}. A count
     * made in characters rather than bytes (one "ü") used to merge or drop every later frame of the
     * connection; now the frames after it are all there.
     */
    @Test
    void aWrongCountWithoutLineBreaksResynchronisesAtTheNextFrameHeader() {
        String broken = "<13>1 - h a - - - grüße";
        // counted in characters: one short
        StringBuilder stream = new StringBuilder(octet("<13>1 - h a - - - first"));
        stream.append(broken.length()).append(' ').append(broken);
        List<String> after = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            after.add("after " + i);
            stream.append(octet("<13>1 - h a - - - after " + i));
        }
        Harness.Result r = Harness.assertSplitInvariant(SYSLOG, utf8(stream.toString()));
        List<LogRecord> recs = r.records();
        assertEquals("first", recs.get(0).message());
        assertEquals(after, messages(recs.subList(recs.size() - 20, recs.size())), "every frame after the lie");
        assertEquals(23, recs.size(), "the broken frame's head and its one-byte tail between them: " + recs);
        assertEquals("bad_octet_count", error(recs.get(2)));

        // one too long: the frame takes the next frame's first byte; that frame's rest is the broken tail
        StringBuilder longer = new StringBuilder(octet("<13>1 - h a - - - first"));
        String msg = "<13>1 - h a - - - counted one too many";
        longer.append(utf8(msg).length + 1).append(' ').append(msg);
        for (int i = 0; i < 20; i++) {
            longer.append(octet("<13>1 - h a - - - after " + i));
        }
        Harness.Result l = Harness.assertSplitInvariant(SYSLOG, utf8(longer.toString()));
        List<LogRecord> lr = l.records();
        assertEquals(after.subList(1, 20), messages(lr.subList(lr.size() - 19, lr.size())),
                "only the frame whose first byte was taken is lost to the lie: " + lr);
        assertTrue(l.events().contains("rejected bad_octet_count"), l.events().toString());
    }

    @Test
    void aCutBrokenFrameIsDiscardedOnlyUpToTheNextFrameHeader() {
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.SYSLOG, 64, OversizePolicy.TRUNCATE,
                MalformedPolicy.STORE_RAW);
        // a count that lies (no space after it) followed by 200 bytes without an LF, then frames
        String stream = octet("<13>1 - h a - - - first") + "12x" + "y".repeat(200)
                + octet("<13>1 - h a - - - next") + octet("<13>1 - h a - - - last");
        Harness.Result r = Harness.assertSplitInvariant(cfg, utf8(stream));
        assertEquals(List.of("first", "12x" + "y".repeat(61), "next", "last"), messages(r.records()));
        assertTrue(r.records().get(1).hasFlag(RecordFlag.TRUNCATED));
        assertEquals("bad_octet_count", error(r.records().get(1)));
    }

    @Test
    void aFrameCutShortByTheEndOfInputIsIncomplete() {
        Harness.Result r = Harness.assertSplitInvariant(SYSLOG,
                utf8(octet("<13>1 - h a - - - whole") + "100 <13>1 - h a - - - partial"));
        assertEquals(List.of("whole", "<13>1 - h a - - - partial"), messages(r.records()));
        assertEquals("incomplete_frame", error(r.records().get(1)));

        Harness.Result noBody = Harness.assertSplitInvariant(SYSLOG, utf8(octet("<13>1 - h a - - - whole") + "12 "));
        assertEquals(List.of("whole"), messages(noBody.records()));
        assertTrue(noBody.events().contains("rejected incomplete_frame"), "counted though nothing can be stored");

        Harness.Result header = Harness.assertSplitInvariant(SYSLOG, utf8(octet("<13>1 - h a - - - whole") + "12"));
        assertEquals(List.of("whole", "12"), messages(header.records()));
        assertEquals("bad_octet_count", error(header.records().get(1)));
    }

    @Test
    void rsyslogOctetCountedForwarding() {
        String a = "<30>1 2024-03-10T11:59:58.123456+01:00 web1 sshd 1234 - - Accepted publickey for bob";
        String b = "<13>1 2024-03-10T11:59:59.000001+00:00 myhost myuser - - [timeQuality tzKnown=\"1\"] logger line";
        Harness.Result r = Harness.assertSplitInvariant(SYSLOG, utf8(octet(a) + octet(b)));
        assertEquals(List.of("Accepted publickey for bob", "logger line"), messages(r.records()));
        assertEquals("web1", r.records().get(0).host());
        assertEquals(List.of("decoded SYSLOG_5424 " + utf8(a).length, "decoded SYSLOG_5424 " + utf8(b).length),
                r.events());
    }

    @Test
    void oversizeLinesInSyslogFollowThePolicy() {
        IngestDecoderConfig truncate = new IngestDecoderConfig(WireFormat.SYSLOG, 24, OversizePolicy.TRUNCATE,
                MalformedPolicy.STORE_RAW);
        Harness.Result r = Harness.assertSplitInvariant(truncate,
                utf8("<13>1 - h a - - - this message is far too long\n<13>1 - h a - - - ok\n"));
        assertEquals(List.of("this m", "ok"), messages(r.records()));
        assertTrue(r.records().get(0).hasFlag(RecordFlag.TRUNCATED));
        assertFalse(r.records().get(0).hasFlag(RecordFlag.MALFORMED), "the header survived the cut");

        IngestDecoderConfig close = truncate.withOversize(OversizePolicy.CLOSE);
        Harness.Result c = Harness.assertSplitInvariant(close,
                utf8("<13>1 - h a - - - ok\n<13>1 - h a - - - this message is far too long\n<13>1 - h a - - - x\n"));
        assertEquals(List.of("ok"), messages(c.records()));
        assertTrue(c.events().contains("rejected oversize"));
    }

    @Test
    void onAConnectionThatNeverCountedALeadingDigitIsJustALine() {
        Harness.Result r = Harness.assertSplitInvariant(SYSLOG,
                utf8("2024-03-10T11:00:00Z host app[7]: no PRI\n" + octet("<13>1 - h a - - - counted")
                        + "\n3x not a count any more\n"));
        List<LogRecord> recs = r.records();
        assertEquals(List.of("no PRI", "counted", "3x not a count any more"), messages(recs));
        assertEquals(null, error(recs.get(0)));
        assertEquals("host", recs.get(0).host());
        assertEquals("app", recs.get(0).service());
        assertEquals(13, recs.get(0).syslog().pri(), "no PRI: user.notice");
        assertEquals("bad_octet_count", error(recs.get(2)), "after counting, a digit starts a count");
    }
}
