package dev.logpipe.otlp.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OtlpLogMapperTest {

    private static KeyValue kv(String key, String value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
    }

    private static LogRecord one(io.opentelemetry.proto.logs.v1.LogRecord lr, KeyValue... resource) {
        ExportLogsServiceRequest req = ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
                .setResource(Resource.newBuilder().addAllAttributes(List.of(resource)))
                .addScopeLogs(ScopeLogs.newBuilder().addLogRecords(lr))).build();
        OtlpLogMapper.Mapped m = OtlpLogMapper.map(req, "http:127.0.0.1:1", 42L);
        assertEquals(1, m.records().size());
        assertSame(m, wire(req.toByteArray(), "http:127.0.0.1:1", 42L));
        return m.records().get(0);
    }

    /** The records of a protobuf body mapped from the wire, record by record. */
    private static OtlpLogMapper.Mapped wire(byte[] body, String source, long now) {
        try {
            return OtlpLogMapper.mapProtobuf(ByteBuffer.wrap(body), source, now);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertSame(OtlpLogMapper.Mapped expected, OtlpLogMapper.Mapped actual) {
        assertEquals(expected.records(), actual.records());
        assertEquals(expected.rejectedByReason(), actual.rejectedByReason());
        assertEquals(expected.rejected(), actual.rejected());
        assertEquals(expected.firstError(), actual.firstError());
    }

    private static byte[] field(int number, byte[]... parts) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            bytes.write(p);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(out);
        c.writeByteArray(number, bytes.toByteArray());
        c.flush();
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p);
        }
        return out.toByteArray();
    }

    @Test
    void mappedFromTheWireRecordByRecordAsFromTheDecodedRequest() throws Exception {
        var lr = io.opentelemetry.proto.logs.v1.LogRecord.newBuilder();
        KeyValue nested = KeyValue.newBuilder().setKey("cart").setValue(AnyValue.newBuilder().setArrayValue(
                ArrayValue.newBuilder().addValues(AnyValue.newBuilder().setIntValue(3)))).build();
        ExportLogsServiceRequest req = ExportLogsServiceRequest.newBuilder()
                .addResourceLogs(ResourceLogs.newBuilder().setSchemaUrl("https://opentelemetry.io/schemas/1.21.0")
                        .setResource(Resource.newBuilder().addAttributes(kv("service.name", "api"))
                                .addAttributes(kv("host.name", "h1")).addAttributes(nested)
                                .addAttributes(kv("k8s.pod.name", "api-7")))
                        .addScopeLogs(ScopeLogs.newBuilder()
                                .setScope(io.opentelemetry.proto.common.v1.InstrumentationScope.newBuilder()
                                        .setName("lib").setVersion("1.2").addAttributes(kv("team", "pay")))
                                .addLogRecords(lr.clone().setTimeUnixNano(5).setSeverityNumberValue(10)
                                        .setBody(AnyValue.newBuilder().setStringValue("one")).addAttributes(nested))
                                .addLogRecords(lr.clone().setSpanId(ByteString.copyFrom(new byte[3])))
                                .addLogRecords(lr.clone().setBody(AnyValue.newBuilder().setStringValue("three"))))
                        .addScopeLogs(ScopeLogs.newBuilder().addLogRecords(lr.clone().setEventName("e"))))
                .addResourceLogs(ResourceLogs.newBuilder()
                        .addScopeLogs(ScopeLogs.newBuilder().addLogRecords(lr.clone().setSeverityText("warn")
                                .setTraceId(ByteString.copyFrom(new byte[16])))))
                .build();
        OtlpLogMapper.Mapped expected = OtlpLogMapper.map(req, "s", 7);
        assertEquals(4, expected.records().size());
        assertEquals(1, expected.rejected());
        assertSame(expected, wire(req.toByteArray(), "s", 7));

        // The same request with each resource after its scope logs and each scope after its records, an
        // unknown field, and a resource sent in two parts (protobuf merges them): the same records.
        ResourceLogs first = req.getResourceLogs(0);
        byte[] resourceLogs = concat(
                field(2, field(2, first.getScopeLogs(0).getLogRecords(0).toByteArray()),
                        field(2, first.getScopeLogs(0).getLogRecords(1).toByteArray()),
                        field(9, new byte[] {1, 2, 3}),
                        field(2, first.getScopeLogs(0).getLogRecords(2).toByteArray()),
                        field(1, first.getScopeLogs(0).getScope().toByteArray())),
                field(2, first.getScopeLogs(1).toByteArray()),
                field(1, Resource.newBuilder().addAttributes(kv("service.name", "api")).addAttributes(kv("host.name", "h1"))
                        .build().toByteArray()),
                field(3, first.getSchemaUrlBytes().toByteArray()),
                field(1, Resource.newBuilder().addAttributes(nested).addAttributes(kv("k8s.pod.name", "api-7"))
                        .build().toByteArray()));
        byte[] reordered = concat(field(1, resourceLogs), field(1, req.getResourceLogs(1).toByteArray()));
        assertSame(expected, OtlpLogMapper.map(ExportLogsServiceRequest.parseFrom(reordered), "s", 7)); // protobuf reads it so
        assertSame(expected, wire(reordered, "s", 7));
    }

    private static byte[] fixed64(int number, long value) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(out);
        c.writeFixed64(number, value);
        c.flush();
        return out.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aRecordWithStringsThatAreNotUtf8IsStoredReplacedAndFlaggedWithTheRestOfTheRequest() throws Exception {
        // protobuf-java refuses such a record; the whole request was a 400, which senders do not retry
        byte[] bad = concat(
                fixed64(1, 1_700_000_000_000_000_000L), // time_unix_nano, copied as it is
                field(3, new byte[] {'w', (byte) 0xff}), // severity_text
                field(5, field(1, new byte[] {'b', 'o', 'd', 'y', (byte) 0xc3, '('})), // body.string_value
                field(6, field(1, new byte[] {'k', (byte) 0xff}), field(2, field(1, utf8("v")))), // an attribute's key
                field(6, field(1, utf8("nested")), field(2, field(6, field(1, // kvlist_value.values[0].value
                        field(1, utf8("in")), field(2, field(1, new byte[] {'x', (byte) 0xfe})))))),
                field(6, field(1, utf8("list")), field(2, field(5, field(1, field(1, new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80})))))); // a surrogate
        assertThrows(InvalidProtocolBufferException.class, () -> io.opentelemetry.proto.logs.v1.LogRecord.parseFrom(bad));
        byte[] good1 = io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
                .setBody(AnyValue.newBuilder().setStringValue("first")).build().toByteArray();
        byte[] good2 = io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
                .setBody(AnyValue.newBuilder().setStringValue("last")).build().toByteArray();
        byte[] body = field(1, field(2, field(2, good1), field(2, bad), field(2, good2)));

        OtlpLogMapper.Mapped m = wire(body, "s", 7);
        assertEquals(0, m.rejected(), String.valueOf(m.firstError()));
        assertEquals(java.util.Map.of(dev.logpipe.collector.RejectReason.INVALID_UTF8, 1L), m.flaggedByReason());
        assertEquals(3, m.records().size());
        LogRecord r = m.records().get(1);
        assertEquals("body\uFFFD(", r.message());
        assertEquals(1_700_000_000_000_000_000L, r.eventTimeNanos());
        assertTrue(r.flags().contains(dev.logpipe.filesink.RecordFlag.INVALID_UTF8), r.toString());
        String all = r.toString();
        for (String part : List.of("w\uFFFD", "k\uFFFD", "x\uFFFD", "[\"\uFFFD\"]")) {
            assertTrue(all.contains(part), part + " in " + all);
        }
        assertEquals(List.of("first", "last"), List.of(m.records().get(0).message(), m.records().get(2).message()));
        assertTrue(m.records().get(0).flags().isEmpty() && m.records().get(2).flags().isEmpty());
    }

    @Test
    void aResourceOrScopeWithStringsThatAreNotUtf8FlagsTheirRecordsInsteadOfRefusingTheRequest() throws Exception {
        byte[] rec = io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
                .setBody(AnyValue.newBuilder().setStringValue("r")).build().toByteArray();
        byte[] badResource = concat(field(1, kv("service.name", "api").toByteArray()), // attributes
                field(1, field(1, new byte[] {'k', (byte) 0xff}), field(2, field(1, utf8("v")))));
        byte[] badScope = concat(field(1, new byte[] {'l', 'i', 'b', (byte) 0xc0}), field(2, utf8("1.0"))); // name, version
        byte[] body = concat(
                // resource_logs { resource: bad; scope_logs { log_records: rec, rec } }
                field(1, field(1, badResource), field(2, field(2, rec), field(2, rec))),
                // resource_logs { scope_logs { scope: bad; log_records: rec } scope_logs { log_records: rec } }
                field(1, field(2, field(1, badScope), field(2, rec)), field(2, field(2, rec))));
        OtlpLogMapper.Mapped m = wire(body, "s", 7);
        assertEquals(0, m.rejected(), String.valueOf(m.firstError()));
        assertEquals(4, m.records().size());
        assertEquals(java.util.Map.of(dev.logpipe.collector.RejectReason.INVALID_UTF8, 3L), m.flaggedByReason());
        List<Boolean> flagged = m.records().stream()
                .map(r -> r.flags().contains(dev.logpipe.filesink.RecordFlag.INVALID_UTF8)).toList();
        assertEquals(List.of(true, true, true, false), flagged);
        assertEquals("api", m.records().get(0).service());
        assertTrue(m.records().get(0).toString().contains("resource.k\uFFFD"), m.records().get(0).toString());
        assertTrue(m.records().get(2).toString().contains("lib\uFFFD"), m.records().get(2).toString());
        assertEquals(FieldValue.string("1.0"), m.records().get(2).fields().get("scope.version"));
    }

    /** A log record whose body is {@code arrays} arrays, one inside the other, around a string that is not UTF-8. */
    private static byte[] nestedBadBody(int arrays) throws IOException {
        byte[] value = field(1, new byte[] {'d', (byte) 0xff}); // AnyValue.string_value
        for (int i = 0; i < arrays; i++) {
            value = field(5, field(1, value)); // AnyValue.array_value { values: value }
        }
        return field(1, field(2, field(2, field(5, value)))); // request { resource_logs { scope_logs { log_records { body } } } }
    }

    @Test
    void aBadStringIsRepairedUpToTheDepthLimitAndDeeperRefusesTheRequestAsBefore() throws Exception {
        // the innermost value of n arrays is at depth 1 + 2n below the log record
        int deepest = (Utf8Repair.MAX_DEPTH - 1) / 2;
        OtlpLogMapper.Mapped m = wire(nestedBadBody(deepest), "s", 7);
        assertEquals(1, m.records().size());
        assertTrue(m.records().get(0).message().contains("d\uFFFD"), m.records().get(0).toString());
        assertThrows(InvalidProtocolBufferException.class,
                () -> OtlpLogMapper.mapProtobuf(ByteBuffer.wrap(nestedBadBody(deepest + 1)), "s", 1));
    }

    @Test
    void aRecordMalformedOtherwiseStillRefusesTheRequest() throws Exception {
        // a bad string next to a field cut short: repairing the string does not make it decode
        byte[] bad = concat(field(3, new byte[] {'w', (byte) 0xff}), new byte[] {0x2a, 0x05, 'a'});
        byte[] body = field(1, field(2, field(2, bad)));
        assertThrows(InvalidProtocolBufferException.class, () -> OtlpLogMapper.mapProtobuf(ByteBuffer.wrap(body), "s", 1));
    }

    @Test
    void aBodyThatDoesNotDecodeIsRefusedWholeFromTheWireToo() throws Exception {
        byte[] good = ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
                .addScopeLogs(ScopeLogs.newBuilder().addLogRecords(io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
                        .setBody(AnyValue.newBuilder().setStringValue("x"))))).build().toByteArray();
        byte[] badUtf8 = field(1, field(3, new byte[] {(byte) 0xc3, 0x28}));
        List<byte[]> bad = List.of(java.util.Arrays.copyOf(good, good.length - 1), badUtf8,
                new byte[] {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f}, new byte[] {0x0c});
        for (byte[] b : bad) {
            assertThrows(InvalidProtocolBufferException.class, () -> ExportLogsServiceRequest.parseFrom(b));
            assertThrows(InvalidProtocolBufferException.class, () -> OtlpLogMapper.mapProtobuf(ByteBuffer.wrap(b), "s", 1));
        }
    }

    @Test
    void severityNumbersMapByRangeAndTextIsUsedOnlyWithoutANumber() {
        int[][] ranges = {{1, 4}, {5, 8}, {9, 12}, {13, 16}, {17, 20}, {21, 24}};
        Level[] levels = {Level.TRACE, Level.DEBUG, Level.INFO, Level.WARN, Level.ERROR, Level.FATAL};
        for (int i = 0; i < ranges.length; i++) {
            for (int n = ranges[i][0]; n <= ranges[i][1]; n++) {
                assertEquals(levels[i], OtlpLogMapper.levelOf(n), "severity " + n);
            }
        }
        assertNull(OtlpLogMapper.levelOf(0));
        assertNull(OtlpLogMapper.levelOf(25));
        var base = io.opentelemetry.proto.logs.v1.LogRecord.newBuilder();
        assertEquals(Level.WARN, one(base.clone().setSeverityText("warning").build()).level());
        LogRecord unknown = one(base.clone().setSeverityText("loud").build());
        assertEquals(Level.UNSET, unknown.level());
        assertEquals(FieldValue.string("loud"), unknown.fields().get("severity_text"), "kept when it does not map");
        LogRecord both = one(base.clone().setSeverityNumberValue(9).setSeverityText("audit").build());
        assertEquals(Level.INFO, both.level());
        assertEquals(FieldValue.string("audit"), both.fields().get("severity_text"));
        assertNull(both.fields().get("severity_number"), "9 is INFO itself");
        assertEquals(Level.UNSET, one(base.clone().build()).level());
    }

    @Test
    void timesFallBackToTheObservedTimeThenTheReceiveTime() {
        var b = io.opentelemetry.proto.logs.v1.LogRecord.newBuilder();
        assertEquals(7L, one(b.clone().setObservedTimeUnixNano(7).build()).eventTimeNanos());
        assertEquals(42L, one(b.clone().build()).eventTimeNanos());
        LogRecord both = one(b.clone().setTimeUnixNano(5).setObservedTimeUnixNano(9).build());
        assertEquals(5L, both.eventTimeNanos());
        assertEquals(FieldValue.json("9"), both.fields().get("observed_time_unix_nano"));
    }

    @Test
    void resourceAttributesAreFieldsAndAnAttributeNamedLikeAMappedFieldKeepsBoth() {
        LogRecord r = one(io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
                        .setTraceId(ByteString.copyFrom(new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, (byte) 255}))
                        .addAttributes(kv("trace_id", "from the app"))
                        .addAttributes(kv("user", "u-1"))
                        .build(),
                kv("service.name", "api"), kv("host.name", "h1"), kv("k8s.pod.name", "api-7"));
        assertEquals("api", r.service());
        assertEquals("h1", r.host());
        assertEquals(FieldValue.string("000102030405060708090a0b0c0d0eff"), r.fields().get("trace_id"));
        assertEquals(FieldValue.string("from the app"), r.fields().get("attributes.trace_id"));
        assertEquals(FieldValue.string("u-1"), r.fields().get("user"));
        assertEquals(FieldValue.string("api-7"), r.fields().get("resource.k8s.pod.name"));
        assertNull(r.fields().get("resource.service.name"), "mapped to service");
    }

    @Test
    void nonStringBodiesAreStoredAsJson() {
        AnyValue arr = AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
                .addValues(AnyValue.newBuilder().setIntValue(1))
                .addValues(AnyValue.newBuilder().setDoubleValue(Double.NaN))
                .addValues(AnyValue.newBuilder().setBytesValue(ByteString.copyFrom(new byte[] {1, 2})))
                .addValues(AnyValue.newBuilder().setBoolValue(false))).build();
        LogRecord r = one(io.opentelemetry.proto.logs.v1.LogRecord.newBuilder().setBody(arr).build());
        assertEquals("[1,\"NaN\",\"AQI=\",false]", r.message());
    }

    @Test
    void jsonIdsAreHexAndAnInvalidOneRejectsOnlyItsRecord() throws Exception {
        String body = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":["
                + "{\"traceId\":\"5B8EFFF798038103D269B633813FC60C\",\"spanId\":\"eee19b7ec3c1b174\"},"
                + "{\"traceId\":\"W4789/eYA4HSabYzgT/GDA==\"},"  // base64 (plain proto3 JSON): not OTLP JSON
                + "{\"spanId\":\"eee19b7ec3c1b17\"}]}]}]}";
        ExportLogsServiceRequest req = OtlpJson.decodeRequest(body.getBytes(StandardCharsets.UTF_8));
        OtlpLogMapper.Mapped m = OtlpLogMapper.map(req, "s", 1);
        assertEquals(1, m.records().size());
        assertEquals(FieldValue.string("5b8efff798038103d269b633813fc60c"), m.records().get(0).fields().get("trace_id"));
        assertEquals(2, m.rejected());
        assertEquals(java.util.Map.of(dev.logpipe.collector.RejectReason.OTLP_BAD_TRACE_ID, 1L,
                dev.logpipe.collector.RejectReason.OTLP_BAD_SPAN_ID, 1L), m.rejectedByReason());
        assertTrue(m.firstError().startsWith("log record 1: trace_id"), m.firstError());
    }

    @Test
    void jsonOfTheWrongShapeOrWithAnOutOfRangeIntegerIsABadRequest() {
        for (String bad : List.of("{\"resourceLogs\":{}}", "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":\"x\"}]}]}]}",
                "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"intValue\":\"9223372036854775808\"}}]}]}]}",
                "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"severityNumber\":\"LOUD\"}]}]}]}", "nope")) {
            assertThrows(BadRequestException.class, () -> OtlpJson.decodeRequest(bad.getBytes(StandardCharsets.UTF_8)), bad);
        }
    }
    @Test
    void jsonLogRecordsAreCountedFromTheTokensBeforeTheRequestIsDecoded() throws Exception {
        String rec = "{\"body\":{\"kvlistValue\":{\"values\":[{\"key\":\"logRecords\",\"value\":{}}]}},"
                + "\"attributes\":[{\"key\":\"a\",\"value\":{\"arrayValue\":{\"values\":[{}]}}}]}";
        String body = "{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":\"k\"}]},\"scopeLogs\":["
                + "{\"logRecords\":[" + rec + "," + rec + "]},{\"log_records\":[" + rec + "]}]},"
                + "{\"scopeLogs\":[{\"logRecords\":[" + rec + "]}]}]}";
        ByteBuffer b = ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8));
        assertEquals(4, OtlpJson.countLogRecords(b, Long.MAX_VALUE), "only the elements of logRecords arrays");
        assertEquals(4, OtlpJson.decodeRequest(b, 4).getResourceLogsList().stream()
                .flatMap(r -> r.getScopeLogsList().stream()).mapToInt(ScopeLogs::getLogRecordsCount).sum());
        assertEquals(4, OtlpJson.countLogRecords(b.asReadOnlyBuffer(), Long.MAX_VALUE), "also from a buffer without an array");
        assertEquals(3, OtlpJson.countLogRecords(b, 2), "stops one past the limit");
        assertThrows(OtlpLogMapper.TooManyRecordsException.class, () -> OtlpJson.decodeRequest(b, 3));
        assertEquals(0, OtlpJson.countLogRecords(ByteBuffer.wrap("not json".getBytes(StandardCharsets.UTF_8)), 10));
    }

    private static io.opentelemetry.proto.logs.v1.LogRecord.Builder withAttributes(int n, String prefix) {
        var lr = io.opentelemetry.proto.logs.v1.LogRecord.newBuilder().setBody(AnyValue.newBuilder().setStringValue("m"));
        for (int i = 0; i < n; i++) {
            lr.addAttributes(kv(prefix + i, "v"));
        }
        return lr;
    }

    @Test
    void aLogRecordOverTheLimitIsRejectedAloneAndTheOthersAreKept() throws Exception {
        var small = io.opentelemetry.proto.logs.v1.LogRecord.newBuilder().setBody(AnyValue.newBuilder().setStringValue("ok"));
        var big = withAttributes(80_000, "attribute-"); // ~1.3 MB on the wire
        ExportLogsServiceRequest req = ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
                .addScopeLogs(ScopeLogs.newBuilder().addLogRecords(small).addLogRecords(big).addLogRecords(small))).build();
        assertTrue(big.build().getSerializedSize() > OtlpLogMapper.MAX_RECORD_BYTES);
        OtlpLogMapper.Mapped m = wire(req.toByteArray(), "s", 1);
        assertEquals(2, m.records().size());
        assertEquals(1, m.rejected());
        assertEquals(java.util.Map.of(dev.logpipe.collector.RejectReason.OVERSIZE, 1L), m.rejectedByReason());
        assertTrue(m.firstError().startsWith("log record 1: "), m.firstError());
        assertSame(m, OtlpLogMapper.map(req, "s", 1));
    }

    @Test
    void recordsThatWouldHoldMoreThanTheBoundOnceMappedRefuseTheRequest() throws Exception {
        // eight records of 20,000 small attributes: 2.3 MB on the wire, some 30 MB of heap once mapped
        var scope = ScopeLogs.newBuilder();
        for (int i = 0; i < 8; i++) {
            scope.addLogRecords(withAttributes(20_000, "a"));
        }
        ExportLogsServiceRequest req = ExportLogsServiceRequest.newBuilder()
                .addResourceLogs(ResourceLogs.newBuilder().addScopeLogs(scope)).build();
        long bound = 4L * req.getSerializedSize();
        OtlpLogMapper.TooMuchToMapException e = assertThrows(OtlpLogMapper.TooMuchToMapException.class,
                () -> OtlpLogMapper.mapProtobuf(ByteBuffer.wrap(req.toByteArray()), "s", 1, 100_000, bound));
        assertTrue(e.getMessage().contains(Long.toString(bound)), e.getMessage());
        assertThrows(OtlpLogMapper.TooMuchToMapException.class, () -> OtlpLogMapper.map(req, "s", 1, 100_000, bound));
        // the same records within a bound they fit: all mapped
        assertEquals(8, OtlpLogMapper.mapProtobuf(ByteBuffer.wrap(req.toByteArray()), "s", 1, 100_000, 1L << 30)
                .records().size());
    }

    @Test
    void resourceAttributesCountOnceNotOncePerRecord() throws Exception {
        // 1,000 records sharing a resource of 500 attributes of 1,000 characters: counted per record, their
        // text would be 500 MB; shared, the records hold only their references to it (4 MB)
        Resource.Builder resource = Resource.newBuilder();
        for (int i = 0; i < 500; i++) {
            resource.addAttributes(kv("r" + i, "v".repeat(1_000)));
        }
        var scope = ScopeLogs.newBuilder();
        for (int i = 0; i < 1_000; i++) {
            scope.addLogRecords(io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
                    .setBody(AnyValue.newBuilder().setStringValue("line " + i)));
        }
        byte[] body = ExportLogsServiceRequest.newBuilder()
                .addResourceLogs(ResourceLogs.newBuilder().setResource(resource).addScopeLogs(scope)).build().toByteArray();
        long serveBound = 4L * 8 * 1024 * 1024; // serve's: four times the default body limit
        assertEquals(1_000, OtlpLogMapper.mapProtobuf(ByteBuffer.wrap(body), "s", 1, 100_000, serveBound)
                .records().size());
    }

    @Test
    void aResourceOrScopeOverTheLimitRefusesTheRequest() throws Exception {
        Resource.Builder resource = Resource.newBuilder();
        for (int i = 0; i < 70_000; i++) {
            resource.addAttributes(kv("resource-attribute-" + i, "v"));
        }
        assertTrue(resource.build().getSerializedSize() > OtlpLogMapper.MAX_PART_BYTES);
        byte[] body = ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder().setResource(resource)
                .addScopeLogs(ScopeLogs.newBuilder().addLogRecords(io.opentelemetry.proto.logs.v1.LogRecord.newBuilder())))
                .build().toByteArray();
        OtlpLogMapper.TooMuchToMapException e = assertThrows(OtlpLogMapper.TooMuchToMapException.class,
                () -> OtlpLogMapper.mapProtobuf(ByteBuffer.wrap(body), "s", 1, 100_000, Long.MAX_VALUE));
        assertTrue(e.getMessage().startsWith("a resource of "), e.getMessage());
    }

    @Test
    void aJsonBodyOfTooManyTokensIsRefusedBeforeItIsDecoded() throws Exception {
        StringBuilder attrs = new StringBuilder();
        for (int i = 0; i < 1_000; i++) {
            attrs.append(i == 0 ? "" : ",").append("{\"key\":\"a").append(i).append("\",\"value\":{\"stringValue\":\"v\"}}");
        }
        String body = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"attributes\":[" + attrs + "]}]}]}]}";
        ByteBuffer b = ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8));
        // 1,000 attributes of 9 tokens each, and the 20 around them
        assertThrows(OtlpLogMapper.TooMuchToMapException.class, () -> OtlpJson.decodeRequest(b, 10, 9_019));
        assertEquals(1, OtlpJson.decodeRequest(b, 10, 9_020).getResourceLogs(0).getScopeLogs(0).getLogRecordsCount());
    }
}
