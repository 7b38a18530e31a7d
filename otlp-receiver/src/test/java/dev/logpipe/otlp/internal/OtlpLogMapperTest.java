package dev.logpipe.otlp.internal;

import com.google.protobuf.ByteString;
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
        return m.records().get(0);
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
}
