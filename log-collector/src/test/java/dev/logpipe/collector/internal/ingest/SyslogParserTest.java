package dev.logpipe.collector.internal.ingest;

import static dev.logpipe.collector.internal.ingest.Harness.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.EncodedRecord;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.filesink.SyslogInfo;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ArrayList;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SyslogParserTest {

    private static final IngestDecoderConfig SYSLOG = IngestDecoderConfig.defaults().withFormat(WireFormat.SYSLOG);
    private static final String BOM = "\uFEFF";

    private static LogRecord one(String frame) {
        return one(frame, Harness.NOW);
    }

    private static LogRecord one(String frame, long now) {
        Harness h = new Harness(SYSLOG, now);
        h.write(frame + "\n");
        List<LogRecord> r = h.finish();
        assertEquals(1, r.size(), frame);
        return r.get(0);
    }

    private static long nanos(String instant) {
        Instant i = Instant.parse(instant);
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    private static void assertWellFormed(LogRecord r) {
        assertFalse(r.hasFlag(RecordFlag.MALFORMED), () -> "malformed: " + r);
    }

    // ------------------------------------------------ RFC 5424 section 6.5

    @Test
    void rfc5424Example1NoStructuredDataWithBom() {
        LogRecord r = one("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - " + BOM
                + "'su root' failed for lonvick on /dev/pts/8");
        assertWellFormed(r);
        assertEquals(SourceFormat.SYSLOG_5424, r.format());
        assertEquals(nanos("2003-10-11T22:14:15.003Z"), r.eventTimeNanos());
        assertEquals("mymachine.example.com", r.host());
        assertEquals("su", r.service());
        assertEquals("'su root' failed for lonvick on /dev/pts/8", r.message());
        assertEquals(new SyslogInfo(4, 2, "su", "", "ID47", ""), r.syslog());
        assertEquals(Level.FATAL, r.level()); // severity 2, critical
    }

    @Test
    void rfc5424Example2FractionAndOffset() {
        LogRecord r = one("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.");
        assertWellFormed(r);
        assertEquals(nanos("2003-08-24T12:14:15.000003Z"), r.eventTimeNanos());
        assertEquals("192.0.2.1", r.host());
        assertEquals(new SyslogInfo(20, 5, "myproc", "8710", "", ""), r.syslog());
        assertEquals(Level.INFO, r.level()); // notice
        assertEquals("%% It's time to make the do-nuts.", r.message());
    }

    @Test
    void rfc5424Example3StructuredDataIsKeptAndExposedAsFields() {
        String sd = "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]";
        LogRecord r = one("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 " + sd + " " + BOM
                + "An application event log entry...");
        assertWellFormed(r);
        assertEquals(sd, r.syslog().structuredData());
        assertEquals("An application event log entry...", r.message());
        Map<String, FieldValue> expected = new LinkedHashMap<>();
        expected.put("sd.exampleSDID@32473.iut", FieldValue.string("3"));
        expected.put("sd.exampleSDID@32473.eventSource", FieldValue.string("Application"));
        expected.put("sd.exampleSDID@32473.eventID", FieldValue.string("1011"));
        assertEquals(expected, r.fields());
    }

    @Test
    void rfc5424Example4StructuredDataOnly() {
        String sd = "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
                + "[examplePriority@32473 class=\"high\"]";
        LogRecord r = one("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 " + sd);
        assertWellFormed(r);
        assertEquals(sd, r.syslog().structuredData());
        assertEquals("", r.message());
        assertEquals(FieldValue.string("high"), r.fields().get("sd.examplePriority@32473.class"));
        assertEquals(4, r.fields().size());
    }

    @Test
    void manyParamsKeepTheirOrderAndRepeatedNamesGroupTheirValues() {
        // more names than the linear look handles: repeats found through the index, early and late ones
        StringBuilder sd = new StringBuilder("[m@1");
        for (int i = 0; i < 50; i++) {
            sd.append(" p").append(i).append("=\"v").append(i).append('"');
        }
        sd.append(" p0=\"again0\" p49=\"again49\"][m@1 p3=\"third\"]");
        LogRecord r = one("<13>1 - - - - - " + sd + " msg");
        assertWellFormed(r);
        assertEquals(50, r.fields().size());
        assertEquals(FieldValue.json("[\"v0\",\"again0\"]"), r.fields().get("sd.m@1.p0"));
        assertEquals(FieldValue.json("[\"v49\",\"again49\"]"), r.fields().get("sd.m@1.p49"));
        assertEquals(FieldValue.json("[\"v3\",\"third\"]"), r.fields().get("sd.m@1.p3"));
        assertEquals(FieldValue.string("v10"), r.fields().get("sd.m@1.p10"));
        assertEquals("sd.m@1.p0", r.fieldName(0));
        assertEquals("sd.m@1.p49", r.fieldName(49));
    }

    @Test
    void structuredDataEscapesAndRepeatedNames() {
        String sd = "[x@1 a=\"q\\\"uote\" b=\"back\\\\slash\" c=\"br\\]acket\" d=\"lone\\n\" e=\"é ]\"][x@1 a=\"two\"]";
        LogRecord r = one("<13>1 - - - - - " + sd + " msg");
        assertWellFormed(r);
        assertEquals(sd, r.syslog().structuredData());
        assertEquals(FieldValue.json("[\"q\\\"uote\",\"two\"]"), r.fields().get("sd.x@1.a"));
        assertEquals(FieldValue.string("back\\slash"), r.fields().get("sd.x@1.b"));
        assertEquals(FieldValue.string("br]acket"), r.fields().get("sd.x@1.c"));
        assertEquals(FieldValue.string("lone\\n"), r.fields().get("sd.x@1.d"));
        assertEquals(FieldValue.string("é ]"), r.fields().get("sd.x@1.e"));
        assertEquals("msg", r.message());
    }

    @Test
    void nilValuesEverywhere() {
        LogRecord r = one("<14>1 - - - - - -");
        assertWellFormed(r);
        assertEquals(Harness.NOW, r.eventTimeNanos(), "NILVALUE time: the receive time");
        assertEquals("", r.host());
        assertEquals("", r.message());
        assertEquals(new SyslogInfo(1, 6, "", "", "", ""), r.syslog());
        assertWellFormed(one("<14>1 - - - - -"));
    }

    @Test
    void brokenRfc5424HeadersAreBadSyslogHeader() {
        String[] bad = {
            "<13>1 2003-13-11T22:14:15Z host app proc msgid - bad month",
            "<13>1 2003-10-11 host app proc msgid - date only",
            "<13>1 - host app proc",
            "<13>1 - host  app proc msgid - double space",
            "<13>1 - host app proc msgid [unterminated",
            "<13>1 - host app proc msgid [id a=\"unterminated]",
            "<13>1 - host app proc msgid [id a=noquote]",
            "<13>1 - host app proc msgid -x",
            "<13>1 - host app proc msgid [id]x",
            "<13>2 - host app proc msgid - version two",
        };
        for (String frame : bad) {
            LogRecord r = one(frame);
            assertTrue(r.hasFlag(RecordFlag.MALFORMED), frame);
            assertEquals(FieldValue.string("bad_syslog_header"), r.fields().get("logpipe.error"), frame);
            assertEquals(frame, r.message());
            assertEquals(SourceFormat.SYSLOG_5424, r.format(), frame);
        }
        for (String frame : new String[] {"<999>Oct 11 22:14:15 h t: m", "<>x", "<13", "<1a>x", "<1234>x"}) {
            LogRecord r = one(frame);
            assertEquals(FieldValue.string("bad_syslog_header"), r.fields().get("logpipe.error"), frame);
            assertEquals(SourceFormat.SYSLOG_3164, r.format(), frame);
        }
    }

    // ------------------------------------------------ RFC 3164 section 5.4

    @Test
    void rfc3164Example1() {
        LogRecord r = one("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
        assertWellFormed(r);
        assertEquals(SourceFormat.SYSLOG_3164, r.format());
        assertEquals(nanos("2023-10-11T22:14:15Z"), r.eventTimeNanos(), "October is last year's on 10 March 2024");
        assertEquals("mymachine", r.host());
        assertEquals("su", r.service());
        assertEquals("'su root' failed for lonvick on /dev/pts/8", r.message());
        assertEquals(new SyslogInfo(4, 2, "su", "", "", ""), r.syslog());
    }

    @Test
    void rfc3164Example2NoPriIsUserNotice() {
        LogRecord r = one("Use the BFG!");
        assertWellFormed(r);
        assertEquals(new SyslogInfo(1, 5, "", "", "", ""), r.syslog());
        assertEquals("Use the BFG!", r.message());
        assertEquals(Harness.NOW, r.eventTimeNanos());
        LogRecord relayed = one("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!");
        assertEquals(nanos("2024-02-05T17:32:18Z"), relayed.eventTimeNanos());
        assertEquals("10.0.0.99", relayed.host());
        assertEquals("", relayed.service());
        assertEquals("Use the BFG!", relayed.message());
    }

    @Test
    void rfc3164Example3TimestampFollowedByZoneAndYear() {
        // The RFC: a relay takes "CST" for the hostname and the rest for the message.
        LogRecord r = one("<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%"
                + "  Ingredients: Mix=OK, Jeans=OK, Fall=OK");
        assertWellFormed(r);
        assertEquals(nanos("2023-08-24T05:34:00Z"), r.eventTimeNanos());
        assertEquals("CST", r.host());
        assertEquals("1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, "
                + "Jeans=OK, Fall=OK", r.message());
    }

    @Test
    void rfc3164Example4InvalidTimestampMakesItAllContent() {
        LogRecord r = one("<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!");
        assertWellFormed(r);
        assertEquals(Harness.NOW, r.eventTimeNanos());
        assertEquals("", r.host());
        assertEquals("1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
                r.message());
        assertEquals(Level.FATAL, r.level());
    }

    // ------------------------------------------------ what real senders send

    @Test
    void rsyslogForwardFormats() {
        LogRecord fwd = one("<30>2024-03-10T11:59:58.123456+01:00 web1 sshd[1234]: Accepted publickey for bob");
        assertWellFormed(fwd);
        assertEquals(SourceFormat.SYSLOG_3164, fwd.format());
        assertEquals(nanos("2024-03-10T10:59:58.123456Z"), fwd.eventTimeNanos());
        assertEquals("web1", fwd.host());
        assertEquals(new SyslogInfo(3, 6, "sshd", "1234", "", ""), fwd.syslog());
        assertEquals("Accepted publickey for bob", fwd.message());

        LogRecord traditional = one("<30>Mar 10 11:59:58 web1 sshd[1234]: Accepted publickey for bob");
        assertEquals(nanos("2024-03-10T11:59:58Z"), traditional.eventTimeNanos());
        assertEquals("web1", traditional.host());
        assertEquals("sshd", traditional.service());
        assertEquals("1234", traditional.syslog().procId());

        LogRecord protocol23 = one("<30>1 2024-03-10T11:59:58.123456+01:00 web1 sshd 1234 - - Accepted publickey");
        assertWellFormed(protocol23);
        assertEquals(new SyslogInfo(3, 6, "sshd", "1234", "", ""), protocol23.syslog());
        assertEquals("Accepted publickey", protocol23.message());
    }

    @Test
    void loggerRfc5424AndRfc3164() {
        LogRecord r5424 = one("<13>1 2024-03-10T11:59:58.123456+00:00 myhost myuser - - [timeQuality tzKnown=\"1\" "
                + "isSynced=\"1\" syncAccuracy=\"218000\"] hello world");
        assertWellFormed(r5424);
        assertEquals("myuser", r5424.service());
        assertEquals(FieldValue.string("218000"), r5424.fields().get("sd.timeQuality.syncAccuracy"));
        assertEquals("hello world", r5424.message());
        assertEquals(Level.INFO, r5424.level());

        LogRecord r3164 = one("<13>Mar 10 11:59:58 myhost myuser: hello world");
        assertWellFormed(r3164);
        assertEquals("myhost", r3164.host());
        assertEquals("myuser", r3164.service());
        assertEquals("hello world", r3164.message());
    }

    @Test
    void systemdStyleLinesWithoutHostnameOrTimestamp() {
        LogRecord noHost = one("<30>Mar 10 11:59:58 systemd[1]: Started Session 1 of user root.");
        assertWellFormed(noHost);
        assertEquals("", noHost.host());
        assertEquals("systemd", noHost.service());
        assertEquals("1", noHost.syslog().procId());
        assertEquals("Started Session 1 of user root.", noHost.message());

        LogRecord noTime = one("<30>systemd[1]: Started Session 1 of user root.");
        assertEquals(Harness.NOW, noTime.eventTimeNanos());
        assertEquals("systemd", noTime.service());
        assertEquals("Started Session 1 of user root.", noTime.message());

        LogRecord iso = one("<30>2024-03-10T11:59:58.123456+00:00 host1 systemd[1]: Started foo.service.");
        assertEquals("host1", iso.host());
        assertEquals(nanos("2024-03-10T11:59:58.123456Z"), iso.eventTimeNanos());

        LogRecord kernel = one("<4>Mar  9 08:00:00 host2 kernel: [12345.678] eth0: link up");
        assertEquals("kernel", kernel.service());
        assertEquals("[12345.678] eth0: link up", kernel.message());
        assertEquals(Level.WARN, kernel.level());

        LogRecord slashTag = one("<22>Mar 10 11:00:00 mx postfix/smtpd[999]: connect from unknown");
        assertEquals("postfix/smtpd", slashTag.service());
        assertEquals("999", slashTag.syslog().procId());
    }

    @Test
    void bsdTimestampVariants() {
        assertEquals(nanos("2024-03-05T01:02:03Z"), one("<13>Mar 05 01:02:03 h t: m").eventTimeNanos());
        assertEquals(nanos("2024-03-05T01:02:03.456Z"), one("<13>Mar  5 01:02:03.456 h t: m").eventTimeNanos());
        assertEquals(nanos("2021-03-05T01:02:03Z"), one("<13>Mar  5 2021 01:02:03 h t: m").eventTimeNanos());
        LogRecord notATime = one("<13>Mar 32 01:02:03 h t: m");
        assertEquals(Harness.NOW, notATime.eventTimeNanos());
        assertEquals("Mar 32 01:02:03 h t: m", notATime.message());
    }

    @Test
    void yearIsInferredNeverMoreThanADayAhead() {
        long now = nanos("2024-03-10T12:00:00Z");
        assertEquals(nanos("2024-03-11T12:00:00Z"), one("<13>Mar 11 12:00:00 h t: m", now).eventTimeNanos(),
                "a day ahead is clock skew, kept in this year");
        assertEquals(nanos("2023-03-12T00:00:00Z"), one("<13>Mar 12 00:00:00 h t: m", now).eventTimeNanos());
        assertEquals(nanos("2023-12-31T23:59:59Z"), one("<13>Dec 31 23:59:59 h t: m", now).eventTimeNanos());
        assertEquals(nanos("2024-02-29T10:00:00Z"), one("<13>Feb 29 10:00:00 h t: m", now).eventTimeNanos());
        long newYearsEve = nanos("2025-12-31T23:59:59Z");
        assertEquals(nanos("2026-01-01T00:00:05Z"), one("<13>Jan  1 00:00:05 h t: m", newYearsEve).eventTimeNanos(),
                "a sender a few seconds ahead across new year");
        long march2025 = nanos("2025-03-01T00:00:00Z");
        assertEquals(nanos("2024-02-29T10:00:00Z"), one("<13>Feb 29 10:00:00 h t: m", march2025).eventTimeNanos(),
                "29 February reaches back to the last leap year");
    }

    @Test
    void tagForms() {
        LogRecord noColon = one("<13>Mar 10 11:00:00 host app[42] message text");
        assertEquals("app", noColon.service());
        assertEquals("42", noColon.syslog().procId());
        assertEquals("message text", noColon.message());

        LogRecord notATag = one("<13>Mar 10 11:00:00 host just some words");
        assertEquals("host", notATag.host());
        assertEquals("", notATag.service());
        assertEquals("just some words", notATag.message());

        LogRecord onlyOneWord = one("<13>Mar 10 11:00:00 lonely");
        assertEquals("", onlyOneWord.host());
        assertEquals("lonely", onlyOneWord.message());

        LogRecord emptyMessage = one("<13>Mar 10 11:00:00 host app:");
        assertEquals("app", emptyMessage.service());
        assertEquals("", emptyMessage.message());
    }

    @Test
    void nonAsciiAndInvalidUtf8InSyslog() {
        LogRecord r = one("<13>1 - h app - - - Grüße 中文 𝄞");
        assertEquals("Grüße 中文 𝄞", r.message());
        Harness h = new Harness(SYSLOG);
        h.write(new byte[] {'<', '1', '3', '>', 'h', 'o', 's', 't', ' ', 'c', 'a', 'f', (byte) 0xE9, ' ', 'o', 'k', '\n'});
        List<LogRecord> out = h.finish();
        assertEquals(1, out.size());
        assertTrue(out.get(0).hasFlag(RecordFlag.INVALID_UTF8));
        assertFalse(out.get(0).hasFlag(RecordFlag.MALFORMED));
        assertEquals("host caf\uFFFD ok", out.get(0).message());
        assertEquals(List.of("rejected invalid_utf8", "decoded SYSLOG_3164 16"), h.observer.events);
    }

    @Test
    void aStreamOfRealWorldLinesIsTheSameHoweverItIsSplit() {
        String stream = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - " + BOM + "'su root' failed\r\n"
                + "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
                + "eventSource=\"Appl\\]ication\"] An application event log entry...\n"
                + "\n"
                + "<30>2024-03-10T11:59:58.123456+01:00 web1 sshd[1234]: Accepted publickey for bob\n"
                + "<13>Mar 10 11:59:58 myhost myuser: grüße 中文\r\n"
                + "<30>systemd[1]: Started Session 1 of user root.\n"
                + "<13>1 broken header\n"
                + "<4>Mar  9 08:00:00 host2 kernel: [12345.678] eth0: link up";
        Harness.Result r = Harness.assertSplitInvariant(SYSLOG, utf8(stream));
        List<String> messages = r.records().stream().map(LogRecord::message).toList();
        assertEquals(List.of("'su root' failed", "An application event log entry...", "Accepted publickey for bob",
                "grüße 中文", "Started Session 1 of user root.", "<13>1 broken header", "[12345.678] eth0: link up"),
                messages);
        assertEquals(FieldValue.string("Appl]ication"), r.records().get(1).fields().get("sd.exampleSDID@32473.eventSource"));
        assertEquals(List.of("rejected bad_syslog_header"),
                r.events().stream().filter(e -> e.startsWith("rejected")).toList());
    }

    // ------------------------------------------------ tokens reused per connection

    @Test
    void repeatedTokensOnOneConnectionAreOneStringAndNeverTheWrongOne() {
        // One connection parses frames whose header tokens and SD names repeat, change to others of the
        // same length, and move the ID/name boundary ("sd.ab.c" against "sd.a.bc"); every record must
        // equal what a parser that never saw the earlier frames makes of its frame.
        String[] hosts = {"h1", "h2", "host-a", "-"};
        String[] apps = {"app", "apq", "billing"};
        String[] ids = {"a", "ab", "x@1"};
        String[] names = {"bc", "c", "d", "xy"};
        Random rnd = new Random(42);
        List<String> frames = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            if (rnd.nextInt(5) == 0) {
                frames.add("<13>Oct 11 22:14:15 " + hosts[rnd.nextInt(3)] + " " + apps[rnd.nextInt(apps.length)]
                        + "[" + (100 + rnd.nextInt(3)) + "]: bsd " + i);
                continue;
            }
            StringBuilder f = new StringBuilder("<165>1 2003-10-11T22:14:15.003Z ")
                    .append(hosts[rnd.nextInt(hosts.length)]).append(' ').append(apps[rnd.nextInt(apps.length)])
                    .append(' ').append(rnd.nextBoolean() ? "42" : "43").append(" ID47 ");
            int elements = rnd.nextInt(3);
            if (elements == 0) {
                f.append('-');
            }
            for (int e = 0; e < elements; e++) {
                f.append('[').append(ids[rnd.nextInt(ids.length)]);
                for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
                    f.append(' ').append(names[rnd.nextInt(names.length)]).append("=\"v").append(rnd.nextInt(3))
                            .append('"');
                }
                f.append(']');
            }
            frames.add(f.append(" msg ").append(i).toString());
        }
        Harness h = new Harness(SYSLOG, Harness.NOW);
        h.write(String.join("\n", frames) + "\n");
        List<LogRecord> got = h.finish();
        assertEquals(frames.size(), got.size());
        for (int i = 0; i < frames.size(); i++) {
            LogRecord alone = one(frames.get(i));
            LogRecord r = got.get(i);
            String frame = frames.get(i);
            assertEquals(alone.host(), r.host(), frame);
            assertEquals(alone.service(), r.service(), frame);
            assertEquals(alone.syslog(), r.syslog(), frame);
            assertEquals(alone.fields(), r.fields(), frame);
            assertEquals(List.copyOf(alone.fields().keySet()), List.copyOf(r.fields().keySet()), frame);
        }
    }

    @Test
    void aConnectionsRepeatedHostAppNameAndSdNamesAreTheSameStrings() {
        // the builder's way (RELP, RFC 3164, and 5424 frames the direct way leaves to it)
        SyslogParser parser = new SyslogParser(java.time.ZoneOffset.UTC);
        List<LogRecord> r = new ArrayList<>();
        for (String frame : List.of("<165>1 2003-10-11T22:14:15.003Z web-1 billing 42 ID47 [req@1 id=\"a\"] one",
                "<165>1 2003-10-11T22:14:16.003Z web-1 billing 42 ID47 [req@1 id=\"b\"] two")) {
            byte[] bytes = utf8(frame);
            LogRecord.Builder b = LogRecord.builder();
            assertEquals(null, parser.parse(FrameText.scan(bytes, bytes.length), b, Harness.NOW));
            r.add(b.build());
        }
        assertEquals("web-1", r.get(1).host());
        assertSame(r.get(0).host(), r.get(1).host());
        assertSame(r.get(0).service(), r.get(1).service());
        assertSame(r.get(0).fieldName(0), r.get(1).fieldName(0));
        assertEquals("sd.req@1.id", r.get(1).fieldName(0));
        assertEquals("b", r.get(1).fieldValue(0).text());
    }

    /**
     * The direct way ({@link SyslogParser#encode}) makes the record the builder's way makes, for every
     * RFC 5424 frame it takes, on one connection (so its time cache is in play); it leaves the rest.
     */
    @Test
    void framesTakenStraightIntoTheJournalLayoutAreTheRecordsTheBuilderMakes() {
        SyslogParser direct = new SyslogParser(java.time.ZoneOffset.UTC);
        EncodedRecord.Encoder encoder = new EncodedRecord.Encoder();
        String[] times = {"2003-10-11T22:14:15.003Z", "2003-10-11T22:14:15.5Z", "2003-10-11T22:14:15Z", "-",
            "2003-10-11T22:14:15.003+02:00", "2003-10-11T22:14:16.000000001Z", "2003-10-11T22:14:15.1234567891Z",
            "2003-10-11T22:14:60.5Z", "2003-10-11t22:14:15.5z", "2003-10-11T22:14:15.Z", "bad", "2003-13-11T22:14:15Z"};
        String[] tokens = {"-", "h1", "web-1.prod", "ünï", "a.b"};
        String[] ids = {"a", "a.b", "ab", "x@1", "é"};
        String[] names = {"b", "b.c", "c", "id", "x"};
        String[] values = {"v", "", "quote \\\" in", "back \\\\ slash", "bracket \\] end", "lone \\ stays", "日本"};
        String[] messages = {"", " ", "hello", BOM + "bom first", "crlf\r\n", "\n", "日本語 😀"};
        Random rnd = new Random(20261206);
        int taken = 0;
        int frames = 6_000;
        for (int i = 0; i < frames; i++) {
            StringBuilder f = new StringBuilder("<").append(rnd.nextInt(10) == 0 ? 200 : rnd.nextInt(192)).append('>')
                    .append(rnd.nextInt(15) == 0 ? "2" : "1").append(' ')
                    .append(times[rnd.nextInt(times.length)]);
            for (int k = 0; k < 4; k++) {
                f.append(' ').append(tokens[rnd.nextInt(tokens.length)]);
            }
            int shape = rnd.nextInt(10);
            if (shape != 0) { // shape 0: the frame ends after its MSGID
                f.append(' ');
                int elements = rnd.nextInt(3);
                if (elements == 0) {
                    f.append('-');
                }
                for (int e = 0; e < elements; e++) {
                    f.append('[').append(ids[rnd.nextInt(ids.length)]);
                    for (int k = rnd.nextInt(4); k > 0; k--) {
                        f.append(' ').append(names[rnd.nextInt(names.length)]).append("=\"")
                                .append(values[rnd.nextInt(values.length)]).append('"');
                    }
                    f.append(']');
                }
                if (shape != 1) {
                    f.append(' ').append(messages[rnd.nextInt(messages.length)]);
                }
            }
            String built = f.toString();
            String frame = rnd.nextInt(30) == 0 ? built.substring(0, rnd.nextInt(built.length())) : built;
            byte[] bytes = utf8(frame);
            FrameText text = FrameText.scan(bytes, bytes.length);
            long now = Harness.NOW + i;
            EncodedRecord e = text.validUtf8 && !text.garbage
                    ? direct.encode(text, now, "10.1.2.3:514", i % 2, encoder) : null;
            LogRecord.Builder b = LogRecord.builder().receiveTimeNanos(now).source("10.1.2.3:514")
                    .format(SourceFormat.SYSLOG_3164).flagBits(i % 2);
            boolean parsed = new SyslogParser(java.time.ZoneOffset.UTC).parse(text, b, now) == null;
            if (e != null) {
                assertTrue(parsed, () -> "taken directly, but the builder's way refuses: " + frame);
                assertEquals(b.build(), e.decode(), () -> "frame: " + frame);
                taken++;
            }
        }
        assertTrue(taken > frames / 3, "taken directly: " + taken + " of " + frames);
        assertTrue(taken < frames, "some frames go the builder's way");
    }
}
