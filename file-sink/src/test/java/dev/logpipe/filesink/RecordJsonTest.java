package dev.logpipe.filesink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Golden tests of the record JSON ({@code tail --format json}, the Kafka forwarder's value) and of
 * {@link FieldValue}'s string escaping: the exact bytes users and other code depend on.
 */
class RecordJsonTest {

    /** Every class of character: named escapes, other controls (lower-case hex), DEL, '/', non-ASCII, U+2028, emoji. */
    private static final String TRICKY = "q\" b\\ /s\n\r\t\b\f \u0000\u001b\u001f \u007f é ü 日本 \u2028 \uD83D\uDE00 end";
    private static final String TRICKY_JSON = "\"q\\\" b\\\\ /s\\n\\r\\t\\b\\f \\u0000\\u001b\\u001f \u007f é ü 日本 \u2028 \uD83D\uDE00 end\"";

    @Test
    void escapesStringsAsBefore() {
        StringBuilder sb = new StringBuilder();
        FieldValue.appendJsonString(sb, TRICKY);
        assertEquals(TRICKY_JSON, sb.toString());
        assertEquals(TRICKY_JSON, FieldValue.string(TRICKY).toJson());
        assertEquals("{\"a\": 1}", new FieldValue("{\"a\": 1}", true).toJson(), "JSON values are written as they are");
        assertEquals("{\"a\":1}", FieldValue.json("{\"a\": 1}").toJson(), "FieldValue.json checks and compacts");
        sb.setLength(0);
        FieldValue.appendJsonString(sb.append("x"), "");
        assertEquals("x\"\"", sb.toString(), "appends");
    }

    @Test
    void aLoneSurrogateIsKeptAsTheCharacter() {
        assertEquals("\"a\uD800b\"", FieldValue.string("a\uD800b").toJson());
    }

    @Test
    void recordJsonIsByteForByteTheSame() {
        LogRecord r = LogRecord.builder()
                .eventTime(Instant.parse("2026-11-25T19:00:00Z"))
                .receiveTime(Instant.parse("2026-11-25T19:04:33.742560201Z"))
                .level(Level.INFO).host("db-2").service("postgres").message(TRICKY)
                .field("s", "v 1").fieldJson("n", "42").fieldJson("o", "{\"a\":[1,\"x\"]}").field(TRICKY, "k")
                .source("tcp:127.0.0.1:56222").format(SourceFormat.SYSLOG_5424)
                .syslog(new SyslogInfo(1, 5, "postgres", "77", "", "[a b=\"c\"]"))
                .flag(RecordFlag.TRUNCATED).flag(RecordFlag.MALFORMED)
                .build();
        String expected = "{\"index\":8569095410679810,\"time\":\"2026-11-25T19:00:00Z\",\"receive_time\":\"2026-11-25T19:04:33.742560201Z\","
                + "\"level\":\"INFO\",\"host\":\"db-2\",\"service\":\"postgres\",\"message\":" + TRICKY_JSON + ","
                + "\"fields\":{\"s\":\"v 1\",\"n\":42,\"o\":{\"a\":[1,\"x\"]}," + TRICKY_JSON + ":\"k\"},"
                + "\"source\":\"tcp:127.0.0.1:56222\",\"format\":\"SYSLOG_5424\",\"flags\":[\"MALFORMED\",\"TRUNCATED\"],"
                + "\"syslog\":{\"facility\":1,\"severity\":5,\"app_name\":\"postgres\",\"proc_id\":\"77\",\"msg_id\":\"\","
                + "\"structured_data\":\"[a b=\\\"c\\\"]\"}}";
        ReadRecord rr = new ReadRecord(8569095410679810L, r);
        assertEquals(expected, RecordJson.of(rr));
        StringBuilder sb = new StringBuilder("prefix");
        assertEquals("prefix" + expected, RecordJson.append(sb, rr.index(), r).toString());
    }

    @Test
    void aRecordWithoutSyslogOrFieldsHasEmptyContainers() {
        LogRecord r = LogRecord.builder().eventTimeNanos(0).receiveTimeNanos(1).message("m")
                .source("embedded").format(SourceFormat.TEXT).build();
        assertEquals("{\"index\":-1,\"time\":\"1970-01-01T00:00:00Z\",\"receive_time\":\"1970-01-01T00:00:00.000000001Z\","
                + "\"level\":\"UNSET\",\"host\":\"\",\"service\":\"\",\"message\":\"m\",\"fields\":{},\"source\":\"embedded\","
                + "\"format\":\"TEXT\",\"flags\":[]}", RecordJson.of(new ReadRecord(-1, r)));
    }
}
