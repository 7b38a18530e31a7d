package dev.logpipe.filesink;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The record's fields: insertion order, replacement in place, the indexed accessors and the map view agree. */
class LogRecordTest {

    /**
     * A JSON field value is checked: text that is not one JSON value went as it was into every JSON a
     * reader prints ({@code "fields":{"j":not json {}}), and a line break in it split the line.
     */
    @Test
    void jsonFieldValuesAreCheckedAndMadeCompact() {
        for (String bad : new String[] {"not json {", "", "  ", "1 2", "{\"a\":", "NaN"}) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> LogRecord.builder().fieldJson("j", bad), bad);
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("JSON"), e.getMessage());
        }
        LogRecord r = LogRecord.builder().fieldJson("j", "{\n  \"a b\" : [1, 2],\t\"s\": \"x \\\" y\"\r\n}").build();
        org.junit.jupiter.api.Assertions.assertEquals("{\"a b\":[1,2],\"s\":\"x \\\" y\"}", r.fields().get("j").text());
        org.junit.jupiter.api.Assertions.assertEquals("42", LogRecord.builder().fieldJson("n", "42").build().fields().get("n").text());
    }

    @Test
    void fieldsKeepInsertionOrderAndAReplacedFieldKeepsItsPlace() {
        LogRecord r = LogRecord.builder().field("b", "1").fieldJson("a", "2").field("c", "3")
                .field("b", "replaced").build();
        assertEquals(3, r.fieldCount());
        assertEquals(List.of("b", "a", "c"), List.of(r.fieldName(0), r.fieldName(1), r.fieldName(2)));
        assertEquals(FieldValue.string("replaced"), r.fieldValue(0));
        assertEquals(FieldValue.json("2"), r.fieldValue(1));
        assertEquals(List.of("b", "a", "c"), List.copyOf(r.fields().keySet()));
        assertEquals("replaced", r.fields().get("b").text());
        assertSame(r.fields(), r.fields(), "the map view is made once");
        assertThrows(UnsupportedOperationException.class, () -> r.fields().put("x", FieldValue.string("y")));
        assertThrows(IndexOutOfBoundsException.class, () -> r.fieldName(3));
    }

    @Test
    void manyFieldsBehaveLikeALinkedHashMap() {
        // past the builder's switch from scanning to a name index, with replacements on both sides of it
        LogRecord.Builder b = LogRecord.builder();
        Map<String, FieldValue> expected = new LinkedHashMap<>();
        for (int i = 0; i < 100; i++) {
            String name = "k" + (i * 7 % 40); // names repeat: later puts replace
            FieldValue v = i % 3 == 0 ? FieldValue.json(Integer.toString(i)) : FieldValue.string("v" + i);
            b.field(name, v);
            expected.put(name, v);
        }
        LogRecord r = b.build();
        assertEquals(expected, r.fields());
        assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(r.fields().keySet()));
        assertEquals(expected.size(), r.fieldCount());
        int i = 0;
        for (Map.Entry<String, FieldValue> e : expected.entrySet()) {
            assertEquals(e.getKey(), r.fieldName(i));
            assertEquals(e.getValue(), r.fieldValue(i));
            i++;
        }
    }

    @Test
    void aBuilderReusedAfterBuildDoesNotChangeTheRecord() {
        LogRecord.Builder b = LogRecord.builder().receiveTimeNanos(1).field("a", "1");
        LogRecord first = b.build();
        b.field("a", "changed").field("b", "2");
        assertEquals(1, first.fieldCount());
        assertEquals("1", first.fieldValue(0).text());
        assertEquals(2, b.build().fieldCount());
    }

    @Test
    void equalityIncludesFieldOrder() {
        LogRecord ab = LogRecord.builder().receiveTimeNanos(1).field("a", "1").field("b", "2").build();
        LogRecord ab2 = LogRecord.builder().receiveTimeNanos(1).field("a", "1").field("b", "2").build();
        LogRecord ba = LogRecord.builder().receiveTimeNanos(1).field("b", "2").field("a", "1").build();
        assertEquals(ab, ab2);
        assertEquals(ab.hashCode(), ab2.hashCode());
        assertNotEquals(ab, ba);
        assertEquals(ab.fields(), ba.fields(), "as maps they are equal; as records, order counts");
        assertEquals(ab, ab.toBuilder().build());
        assertTrue(LogRecord.builder().build().fields().isEmpty());
    }

    @Test
    void theHeapEstimateCountsEachStringAndObject() {
        LogRecord empty = LogRecord.builder().build();
        assertEquals(104 + 3 * 40, empty.heapBytes(), "record, request, three empty strings");
        LogRecord msg = LogRecord.builder().message("x".repeat(100)).build();
        assertEquals(empty.heapBytes() + 100, msg.heapBytes());
        LogRecord field = LogRecord.builder().message("x".repeat(100)).field("ab", "cde").build();
        assertEquals(msg.heapBytes() + 32 + 8 + 24 + 40 + 2 + 40 + 3, field.heapBytes());
        LogRecord sys = LogRecord.builder().syslog(new SyslogInfo(1, 6, "app", "", "", "")).build();
        assertEquals(empty.heapBytes() + 32 + 4 * 40 + 3, sys.heapBytes());
        assertEquals(empty.heapBytes(), LogRecord.builder().source("tcp:127.0.0.1:5000").build().heapBytes(),
                "a connection's records share its source");
        assertEquals(field.heapBytes(), AppendRequest.of(field).weight(), "a channel weighs a request by it");
    }

    @Test
    void receivedReplacesSourceFormatAndReceiveTimeAndKeepsTheRest() {
        LogRecord r = LogRecord.builder().eventTimeNanos(1_000L).receiveTimeNanos(2_000L).level(Level.WARN)
                .host("h").service("s").message("m").field("a", "1").fieldJson("b", "{\"x\":2}")
                .source("old-source").flag(RecordFlag.TRUNCATED).build();
        LogRecord stamped = r.received("app", SourceFormat.EMBEDDED, 3_000L);
        LogRecord expected = r.toBuilder().source("app").format(SourceFormat.EMBEDDED).receiveTimeNanos(3_000L).build();
        assertEquals(expected, stamped);
        assertEquals(expected.estimatedBytes(), stamped.estimatedBytes(), "the size estimate follows the new source");
        assertEquals(expected.heapBytes(), stamped.heapBytes(), "the heap estimate does not count the shared source");
        assertEquals(1_000L, stamped.eventTimeNanos());
        assertEquals(List.of("a", "b"), new ArrayList<>(stamped.fields().keySet()));
        assertEquals("old-source", r.source(), "the original is unchanged");
    }
}
