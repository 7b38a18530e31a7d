package dev.logpipe.collector.internal.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logpipe.collector.RejectReason;
import dev.logpipe.filesink.EncodedRecord;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link FlatJsonScanner} may take a line only if the record is the one Jackson's path makes of it.
 * Every line here is parsed by a parser with the scanner and by one without, and the two outcomes
 * (reason and record) must be equal; lines the scanner must leave to Jackson are checked to be left.
 */
class JsonFastPathTest {

    private final JsonLineParser withScanner = new JsonLineParser(true);
    private final JsonLineParser jacksonOnly = new JsonLineParser(false);
    private final FlatJsonScanner scanner = new FlatJsonScanner();

    private record Outcome(RejectReason reason, LogRecord record) {
    }

    private static Outcome parse(JsonLineParser parser, byte[] line) {
        FrameText frame = FrameText.scan(line, line.length);
        LogRecord.Builder b = LogRecord.builder().receiveTimeNanos(1_000_000_000L);
        RejectReason reason = parser.parse(frame, b, 1_000_000_000L);
        return new Outcome(reason, reason == null ? b.build() : null);
    }

    private final EncodedRecord.Encoder encoder = new EncodedRecord.Encoder();
    /** Lines {@link JsonLineParser#encode} took straight into the journal layout. */
    private int direct;

    /** Parses with both and compares; returns whether the scanner took the line. */
    private boolean same(String line) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        Outcome fast = parse(withScanner, bytes);
        Outcome slow = parse(jacksonOnly, bytes);
        assertEquals(slow, fast, () -> "line: " + line);
        directSame(line, bytes);
        return FrameText.scan(bytes, bytes.length).validUtf8 && scanner.scan(bytes, bytes.length);
    }

    /**
     * When the direct way takes the line, its record is the one Jackson's way makes: same values, and
     * (EncodedRecordTest) so the same bytes in the journal. Returns whether it took it.
     */
    private boolean directSame(String line, byte[] bytes) {
        FrameText frame = FrameText.scan(bytes, bytes.length);
        long now = 1_765_000_000_123_456_789L;
        int flags = bytes.length % 2 == 0 ? RecordFlag.TRUNCATED.bit() : 0;
        EncodedRecord encoded = frame.validUtf8 && !frame.garbage
                ? withScanner.encode(frame, now, "127.0.0.1:40000", flags, encoder) : null;
        if (encoded == null) {
            return false;
        }
        LogRecord.Builder b = LogRecord.builder().receiveTimeNanos(now).source("127.0.0.1:40000")
                .format(SourceFormat.JSON).flagBits(flags);
        assertNull(jacksonOnly.parse(frame, b, now), () -> "taken directly, but Jackson refuses: " + line);
        assertEquals(b.build(), encoded.decode(), () -> "line: " + line);
        direct++;
        return true;
    }

    @Test
    void theUsualLinesAreTakenByTheScannerAndComeOutAsJacksonMakesThem() {
        String[] taken = {
            "{\"ts\":\"2026-12-05T10:00:00.123Z\",\"level\":\"INFO\",\"service\":\"api\",\"host\":\"h1\",\"msg\":\"hello\",\"user\":\"u1\",\"ms\":12}",
            "{\"time\":1733392800123,\"level\":30,\"msg\":\"pino\",\"pid\":42,\"hostname\":\"box\"}",
            "{\"time\":1733392800.5,\"level\":50.0,\"msg\":\"float time\"}",
            "{\"level\":\"3\",\"message\":\"numeric string level\"}",
            "{\"level\":99999999999,\"msg\":\"level beyond an int\"}",
            "{\"ts\":123456789012345678901234567890,\"msg\":\"time beyond a long\"}",
            "{\"log\":\"docker line\\n\",\"stream\":\"stdout\",\"time\":\"2026-12-05T10:00:00.000000001Z\"}",
            "{\"log\":\"first\",\"msg\":\"then a message\"}",
            "{\"msg\":\"a\",\"log\":\"after a message\",\"log\":\"twice\"}",
            "{\"msg\":\"escapes \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\u20AC \\ud83d\\ude00 lone \\ud800 end\"}",
            "{\"k\\u0041y\":\"escaped key\",\"\":\"empty key\",\"msg\":\"\"}",
            "  {  \"a\" : 1 , \"b\" :-0.5e+10 ,\"c\":true,\"d\":false,\"e\":null , \"f\":\"x\" }  \r\n",
            "{}",
            "{\"msg\":\"unicode ünïcödé 日本語 😀\",\"service\":7}",
            "{\"a\":1,\"a\":2,\"msg\":\"repeated key\"}",
            "{\"host\":null,\"service\":true,\"msg\":5,\"ts\":\"banana\",\"level\":\"verbose\"}",
            "{\"n\":-0.0,\"m\":0.0,\"o\":1E5,\"p\":1e-5,\"q\":12345678901234567890123}",
        };
        for (String line : taken) {
            assertTrue(same(line), "the scanner should take: " + line);
        }
        // the usual shapes go straight into the journal layout; only the builder's special cases do not
        String[] notDirect = {taken[6], taken[7], taken[8], taken[9], taken[10], taken[14]};
        for (String line : taken) {
            boolean expected = !List.of(notDirect).contains(line);
            assertEquals(expected, directSame(line, line.getBytes(StandardCharsets.UTF_8)), () -> "direct: " + line);
        }
    }

    /**
     * The direct way remembers the last time's date and second per connection; every line here goes
     * through one parser, so times that share that part, and times that only look as if they do, come
     * right after each other.
     */
    @Test
    void timesThatShareTheirSecondWithTheLineBeforeComeOutAsJacksonMakesThem() {
        String[] times = {
            "2026-12-05T10:00:00Z", "2026-12-05T10:00:00.5Z", "2026-12-05T10:00:00.123456789Z",
            "2026-12-05T10:00:00.1234567891234Z", "2026-12-05T10:00:00,25z", "2026-12-05T10:00:00.Z",
            "2026-12-05T10:00:00.12aZ", "2026-12-05T10:00:00.5+01:00", "2026-12-05T10:00:00.5", "2026-12-05T10:00:00.5Z ",
            " 2026-12-05T10:00:00.5Z", "2026-12-05T10:00:00ZZ", "2026-12-05t10:00:00.000001Z", "2026-12-05 10:00:00.7Z",
            "2026-12-05T10:00:01.7Z", "2026-12-05T23:59:60.5Z", "2026-12-05T23:59:60Z", "2026-02-30T10:00:00.5Z",
            "2026-02-30T10:00:00.6Z", "1969-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59.000000001Z",
            "0001-01-01T00:00:00.5Z", "9999-12-31T23:59:59.9Z", "2026-12-05T10:00:00\u002E5Z",
        };
        for (int round = 0; round < 3; round++) {
            for (String t : times) {
                String line = "{\"ts\":\"" + t + "\",\"msg\":\"m\"}";
                same(line);
            }
        }
        Random rnd = new Random(6);
        int taken = 0;
        for (int i = 0; i < 5_000; i++) {
            String t = String.format(java.util.Locale.ROOT, "2026-12-%02dT%02d:%02d:%02d%s%s", 1 + rnd.nextInt(2),
                    rnd.nextInt(2), rnd.nextInt(2), rnd.nextInt(3),
                    rnd.nextInt(4) == 0 ? "" : "." + "123456789012".substring(0, 1 + rnd.nextInt(12)),
                    List.of("Z", "z", "", "+02:00").get(rnd.nextInt(4)));
            if (directSame("{\"time\":\"" + t + "\"}", ("{\"time\":\"" + t + "\"}").getBytes(StandardCharsets.UTF_8))) {
                taken++;
            }
        }
        assertEquals(5_000, taken, "a time never keeps a line from the direct way");
    }

    /** The direct way remembers a connection's last level values by their bytes and kind; lines that differ only in kind come one after another here. */
    @Test
    void levelsThatShareTheirBytesButNotTheirKindComeOutAsJacksonMakesThem() {
        String[] levels = {"50.0", "\"50.0\"", "50", "\"50\"", "true", "\"true\"", "\"INFO\"", "\"info \"", "\"6\"", "6",
            "\"verbose\"", "\"WARN\"", "\"E\"", "\"ERROR\"", "\"DEBUG\"", "\"TRACE\"", "\"FATAL\"", "\"notice\"", "\"\\u0049NFO\"",
            "\"" + "x".repeat(20) + "\""};
        Random rnd = new Random(8);
        int taken = 0;
        for (int i = 0; i < 2_000; i++) {
            String line = "{\"level\":" + levels[rnd.nextInt(levels.length)] + ",\"msg\":\"m\"}";
            if (directSame(line, line.getBytes(StandardCharsets.UTF_8))) {
                taken++;
            }
            same(line);
        }
        assertEquals(2_000, taken, "a level never keeps a line from the direct way");
    }

    @Test
    void linesOutsideTheFlatShapeOrInvalidAreLeftToJackson() {
        String[] left = {
            "{\"msg\":\"nested\",\"ctx\":{\"a\":[1, 2, {\"b\" : null}]}}",
            "{\"arr\":[1,2]}",
            "{\"n\":01}", "{\"n\":1.}", "{\"n\":-}", "{\"n\":.5}", "{\"n\":+1}", "{\"n\":1e}", "{\"n\":0x10}",
            "{\"n\":NaN}", "{\"n\":-0}", "{\"b\":tru}", "{\"b\":truex}", "{\"b\":nul}",
            "{\"s\":\"bad escape \\a\"}", "{\"s\":\"short \\u12\"}", "{\"s\":\"ctl \u0001 char\"}",
            "{\"s\":\"unterminated}", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "{\"a\" 1}", "{a:1}", "{'a':1}",
            "{\"a\":1} trailing", "{\"a\":1}{\"b\":2}", "{\"a\":1", "{", "{\"a\":\"x\",",
            "{\"n\":" + "1".repeat(1001) + "}",
        };
        for (String line : left) {
            assertFalse(same(line), "the scanner should leave to Jackson: " + line);
        }
    }

    /** The string scan reads eight bytes at a time and jumps to the first special byte: at every offset in the word. */
    @Test
    void aSpecialByteAtEveryOffsetOfTheEightByteScanIsFound() {
        String[] specials = {"\\\"", "\\\\", "\\n", "\\u00e9", "é", "日", "😀", "\u007f", "\u0001", "\t"};
        int taken = 0;
        int tried = 0;
        for (String special : specials) {
            for (int before = 0; before < 18; before++) {
                for (int after = 0; after < 10; after += 3) {
                    String value = "a".repeat(before) + special + "b".repeat(after);
                    tried++;
                    if (same("{\"msg\":\"" + value + "\",\"k\":\"" + special + value + "\"}")) {
                        taken++;
                    }
                }
            }
        }
        // raw control characters are invalid JSON (Jackson decides); every other string is taken
        assertEquals(tried - 2 * 18 * 4, taken, "taken " + taken + " of " + tried);
    }

    @Test
    void randomLinesComeOutTheSameEitherWay() {
        Random rnd = new Random(20261205);
        int taken = 0;
        int lines = 20_000;
        for (int i = 0; i < lines; i++) {
            String line = randomLine(rnd);
            if (same(line)) {
                taken++;
            }
        }
        // not a vacuous comparison: most lines are flat and valid, so the scanner takes them
        assertTrue(taken > lines / 3, "taken " + taken + " of " + lines);
        assertTrue(taken < lines, "some lines go to Jackson");
        assertTrue(direct > lines / 6, "taken directly: " + direct + " of " + lines);
    }

    private static final String[] KEYS = {"ts", "timestamp", "@timestamp", "time", "level", "severity", "service",
        "app", "host", "hostname", "msg", "message", "log", "stream", "user", "a", "", "k\\u00e9y", "x\\ny"};

    private static String randomLine(Random rnd) {
        StringBuilder sb = new StringBuilder();
        ws(rnd, sb);
        sb.append('{');
        int members = rnd.nextInt(8);
        for (int m = 0; m < members; m++) {
            if (m > 0) {
                ws(rnd, sb);
                sb.append(',');
            }
            ws(rnd, sb);
            sb.append('"').append(KEYS[rnd.nextInt(KEYS.length)]).append('"');
            ws(rnd, sb);
            sb.append(':');
            ws(rnd, sb);
            sb.append(value(rnd, 0));
        }
        ws(rnd, sb);
        sb.append('}');
        ws(rnd, sb);
        String line = sb.toString();
        switch (rnd.nextInt(40)) { // now and then break it
            case 0 -> line = line.substring(0, rnd.nextInt(line.length() + 1));
            case 1 -> line = line + "x";
            case 2 -> {
                int at = rnd.nextInt(line.length());
                line = line.substring(0, at) + "\"{,:]}\\".charAt(rnd.nextInt(7)) + line.substring(at);
            }
            default -> {
            }
        }
        return line;
    }

    private static String value(Random rnd, int depth) {
        return switch (rnd.nextInt(depth > 1 ? 9 : 11)) {
            case 0, 1, 2 -> '"' + string(rnd) + '"';
            case 3 -> Long.toString(rnd.nextLong() >> rnd.nextInt(64));
            case 4 -> number(rnd);
            case 5 -> List.of("true", "false", "null").get(rnd.nextInt(3));
            case 6 -> '"' + List.of("2026-12-05T10:00:00Z", "2026-12-05 10:00:00.5+01:00", "1733392800", " 1733392800.123 ",
                    "INFO", "warn", "E", "30", "6", "banana").get(rnd.nextInt(10)) + '"';
            case 7 -> List.of("30", "50.0", "1733392800123", "1733392800.5", "1e3", "-1", "99999999999999999999")
                    .get(rnd.nextInt(7));
            case 8 -> '"' + "long ".repeat(rnd.nextInt(200)) + '"';
            case 9 -> "{\"in\":" + value(rnd, depth + 1) + "}";
            default -> "[" + value(rnd, depth + 1) + ", " + value(rnd, depth + 1) + "]";
        };
    }

    private static String number(Random rnd) {
        StringBuilder sb = new StringBuilder();
        if (rnd.nextBoolean()) {
            sb.append('-');
        }
        sb.append(rnd.nextInt(4) == 0 ? "0" : Integer.toString(1 + rnd.nextInt(100_000)));
        if (rnd.nextBoolean()) {
            sb.append('.').append(rnd.nextInt(1000));
        }
        if (rnd.nextInt(4) == 0) {
            sb.append(rnd.nextBoolean() ? 'e' : 'E').append(List.of("", "+", "-").get(rnd.nextInt(3))).append(rnd.nextInt(30));
        }
        return sb.toString();
    }

    private static final List<String> PIECES = new ArrayList<>(List.of("a", "b", " ", "é", "日本", "😀", "\\\"", "\\\\",
            "\\/", "\\n", "\\t", "\\r", "\\b", "\\f", "\\u0041", "\\u00e9", "\\ud83d\\ude00", "\\ud800", "\\uDFFF",
            "\\x", "\u0001", "\u007f", "{", "}", ",", ":", "[", "]", "'"));

    private static String string(Random rnd) {
        StringBuilder sb = new StringBuilder();
        int n = rnd.nextInt(12);
        for (int i = 0; i < n; i++) {
            // the invalid pieces (\x, a raw control character) rarely, so most strings stay valid
            String p = PIECES.get(rnd.nextInt(PIECES.size()));
            if ((p.equals("\\x") || p.equals("\u0001")) && rnd.nextInt(8) != 0) {
                p = "z";
            }
            sb.append(p);
        }
        return sb.toString();
    }

    private static void ws(Random rnd, StringBuilder sb) {
        if (rnd.nextInt(4) == 0) {
            sb.append(" \t\r\n".charAt(rnd.nextInt(4)));
        }
    }

    @Test
    void aLineOfVeryManyMembersDoesNotStayInTheScannerAfterIt() {
        // one scanner per connection: a line of 95,000 members kept ~2.5 MB of spans and key Strings
        // for the connection's life, and 200 connections that each sent one ran serve's heap out
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < 95_000; i++) {
            sb.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i % 10);
        }
        byte[] wide = sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
        FlatJsonScanner s = new FlatJsonScanner();
        assertTrue(s.scan(wide, wide.length));
        assertEquals(95_000, s.count());
        for (int i = 0; i < s.count(); i++) {
            assertEquals("k" + i, s.name(i));
        }
        assertTrue(s.keptCapacity() >= 95_000);
        s.release();
        assertTrue(s.keptCapacity() <= FlatJsonScanner.MAX_KEPT_MEMBERS, "kept " + s.keptCapacity());
        byte[] next = "{\"msg\":\"after\",\"k0\":1}".getBytes(StandardCharsets.UTF_8);
        assertTrue(s.scan(next, next.length));
        assertEquals("k0", s.name(1));
        s.release();
    }

    @Test
    void wideFlatLinesAreTakenDirectlyUpTo256MembersAndARepeatedKeyIsLeftToJackson() {
        for (int members : new int[] {17, 33, 40, 100, 253}) {
            StringBuilder sb = new StringBuilder("{\"msg\":\"m\",\"level\":\"warn\",\"service\":\"envoy\"");
            for (int i = 0; i < members - 3; i++) {
                sb.append(",\"k").append(i).append("\":").append(i % 3 == 0 ? "\"v" + i + "\"" : i % 3 == 1 ? "1.5" : "true");
            }
            String unique = sb + "}";
            byte[] bytes = unique.getBytes(StandardCharsets.UTF_8);
            assertTrue(same(unique), members + " members: scanned");
            assertTrue(directSame(unique, bytes), members + " members: taken directly");
            // the same keys with one repeated, first and last and in between: left to Jackson's way
            for (String repeat : List.of(",\"k0\":2", ",\"k" + (members - 4) + "\":2", ",\"k" + (members / 2) + "\":\"x\"")) {
                String dup = sb + repeat + "}";
                same(dup);
                assertFalse(directSame(dup, dup.getBytes(StandardCharsets.UTF_8)), members + " members, repeated: " + repeat);
            }
        }
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < 257; i++) {
            sb.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i);
        }
        String over = sb + "}";
        assertFalse(directSame(over, over.getBytes(StandardCharsets.UTF_8)), "over 256 members: the builder's way");
        same(over);
    }
}
