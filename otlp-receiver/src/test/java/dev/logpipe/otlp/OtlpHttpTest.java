package dev.logpipe.otlp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import dev.logpipe.collector.LogPipeline;
import dev.logpipe.collector.PipelineStats;
import dev.logpipe.collector.RejectReason;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.logpipe.otlp.OtlpTestSupport.HTTP;
import static dev.logpipe.otlp.OtlpTestSupport.gzip;
import static dev.logpipe.otlp.OtlpTestSupport.logsUri;
import static dev.logpipe.otlp.OtlpTestSupport.post;
import static dev.logpipe.otlp.OtlpTestSupport.readJournal;
import static dev.logpipe.otlp.OtlpTestSupport.uri;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receiver over raw HTTP: OTLP JSON as the specification's example writes it, gzip, partial
 * rejection, every refusal status, and malformed bodies beside good ones.
 */
@Timeout(60)
class OtlpHttpTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROTOBUF = "application/x-protobuf";
    private static final String JSON_TYPE = "application/json";
    private static final long MAX_BODY = 64 * 1024;

    @TempDir
    Path dir;
    private OtlpReceiver otlp;
    private LogPipeline pipeline;
    private URI logs;

    @BeforeEach
    void start() throws IOException {
        otlp = OtlpReceiver.builder().port(0).maxBodyBytes(MAX_BODY).build();
        pipeline = LogPipeline.builder(dir).syncInterval(Duration.ofMillis(50)).receiver(otlp).start();
        logs = logsUri(otlp.localAddress());
    }

    @AfterEach
    void stop() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    private static byte[] specExample() throws IOException {
        try (InputStream in = OtlpHttpTest.class.getResourceAsStream("/logs-example.json")) {
            return in.readAllBytes();
        }
    }

    private static String jsonRecord(String message, String extra) {
        return "{\"timeUnixNano\":1700000000000000000,\"severityNumber\":13,\"body\":{\"stringValue\":\"" + message
                + "\"}" + extra + "}";
    }

    private static byte[] jsonRequest(String service, String... records) {
        return ("{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\""
                + service + "\"}}]},\"scopeLogs\":[{\"scope\":{\"name\":\"s\"},\"logRecords\":["
                + String.join(",", records) + "]}]}]}").getBytes(StandardCharsets.UTF_8);
    }

    private static ExportLogsServiceRequest protoRequest(String service, io.opentelemetry.proto.logs.v1.LogRecord... records) {
        return ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKey("service.name")
                        .setValue(AnyValue.newBuilder().setStringValue(service))))
                .addScopeLogs(ScopeLogs.newBuilder().addAllLogRecords(List.of(records)))).build();
    }

    private static io.opentelemetry.proto.logs.v1.LogRecord protoRecord(String message) {
        return io.opentelemetry.proto.logs.v1.LogRecord.newBuilder().setTimeUnixNano(1_700_000_000_000_000_000L)
                .setSeverityNumberValue(9).setBody(AnyValue.newBuilder().setStringValue(message)).build();
    }

    /** Decodes a google.rpc.Status {code, message} answered to a protobuf request. */
    private static String statusMessage(byte[] body) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(body);
        String message = "";
        int tag;
        while ((tag = in.readTag()) != 0) {
            if (tag == (2 << 3 | 2)) {
                message = in.readString();
            } else {
                in.skipField(tag);
            }
        }
        return message;
    }

    private List<LogRecord> closeAndRead() {
        pipeline.close();
        List<LogRecord> out = new ArrayList<>();
        for (ReadRecord rr : readJournal(dir)) {
            out.add(rr.record());
        }
        return out;
    }

    @Test
    void theSpecificationsJsonExampleIsStoredWithTheMapping() throws Exception {
        HttpResponse<byte[]> r = post(logs, JSON_TYPE, null, specExample());
        assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        assertEquals(JSON_TYPE, r.headers().firstValue("Content-Type").orElse(""));
        assertEquals(JSON.readTree("{}"), JSON.readTree(r.body()));

        List<LogRecord> records = closeAndRead();
        assertEquals(1, records.size());
        LogRecord rec = records.get(0);
        assertEquals("my.service", rec.service());
        assertEquals("", rec.host());
        assertEquals(Level.INFO, rec.level());
        assertEquals("Example log record", rec.message());
        assertEquals(1544712660300000000L, rec.eventTimeNanos());
        assertEquals(SourceFormat.OTLP, rec.format());
        Map<String, FieldValue> f = rec.fields();
        assertEquals(FieldValue.string("5b8efff798038103d269b633813fc60c"), f.get("trace_id"));
        assertEquals(FieldValue.string("eee19b7ec3c1b174"), f.get("span_id"));
        assertEquals(FieldValue.string("my.library"), f.get("scope.name"));
        assertEquals(FieldValue.string("1.0.0"), f.get("scope.version"));
        assertEquals(FieldValue.string("some scope attribute"), f.get("scope.attributes.my.scope.attribute"));
        assertEquals(FieldValue.json("10"), f.get("severity_number"), "INFO2: finer than the level, kept");
        assertEquals(null, f.get("severity_text"), "'Information' is the level itself");
        assertEquals(FieldValue.string("some string"), f.get("string.attribute"));
        assertEquals(FieldValue.json("true"), f.get("boolean.attribute"));
        assertEquals(FieldValue.json("10"), f.get("int.attribute"));
        assertEquals(FieldValue.json("637.704"), f.get("double.attribute"));
        assertEquals(FieldValue.json("[\"many\",\"values\"]"), f.get("array.attribute"));
        assertEquals(FieldValue.json("{\"some.map.key\":\"some value\"}"), f.get("map.attribute"));
        assertEquals(null, f.get("observed_time_unix_nano"), "the same as the event time");
    }

    @Test
    void gzipJsonWithIntegersAsNumbersAndAsStringsIsStored() throws Exception {
        byte[] body = jsonRequest("billing",
                jsonRecord("as number", ",\"attributes\":[{\"key\":\"n\",\"value\":{\"intValue\":9007199254740993}}]"),
                "{\"timeUnixNano\":\"1700000000000000001\",\"severityNumber\":\"SEVERITY_NUMBER_ERROR\","
                        + "\"body\":{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":{\"intValue\":\"7\"}}]}},"
                        + "\"attributes\":[{\"key\":\"n\",\"value\":{\"intValue\":\"-5\"}}]}");
        HttpResponse<byte[]> r = post(logs, JSON_TYPE, "gzip", gzip(body));
        assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));

        List<LogRecord> records = closeAndRead();
        assertEquals(2, records.size());
        assertEquals("as number", records.get(0).message());
        assertEquals(Level.WARN, records.get(0).level());
        assertEquals(FieldValue.json("9007199254740993"), records.get(0).fields().get("n"), "no double rounding");
        assertEquals("{\"k\":7}", records.get(1).message(), "a non-string body is stored as its JSON");
        assertEquals(Level.ERROR, records.get(1).level());
        assertEquals(1_700_000_000_000_000_001L, records.get(1).eventTimeNanos());
        assertEquals(FieldValue.json("-5"), records.get(1).fields().get("n"));
    }

    @Test
    void aPartialRejectionStoresTheGoodRecordsAndSaysHowManyWereRejectedInBothEncodings() throws Exception {
        // JSON: the middle record's traceId is not 32 hex digits
        byte[] json = jsonRequest("a", jsonRecord("j0", ""),
                jsonRecord("j-bad", ",\"traceId\":\"not-hex\""), jsonRecord("j2", ",\"traceId\":\"5b8efff798038103d269b633813fc60c\""));
        HttpResponse<byte[]> r = post(logs, JSON_TYPE, null, json);
        assertEquals(200, r.statusCode());
        JsonNode partial = JSON.readTree(r.body()).get("partialSuccess");
        assertEquals("1", partial.get("rejectedLogRecords").asText());
        assertTrue(partial.get("errorMessage").asText().contains("trace_id"), partial.toString());

        // protobuf: a span id of 5 bytes
        ExportLogsServiceRequest proto = protoRequest("b", protoRecord("p0"),
                protoRecord("p-bad").toBuilder().setSpanId(ByteString.copyFrom(new byte[5])).build(), protoRecord("p2"));
        r = post(logs, PROTOBUF, null, proto.toByteArray());
        assertEquals(200, r.statusCode());
        assertEquals(PROTOBUF, r.headers().firstValue("Content-Type").orElse(""));
        ExportLogsServiceResponse resp = ExportLogsServiceResponse.parseFrom(r.body());
        assertEquals(1, resp.getPartialSuccess().getRejectedLogRecords());
        assertTrue(resp.getPartialSuccess().getErrorMessage().contains("span_id"), resp.toString());

        PipelineStats s = pipeline.stats();
        assertEquals(Map.of(RejectReason.OTLP_BAD_SPAN_ID, 1L, RejectReason.OTLP_BAD_TRACE_ID, 1L), s.rejected());
        assertEquals(2, otlp.stats().rejectedRecords());
        List<LogRecord> records = closeAndRead();
        assertEquals(List.of("j0", "j2", "p0", "p2"), records.stream().map(LogRecord::message).toList());
    }

    @Test
    void aRecordWhoseBodyIsNotUtf8IsStoredFlaggedAndTheRequestAnswered200() throws Exception {
        // ExportLogsServiceRequest{resource_logs{scope_logs{log_records: p0, {body{string_value: "p\xff"}}, p2}}}
        byte[] badRecord = {0x2a, 0x04, 0x0a, 0x02, 'p', (byte) 0xff}; // body = 5, string_value = 1
        ByteArrayOutputStream scope = new ByteArrayOutputStream();
        for (byte[] rec : List.of(protoRecord("p0").toByteArray(), badRecord, protoRecord("p2").toByteArray())) {
            scope.write(0x12); // log_records = 2
            scope.write(rec.length);
            scope.write(rec);
        }
        byte[] scopeLogs = scope.toByteArray();
        byte[] body = new byte[4 + scopeLogs.length];
        body[0] = 0x0a; // resource_logs = 1
        body[1] = (byte) (2 + scopeLogs.length);
        body[2] = 0x12; // scope_logs = 2
        body[3] = (byte) scopeLogs.length;
        System.arraycopy(scopeLogs, 0, body, 4, scopeLogs.length);
        HttpResponse<byte[]> r = post(logs, PROTOBUF, null, body);
        assertEquals(200, r.statusCode(), statusMessage(r.body()));
        assertEquals(0, ExportLogsServiceResponse.parseFrom(r.body()).getPartialSuccess().getRejectedLogRecords());
        assertEquals(Map.of(RejectReason.INVALID_UTF8, 1L), pipeline.stats().rejected(), "counted as the TCP decoders count it");
        assertEquals(0, otlp.stats().rejectedRecords(), "not refused");
        List<LogRecord> records = closeAndRead();
        assertEquals(List.of("p0", "p\uFFFD", "p2"), records.stream().map(LogRecord::message).toList());
        assertEquals(Set.of(RecordFlag.INVALID_UTF8), records.get(1).flags());
    }

    @Test
    void malformedBodiesAreAnswered400BesideGoodRequestsThatAreStored() throws Exception {
        List<String> expected = new ArrayList<>();
        int n = 0;
        byte[][] bad = {
                {0x0a, (byte) 0xff, 0x01},                                            // protobuf: length past the end
                "{\"resourceLogs\":".getBytes(StandardCharsets.UTF_8),               // JSON cut short
                "{\"resourceLogs\":5}".getBytes(StandardCharsets.UTF_8),            // JSON of the wrong shape
                "[1,2]".getBytes(StandardCharsets.UTF_8),                            // not an object
        };
        String[] badTypes = {PROTOBUF, JSON_TYPE, JSON_TYPE, JSON_TYPE};
        for (int i = 0; i < bad.length; i++) {
            String m = "good " + n++;
            assertEquals(200, post(logs, PROTOBUF, null, protoRequest("s", protoRecord(m)).toByteArray()).statusCode());
            expected.add(m);
            HttpResponse<byte[]> r = post(logs, badTypes[i], null, bad[i]);
            assertEquals(400, r.statusCode(), "bad body " + i);
            if (badTypes[i].equals(PROTOBUF)) {
                assertTrue(statusMessage(r.body()).contains("protobuf"), statusMessage(r.body()));
            } else {
                JsonNode status = JSON.readTree(r.body());
                assertEquals(3, status.get("code").asInt());
                assertTrue(status.get("message").asText().length() > 0);
            }
        }
        // says gzip, is not
        HttpResponse<byte[]> r = post(logs, JSON_TYPE, "gzip", jsonRequest("s", jsonRecord("never", "")));
        assertEquals(400, r.statusCode());
        String m = "good " + n;
        assertEquals(200, post(logs, JSON_TYPE, null, jsonRequest("s", jsonRecord(m, ""))).statusCode());
        expected.add(m);

        assertEquals(5L, pipeline.ackStats().protocolErrors().get("otlp_bad_body"));
        assertEquals(5L, otlp.stats().responses(400));
        assertEquals(expected, closeAndRead().stream().map(LogRecord::message).toList());
    }

    /**
     * A client still sending a body the server refused gets the 413, not a reset: the server shuts
     * its output and drops what still arrives before it closes (closing with unread bytes sends an
     * RST, and the JDK's client, like others, then reports a broken connection instead of the answer).
     */
    @Test
    void aClientStillSendingARefusedBodyGetsThe413() throws Exception {
        byte[] huge = new byte[(int) MAX_BODY * 64]; // far more than the socket buffers hold
        for (int i = 0; i < 10; i++) {
            assertEquals(413, post(logs, PROTOBUF, null, huge).statusCode(), "attempt " + i);
        }
        assertEquals(10L, pipeline.ackStats().protocolErrors().get("otlp_body_too_large"));
    }

    @Test
    void otherPathsMethodsTypesEncodingsAndOversizedBodiesAreRefusedAndCounted() throws Exception {
        byte[] good = protoRequest("s", protoRecord("x")).toByteArray();
        assertEquals(404, post(uri(otlp.localAddress(), "/v1/traces"), PROTOBUF, null, good).statusCode());

        HttpResponse<byte[]> get = HTTP.send(HttpRequest.newBuilder(logs).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(405, get.statusCode());
        assertEquals("POST", get.headers().firstValue("Allow").orElse(""));

        assertEquals(415, post(logs, "text/plain", null, good).statusCode());
        assertEquals(415, post(logs, PROTOBUF, "br", good).statusCode());
        assertEquals(200, post(logs, "application/x-protobuf; charset=utf-8", "identity", good).statusCode(),
                "parameters and identity are fine");

        byte[] big = protoRequest("s", protoRecord("y".repeat((int) MAX_BODY))).toByteArray();
        assertEquals(413, post(logs, PROTOBUF, null, big).statusCode());
        // small on the wire, over the limit once inflated
        assertEquals(413, post(logs, PROTOBUF, "gzip", gzip(big)).statusCode());

        Map<String, Long> errors = pipeline.ackStats().protocolErrors();
        assertEquals(1L, errors.get("otlp_not_found"));
        assertEquals(1L, errors.get("otlp_method_not_allowed"));
        assertEquals(1L, errors.get("otlp_unsupported_media_type"));
        assertEquals(1L, errors.get("otlp_unsupported_encoding"));
        assertEquals(2L, errors.get("otlp_body_too_large"));
        assertEquals(List.of("x"), closeAndRead().stream().map(LogRecord::message).toList());
    }

    @Test
    void aRequestOfMoreLogRecordsThanTheLimitIsAnswered413AndNothingOfItIsStored() throws Exception {
        pipeline.close();
        otlp = OtlpReceiver.builder().port(0).maxBodyBytes(MAX_BODY).maxRecordsPerRequest(400).build();
        pipeline = LogPipeline.builder(dir).syncInterval(Duration.ofMillis(50)).receiver(otlp).start();
        logs = logsUri(otlp.localAddress());
        io.opentelemetry.proto.logs.v1.LogRecord[] over = new io.opentelemetry.proto.logs.v1.LogRecord[401];
        String[] overJson = new String[101]; // JSON: a quarter of the limit
        for (int i = 0; i < over.length; i++) {
            over[i] = protoRecord("over " + i);
        }
        for (int i = 0; i < overJson.length; i++) {
            overJson[i] = jsonRecord("over " + i, "");
        }
        HttpResponse<byte[]> r = post(logs, PROTOBUF, null, protoRequest("s", over).toByteArray());
        assertEquals(413, r.statusCode());
        assertTrue(statusMessage(r.body()).contains("more than 400 log records"), statusMessage(r.body()));
        assertEquals(413, post(logs, JSON_TYPE, null, jsonRequest("s", overJson)).statusCode());
        assertEquals(413, post(logs, PROTOBUF, "gzip", gzip(protoRequest("s", over).toByteArray())).statusCode());

        io.opentelemetry.proto.logs.v1.LogRecord[] limit = Arrays.copyOf(over, 400);
        for (int i = 0; i < limit.length; i++) {
            limit[i] = protoRecord("r" + i);
        }
        assertEquals(200, post(logs, PROTOBUF, null, protoRequest("s", limit).toByteArray()).statusCode());
        String[] jsonLimit = new String[100];
        for (int i = 0; i < jsonLimit.length; i++) {
            jsonLimit[i] = jsonRecord("j" + i, "");
        }
        assertEquals(200, post(logs, JSON_TYPE, null, jsonRequest("s", jsonLimit)).statusCode());
        assertEquals(3L, pipeline.ackStats().protocolErrors().get("otlp_too_many_records"));
        List<String> stored = closeAndRead().stream().map(LogRecord::message).toList();
        assertEquals(500, stored.size(), "none of the refused requests");
        for (int i = 0; i < 400; i++) {
            assertEquals("r" + i, stored.get(i));
        }
        for (int i = 0; i < 100; i++) {
            assertEquals("j" + i, stored.get(400 + i));
        }
    }

    @Test
    void anEmptyRequestIsAnswered200() throws Exception {
        HttpResponse<byte[]> r = post(logs, PROTOBUF, null, new byte[0]);
        assertEquals(200, r.statusCode());
        assertEquals(0, ExportLogsServiceResponse.parseFrom(r.body()).getPartialSuccess().getRejectedLogRecords());
        assertEquals(200, post(logs, JSON_TYPE, null, "{}".getBytes(StandardCharsets.UTF_8)).statusCode());
        assertEquals(List.of(), closeAndRead());
    }
}
