package dev.logpipe.collector.internal.ingest;

import static dev.logpipe.collector.internal.ingest.Harness.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.MalformedPolicy;
import dev.logpipe.collector.OversizePolicy;
import dev.logpipe.collector.WireFormat;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonLineParserTest {

    private static final IngestDecoderConfig JSON = IngestDecoderConfig.defaults().withFormat(WireFormat.JSON);

    private static LogRecord one(String line) {
        List<LogRecord> r = Harness.run(JSON, utf8(line + "\n"));
        assertEquals(1, r.size(), line);
        return r.get(0);
    }

    private static long nanos(String instant) {
        Instant i = Instant.parse(instant);
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    @Test
    void knownKeysFillTheRecordAndEveryOtherKeyIsAField() {
        LogRecord r = one("{\"ts\":\"2024-01-02T03:04:05.123456789+01:00\",\"level\":\"warning\",\"service\":\"billing\","
                + "\"host\":\"web-1\",\"msg\":\"card declined\",\"customer\":\"c-42\",\"attempt\":3,\"ratio\":1.50,"
                + "\"ok\":false,\"none\":null,\"tags\":[\"a\", \"b\"],\"ctx\":{ \"k\" : \"v w\", \"n\" : [1, 2.0e3] }}");
        assertEquals(nanos("2024-01-02T02:04:05.123456789Z"), r.eventTimeNanos());
        assertEquals(Level.WARN, r.level());
        assertEquals("billing", r.service());
        assertEquals("web-1", r.host());
        assertEquals("card declined", r.message());
        assertEquals(SourceFormat.JSON, r.format());
        Map<String, FieldValue> expected = new LinkedHashMap<>();
        expected.put("customer", FieldValue.string("c-42"));
        expected.put("attempt", FieldValue.json("3"));
        expected.put("ratio", FieldValue.json("1.50"));
        expected.put("ok", FieldValue.json("false"));
        expected.put("none", FieldValue.json("null"));
        expected.put("tags", FieldValue.json("[\"a\",\"b\"]"));
        expected.put("ctx", FieldValue.json("{\"k\":\"v w\",\"n\":[1,2.0e3]}"));
        assertEquals(expected, r.fields());
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(r.fields().keySet()), "sender's key order");
        assertTrue(r.flags().isEmpty());
    }

    @Test
    void aliasesOfTheKnownKeys() {
        LogRecord r = one("{\"@timestamp\":\"2024-01-02T03:04:05Z\",\"severity\":\"ERROR\",\"app\":\"a\","
                + "\"hostname\":\"h\",\"message\":\"m\"}");
        assertEquals(nanos("2024-01-02T03:04:05Z"), r.eventTimeNanos());
        assertEquals(Level.ERROR, r.level());
        assertEquals("a", r.service());
        assertEquals("h", r.host());
        assertEquals("m", r.message());
        assertEquals(Map.of(), r.fields());
        assertEquals(nanos("2024-01-02T03:04:05Z"), one("{\"timestamp\":\"2024-01-02T03:04:05Z\"}").eventTimeNanos());
        assertEquals(nanos("2024-01-02T03:04:05Z"), one("{\"time\":\"2024-01-02T03:04:05Z\"}").eventTimeNanos());
    }

    @Test
    void unusableOrRepeatedKnownKeysAreKeptAsFields() {
        LogRecord r = one("{\"ts\":\"banana\",\"level\":\"loud\",\"service\":{\"name\":\"x\"},\"host\":7,"
                + "\"msg\":[\"not\",\"text\"],\"time\":1700000000,\"message\":\"used\",\"msg\":\"second\"}");
        assertEquals(nanos("2023-11-14T22:13:20Z"), r.eventTimeNanos(), "the first usable time");
        assertEquals(Level.UNSET, r.level());
        assertEquals("", r.service());
        assertEquals("", r.host());
        assertEquals("used", r.message());
        Map<String, FieldValue> expected = new LinkedHashMap<>();
        expected.put("ts", FieldValue.string("banana"));
        expected.put("level", FieldValue.string("loud"));
        expected.put("service", FieldValue.json("{\"name\":\"x\"}"));
        expected.put("host", FieldValue.json("7"));
        expected.put("msg", FieldValue.string("second")); // a repeated key keeps its last value
        assertEquals(expected, r.fields());
    }

    @Test
    void dockerJsonFileLogIsTheMessageOnlyWithoutMsgOrMessage() {
        LogRecord stderr = one("{\"log\":\"panic: boom\\n\\n\",\"stream\":\"stderr\",\"time\":\"2019-06-24T11:57:31Z\"}");
        assertEquals("panic: boom\n", stderr.message(), "one trailing LF stripped, not all");
        assertEquals(Map.of("stream", FieldValue.string("stderr")), stderr.fields());
        assertEquals(nanos("2019-06-24T11:57:31Z"), stderr.eventTimeNanos());

        assertEquals("no newline", one("{\"log\":\"no newline\"}").message());
        assertEquals("", one("{\"log\":\"\\n\"}").message());

        // A msg or message wins wherever it stands; log then stays a field (after the others).
        LogRecord before = one("{\"log\":\"raw line\\n\",\"stream\":\"stdout\",\"msg\":\"structured\"}");
        assertEquals("structured", before.message());
        Map<String, FieldValue> expected = new LinkedHashMap<>();
        expected.put("stream", FieldValue.string("stdout"));
        expected.put("log", FieldValue.string("raw line\n"));
        assertEquals(expected, before.fields());
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(before.fields().keySet()));
        LogRecord after = one("{\"message\":\"structured\",\"log\":\"raw line\\n\"}");
        assertEquals("structured", after.message());
        assertEquals(Map.of("log", FieldValue.string("raw line\n")), after.fields());

        // A log that is not a string is a field; a repeated log keeps its last value as a field.
        LogRecord notText = one("{\"log\":{\"a\":1},\"msg\":\"m\"}");
        assertEquals("m", notText.message());
        assertEquals(Map.of("log", FieldValue.json("{\"a\":1}")), notText.fields());
        LogRecord twice = one("{\"log\":\"first\\n\",\"log\":\"second\\n\"}");
        assertEquals("first", twice.message());
        assertEquals(Map.of("log", FieldValue.string("second\n")), twice.fields());
        LogRecord twiceThenMsg = one("{\"log\":\"first\",\"log\":\"second\",\"msg\":\"m\"}");
        assertEquals("m", twiceThenMsg.message());
        assertEquals(Map.of("log", FieldValue.string("second")), twiceThenMsg.fields(), "the last value of a repeated key");
    }

    @Test
    void epochTimesByMagnitude() {
        long t = nanos("2023-11-14T22:13:20Z");
        assertEquals(t, one("{\"ts\":1700000000}").eventTimeNanos());
        assertEquals(t + 250_000_000L, one("{\"ts\":1700000000.25}").eventTimeNanos());
        assertEquals(t + 123_000_000L, one("{\"ts\":1700000000123}").eventTimeNanos());
        assertEquals(t + 123_456_000L, one("{\"ts\":1700000000123456}").eventTimeNanos());
        assertEquals(t + 123_456_789L, one("{\"ts\":1700000000123456789}").eventTimeNanos());
        assertEquals(t + 123_456_789L, one("{\"ts\":\"1700000000.123456789\"}").eventTimeNanos());
        LogRecord huge = one("{\"ts\":123456789012345678901234567890}");
        assertEquals(Harness.NOW, huge.eventTimeNanos());
        assertEquals(FieldValue.json("123456789012345678901234567890"), huge.fields().get("ts"));
    }

    @Test
    void numericLevelsArePinoOrSyslog() {
        assertEquals(Level.TRACE, one("{\"level\":10}").level());
        assertEquals(Level.DEBUG, one("{\"level\":20}").level());
        assertEquals(Level.INFO, one("{\"level\":30}").level());
        assertEquals(Level.WARN, one("{\"level\":40}").level());
        assertEquals(Level.ERROR, one("{\"level\":50}").level());
        assertEquals(Level.FATAL, one("{\"level\":60}").level());
        assertEquals(Level.ERROR, one("{\"severity\":3}").level(), "0..7 is a syslog severity");
        assertEquals(Level.INFO, one("{\"level\":\"30\"}").level());
        assertEquals(FieldValue.json("-1"), one("{\"level\":-1}").fields().get("level"));
        assertEquals(FieldValue.json("30.5"), one("{\"level\":30.5}").fields().get("level"));
    }

    @Test
    void realWorldLines() {
        LogRecord docker = one("{\"log\":\"Server started on :8080\\n\",\"stream\":\"stdout\","
                + "\"time\":\"2019-06-24T11:57:31.823456789Z\"}");
        assertEquals(nanos("2019-06-24T11:57:31.823456789Z"), docker.eventTimeNanos());
        assertEquals("Server started on :8080", docker.message(), "Docker's log is the message, its LF stripped");
        assertEquals(Map.of("stream", FieldValue.string("stdout")), docker.fields());

        LogRecord logstash = one("{\"@timestamp\":\"2024-02-03T10:11:12.345+00:00\",\"@version\":\"1\","
                + "\"message\":\"User logged in\",\"logger_name\":\"com.example.Auth\",\"thread_name\":\"main\","
                + "\"level\":\"INFO\",\"level_value\":20000,\"host\":\"app-3\"}");
        assertEquals(nanos("2024-02-03T10:11:12.345Z"), logstash.eventTimeNanos());
        assertEquals(Level.INFO, logstash.level());
        assertEquals("User logged in", logstash.message());
        assertEquals("app-3", logstash.host());
        assertEquals(FieldValue.json("20000"), logstash.fields().get("level_value"));

        LogRecord pino = one("{\"level\":50,\"time\":1700000000123,\"pid\":4242,\"hostname\":\"box\","
                + "\"msg\":\"request failed\",\"err\":{\"type\":\"Error\",\"message\":\"boom\"}}");
        assertEquals(Level.ERROR, pino.level());
        assertEquals(nanos("2023-11-14T22:13:20.123Z"), pino.eventTimeNanos());
        assertEquals("box", pino.host());
        assertEquals(FieldValue.json("{\"type\":\"Error\",\"message\":\"boom\"}"), pino.fields().get("err"));

        LogRecord bunyan = one("{\"name\":\"myapp\",\"hostname\":\"banana.local\",\"pid\":40161,\"level\":30,"
                + "\"msg\":\"hi\",\"time\":\"2013-01-04T18:46:23.851Z\",\"v\":0}");
        assertEquals(Level.INFO, bunyan.level());
        assertEquals(nanos("2013-01-04T18:46:23.851Z"), bunyan.eventTimeNanos());
        assertEquals(FieldValue.string("myapp"), bunyan.fields().get("name"));
    }

    @Test
    void escapesAndNonAsciiSurviveExactly() {
        LogRecord r = one("{\"msg\":\"tab\\there \\\"q\\\" \\u00e9 é 𝄞\",\"raw\":{\"s\":\"a \\\" b\\\\\",\"x\":\"中 文\"}}");
        assertEquals("tab\there \"q\" é é 𝄞", r.message());
        assertEquals(FieldValue.json("{\"s\":\"a \\\" b\\\\\",\"x\":\"中 文\"}"), r.fields().get("raw"));
    }

    @Test
    void invalidJsonAndNonObjectsAreMalformed() {
        String[][] cases = {
            {"{\"a\":", "invalid_json"},
            {"{\"a\":1} trailing", "invalid_json"},
            {"{\"a\":1}{\"b\":2}", "invalid_json"},
            {"{'single':1}", "invalid_json"},
            {"[1,2]", "not_an_object"},
            {"\"x\"", "not_an_object"},
            {"42", "not_an_object"},
            {"[1,2", "invalid_json"},
        };
        for (String[] c : cases) {
            Harness h = new Harness(JSON);
            h.write(c[0] + "\n");
            List<LogRecord> r = h.finish();
            assertEquals(1, r.size(), c[0]);
            LogRecord raw = r.get(0);
            assertTrue(raw.hasFlag(RecordFlag.MALFORMED), c[0]);
            assertEquals(c[0], raw.message());
            assertEquals(FieldValue.string(c[1]), raw.fields().get("logpipe.error"), c[0]);
            assertEquals(SourceFormat.JSON, raw.format());
            assertEquals(List.of("rejected " + c[1], "decoded JSON " + utf8(c[0]).length), h.observer.events);
        }
    }

    @Test
    void deepNestingIsRefusedNotAStackOverflow() {
        String deep = "{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
        LogRecord r = one(deep);
        assertEquals(FieldValue.string("invalid_json"), r.fields().get("logpipe.error"));
    }

    @Test
    void invalidUtf8InsideJsonIsReplacedAndTheObjectStillParsed() {
        byte[] line = {'{', '"', 'm', 's', 'g', '"', ':', '"', 'c', 'a', 'f', (byte) 0xE9, '"', ',',
            '"', 'n', '"', ':', '{', ' ', '"', 'k', '"', ':', '1', '}', '}', '\n'};
        Harness h = new Harness(JSON);
        h.write(line);
        List<LogRecord> r = h.finish();
        assertEquals(1, r.size());
        assertEquals("caf\uFFFD", r.get(0).message());
        assertEquals(FieldValue.json("{\"k\":1}"), r.get(0).fields().get("n"));
        assertTrue(r.get(0).hasFlag(RecordFlag.INVALID_UTF8));
        assertFalse(r.get(0).hasFlag(RecordFlag.MALFORMED));
        assertEquals(List.of("rejected invalid_utf8", "decoded JSON 27"), h.observer.events);
    }

    @Test
    void aTruncatedObjectIsStoredRawFlaggedTruncatedAndMalformed() {
        IngestDecoderConfig cfg = new IngestDecoderConfig(WireFormat.JSON, 20, OversizePolicy.TRUNCATE,
                MalformedPolicy.STORE_RAW);
        Harness.Result r = Harness.assertSplitInvariant(cfg,
                utf8("{\"msg\":\"a long message that will not fit\"}\n{\"msg\":\"short\"}\n"));
        assertEquals(2, r.records().size());
        LogRecord cut = r.records().get(0);
        assertEquals("{\"msg\":\"a long messa", cut.message());
        assertTrue(cut.hasFlag(RecordFlag.TRUNCATED));
        assertTrue(cut.hasFlag(RecordFlag.MALFORMED));
        assertEquals("short", r.records().get(1).message());
        assertEquals(List.of("rejected invalid_json", "truncated JSON", "decoded JSON 20", "decoded JSON 15"),
                r.events());
    }

    @Test
    void aStreamOfMixedLinesIsTheSameHoweverItIsSplit() {
        String stream = "{\"ts\":\"2024-01-02T03:04:05Z\",\"level\":30,\"msg\":\"ä ok\",\"n\":[1, 2]}\r\n"
                + "\n"
                + "not json\n"
                + "[1,2]\n"
                + "{\"msg\":\"€ last, no newline\"}";
        Harness.Result r = Harness.assertSplitInvariant(JSON, utf8(stream));
        assertEquals(4, r.records().size());
        assertEquals("ä ok", r.records().get(0).message());
        assertEquals(FieldValue.json("[1,2]"), r.records().get(0).fields().get("n"));
        assertTrue(r.records().get(1).hasFlag(RecordFlag.MALFORMED));
        assertTrue(r.records().get(2).hasFlag(RecordFlag.MALFORMED));
        assertEquals("€ last, no newline", r.records().get(3).message());
        assertNull(r.records().get(3).syslog());
    }

    @Test
    void aBadLineDoesNotAffectTheNextOnTheSameConnection() {
        // One connection reuses its parser across object lines; each kind of bad line must leave the
        // next line decoded exactly as if it came first.
        String stream = "{\"a\":{\"x\":1},\"msg\":\"one\"}\n"
                + "{\"msg\":\"unclosed\",\"n\":[1,\n"
                + "{\"msg\":\"x\"} trailing\n"
                + "{\"msg\":\"two\",\"b\":[ 2 ]}\n"
                + "{\"msg\":\"n\"}1\n"
                + "{\"msg\":\"open string\n"
                + "{\"msg\":\"three\",\"c\":{\"d\":[3]}}\n";
        Harness.Result r = Harness.assertSplitInvariant(JSON, utf8(stream));
        assertEquals(7, r.records().size());
        assertEquals("one", r.records().get(0).message());
        assertEquals(Map.of("a", FieldValue.json("{\"x\":1}")), r.records().get(0).fields());
        for (int bad : new int[] {1, 2, 4, 5}) {
            assertTrue(r.records().get(bad).hasFlag(RecordFlag.MALFORMED), "line " + bad);
        }
        assertEquals("two", r.records().get(3).message());
        assertEquals(Map.of("b", FieldValue.json("[2]")), r.records().get(3).fields());
        assertFalse(r.records().get(3).hasFlag(RecordFlag.MALFORMED));
        assertEquals("three", r.records().get(6).message());
        assertEquals(Map.of("c", FieldValue.json("{\"d\":[3]}")), r.records().get(6).fields());
        assertFalse(r.records().get(6).hasFlag(RecordFlag.MALFORMED));
    }

    @Test
    void compactRemovesOnlyWhitespaceOutsideStrings() {
        assertEquals("{\"a b\":[1,\"x \\\" y\"]}", JsonLineParser.compact("{ \"a b\" : [ 1 ,\n \"x \\\" y\" ] }"));
        String already = "{\"a\":1}";
        assertTrue(already == JsonLineParser.compact(already));
    }

    @Test
    void theConnectionsParserIsNotKeptAfterALongLine() {
        // a line that is not flat goes through the connection's Jackson parser, which then held its
        // bytes and a char buffer of its longest string: 300 connections of one 1 MB line ran serve out
        JsonLineParser parser = new JsonLineParser(true);
        String longText = "x".repeat(JsonLineParser.MAX_LINE_FOR_KEPT_PARSER);
        String[][] lines = {
            {"{\"a\":[1],\"msg\":\"short\"}", "short", "kept"},
            {"{\"a\":[1],\"msg\":\"" + longText + "\"}", longText, "dropped"},
            {"{\"a\":[2],\"msg\":\"short again\"}", "short again", "kept"},
        };
        for (String[] l : lines) {
            byte[] bytes = l[0].getBytes(java.nio.charset.StandardCharsets.UTF_8);
            LogRecord.Builder b = LogRecord.builder().receiveTimeNanos(1L);
            assertNull(parser.parse(FrameText.scan(bytes, bytes.length), b, 1L));
            assertEquals(l[1], b.build().message());
            assertEquals(l[2].equals("kept"), parser.keepsLineParser(), "after a line of " + bytes.length + " bytes");
        }
    }
}
