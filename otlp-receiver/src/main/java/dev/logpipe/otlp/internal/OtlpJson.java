package dev.logpipe.otlp.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.resource.v1.Resource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * OTLP's JSON encoding of the logs service (the OTLP specification, "JSON Protobuf Encoding"), which
 * is not plain proto3 JSON: {@code traceId} and {@code spanId} are hex strings (not base64), enums are
 * integers (names are accepted too), keys are lowerCamelCase (the proto names are accepted too),
 * 64-bit integers come as numbers or decimal strings, other {@code bytes} are base64, and unknown
 * keys are ignored.
 *
 * <p>Decodes into the generated protobuf classes, so that both encodings share one mapping.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class OtlpJson {

    private static final ObjectMapper MAPPER = JsonMapper.builder().build();

    static {
        // Nesting is bounded by the body size; depth by this (AnyValue can nest arrays and maps).
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(256).build());
    }

    private OtlpJson() {
    }

    /**
     * Decodes an {@code ExportLogsServiceRequest}.
     *
     * @throws BadRequestException when the body is not JSON or does not have the request's shape
     */
    public static ExportLogsServiceRequest decodeRequest(byte[] body) throws BadRequestException {
        return decodeRequest(ByteBuffer.wrap(body));
    }

    /**
     * As {@link #decodeRequest(ByteBuffer)}, refusing a request of more than {@code maxRecords} log records
     * before it is decoded: the tree of a JSON body holds many times its bytes (an 8 MiB body of 289,000
     * one-character bodies ran serve's heap out), so the records are first counted from the token stream,
     * which holds nothing.
     *
     * @throws OtlpLogMapper.TooManyRecordsException past {@code maxRecords}
     */
    public static ExportLogsServiceRequest decodeRequest(ByteBuffer body, int maxRecords) throws BadRequestException {
        return decodeRequest(body, maxRecords, Long.MAX_VALUE);
    }

    /** The most JSON tokens (values, names, brackets) a body may have: its tree takes ~100 bytes of heap per token. */
    public static final long MAX_TOKENS = 256 * 1024;

    /**
     * As {@link #decodeRequest(ByteBuffer, int)}, also refusing a body of more than {@code maxTokens}
     * JSON tokens before it is decoded: one log record of 300,000 attributes fits the body limit, and
     * its tree would not fit the heap.
     *
     * @throws OtlpLogMapper.TooMuchToMapException past {@code maxTokens}
     */
    public static ExportLogsServiceRequest decodeRequest(ByteBuffer body, int maxRecords, long maxTokens)
            throws BadRequestException {
        if (countLogRecords(body, maxRecords, maxTokens) > maxRecords) {
            throw new OtlpLogMapper.TooManyRecordsException(maxRecords);
        }
        return decodeRequest(body);
    }

    /**
     * The elements of the {@code logRecords} (or {@code log_records}) arrays in the body, counted from its
     * tokens up to one past {@code stopAfter}; what a body that is not JSON gave before its error (the
     * decoder then reports it).
     */
    static long countLogRecords(ByteBuffer body, long stopAfter) {
        return countLogRecords(body, stopAfter, Long.MAX_VALUE);
    }

    /** As {@link #countLogRecords(ByteBuffer, long)}; throws once the body has more than {@code maxTokens} tokens. */
    static long countLogRecords(ByteBuffer body, long stopAfter, long maxTokens) {
        long count = 0;
        long tokens = 0;
        // per open container: the field name an array was opened under, or null (objects, unnamed arrays)
        java.util.ArrayDeque<String> open = new java.util.ArrayDeque<>();
        ByteBuffer b = body.duplicate();
        try (com.fasterxml.jackson.core.JsonParser p = b.hasArray()
                ? MAPPER.getFactory().createParser(b.array(), b.arrayOffset() + b.position(), b.remaining())
                : MAPPER.getFactory().createParser((java.io.InputStream) new io.netty.buffer.ByteBufInputStream(
                        io.netty.buffer.Unpooled.wrappedBuffer(b)))) {
            for (com.fasterxml.jackson.core.JsonToken t; (t = p.nextToken()) != null; ) {
                if (++tokens > maxTokens) {
                    throw new OtlpLogMapper.TooMuchToMapException("more than " + maxTokens
                            + " JSON tokens in one request (its tree would take ~100 bytes of heap each)");
                }
                switch (t) {
                    case START_ARRAY -> open.push(p.getParsingContext().getParent() != null
                            && p.getParsingContext().getParent().getCurrentName() != null
                            ? p.getParsingContext().getParent().getCurrentName() : "");
                    case START_OBJECT -> {
                        String in = open.peek();
                        if ("logRecords".equals(in) || "log_records".equals(in)) {
                            if (++count > stopAfter) {
                                return count;
                            }
                        }
                        open.push("");
                    }
                    case END_ARRAY, END_OBJECT -> open.poll();
                    default -> {
                    }
                }
            }
        } catch (IOException e) {
            return count;
        }
        return count;
    }

    /** Decodes an {@code ExportLogsServiceRequest} from the buffer's position to its limit (not modified). */
    public static ExportLogsServiceRequest decodeRequest(ByteBuffer body) throws BadRequestException {
        JsonNode root;
        try {
            if (body.hasArray()) {
                root = MAPPER.readTree(body.array(), body.arrayOffset() + body.position(), body.remaining());
            } else {
                byte[] copy = new byte[body.remaining()];
                body.duplicate().get(copy);
                root = MAPPER.readTree(copy);
            }
        } catch (JsonProcessingException e) {
            throw new BadRequestException("the body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadRequestException("the body could not be read as JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new BadRequestException("the body must be a JSON object (ExportLogsServiceRequest)");
        }
        ExportLogsServiceRequest.Builder req = ExportLogsServiceRequest.newBuilder();
        for (JsonNode rl : array(root, "resourceLogs", "resource_logs", "")) {
            req.addResourceLogs(resourceLogs(rl));
        }
        return req.build();
    }

    private static ResourceLogs resourceLogs(JsonNode n) throws BadRequestException {
        object(n, "resourceLogs[]");
        ResourceLogs.Builder b = ResourceLogs.newBuilder();
        JsonNode res = field(n, "resource", "resource");
        if (res != null && !res.isNull()) {
            object(res, "resource");
            Resource.Builder r = Resource.newBuilder();
            for (JsonNode kv : array(res, "attributes", "attributes", "resource.")) {
                r.addAttributes(keyValue(kv));
            }
            r.setDroppedAttributesCount((int) integer(res, "droppedAttributesCount", "dropped_attributes_count"));
            b.setResource(r);
        }
        for (JsonNode sl : array(n, "scopeLogs", "scope_logs", "resourceLogs[].")) {
            b.addScopeLogs(scopeLogs(sl));
        }
        b.setSchemaUrl(string(n, "schemaUrl", "schema_url"));
        return b.build();
    }

    private static ScopeLogs scopeLogs(JsonNode n) throws BadRequestException {
        object(n, "scopeLogs[]");
        ScopeLogs.Builder b = ScopeLogs.newBuilder();
        JsonNode scope = field(n, "scope", "scope");
        if (scope != null && !scope.isNull()) {
            object(scope, "scope");
            InstrumentationScope.Builder s = InstrumentationScope.newBuilder()
                    .setName(string(scope, "name", "name"))
                    .setVersion(string(scope, "version", "version"))
                    .setDroppedAttributesCount((int) integer(scope, "droppedAttributesCount", "dropped_attributes_count"));
            for (JsonNode kv : array(scope, "attributes", "attributes", "scope.")) {
                s.addAttributes(keyValue(kv));
            }
            b.setScope(s);
        }
        for (JsonNode lr : array(n, "logRecords", "log_records", "scopeLogs[].")) {
            b.addLogRecords(logRecord(lr));
        }
        b.setSchemaUrl(string(n, "schemaUrl", "schema_url"));
        return b.build();
    }

    private static LogRecord logRecord(JsonNode n) throws BadRequestException {
        object(n, "logRecords[]");
        LogRecord.Builder b = LogRecord.newBuilder()
                .setTimeUnixNano(integer(n, "timeUnixNano", "time_unix_nano"))
                .setObservedTimeUnixNano(integer(n, "observedTimeUnixNano", "observed_time_unix_nano"))
                .setSeverityNumberValue(severity(field(n, "severityNumber", "severity_number")))
                .setSeverityText(string(n, "severityText", "severity_text"))
                .setDroppedAttributesCount((int) integer(n, "droppedAttributesCount", "dropped_attributes_count"))
                .setFlags((int) integer(n, "flags", "flags"))
                .setEventName(string(n, "eventName", "event_name"));
        JsonNode body = field(n, "body", "body");
        if (body != null && !body.isNull()) {
            b.setBody(anyValue(body));
        }
        for (JsonNode kv : array(n, "attributes", "attributes", "logRecords[].")) {
            b.addAttributes(keyValue(kv));
        }
        b.setTraceId(id(string(n, "traceId", "trace_id"), 16));
        b.setSpanId(id(string(n, "spanId", "span_id"), 8));
        return b.build();
    }

    /**
     * A hex id. One that is not {@code bytes * 2} hex digits becomes a 1-byte id, which the mapper
     * rejects (with the record alone, not the request) as it rejects a protobuf id of a wrong length.
     */
    private static ByteString id(String hex, int bytes) {
        if (hex.isEmpty()) {
            return ByteString.EMPTY;
        }
        if (hex.length() != bytes * 2) {
            return ByteString.copyFrom(new byte[1]);
        }
        byte[] out = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            int hi = Character.digit(hex.charAt(2 * i), 16);
            int lo = Character.digit(hex.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) {
                return ByteString.copyFrom(new byte[1]);
            }
            out[i] = (byte) (hi << 4 | lo);
        }
        return ByteString.copyFrom(out);
    }

    private static int severity(JsonNode n) throws BadRequestException {
        if (n == null || n.isNull()) {
            return 0;
        }
        if (n.isIntegralNumber() && n.canConvertToInt()) {
            return n.intValue();
        }
        if (n.isTextual()) {
            if (n.textValue().isEmpty()) {
                return 0;
            }
            try {
                return SeverityNumber.valueOf(n.textValue()).getNumber();
            } catch (IllegalArgumentException e) {
                throw new BadRequestException("severityNumber must be an integer or a SEVERITY_NUMBER_* name, got \""
                        + n.textValue() + "\"");
            }
        }
        throw new BadRequestException("severityNumber must be an integer, got " + n.getNodeType());
    }

    private static KeyValue keyValue(JsonNode n) throws BadRequestException {
        object(n, "attributes[]");
        KeyValue.Builder b = KeyValue.newBuilder().setKey(string(n, "key", "key"));
        JsonNode v = field(n, "value", "value");
        if (v != null && !v.isNull()) {
            b.setValue(anyValue(v));
        }
        return b.build();
    }

    private static AnyValue anyValue(JsonNode n) throws BadRequestException {
        object(n, "AnyValue");
        AnyValue.Builder b = AnyValue.newBuilder();
        JsonNode v;
        if ((v = field(n, "stringValue", "string_value")) != null) {
            if (!v.isTextual()) {
                throw new BadRequestException("stringValue must be a string, got " + v.getNodeType());
            }
            b.setStringValue(v.textValue());
        } else if ((v = field(n, "boolValue", "bool_value")) != null) {
            if (!v.isBoolean()) {
                throw new BadRequestException("boolValue must be true or false, got " + v.getNodeType());
            }
            b.setBoolValue(v.booleanValue());
        } else if ((v = field(n, "intValue", "int_value")) != null) {
            b.setIntValue(toLong(v, "intValue", false));
        } else if ((v = field(n, "doubleValue", "double_value")) != null) {
            b.setDoubleValue(toDouble(v));
        } else if ((v = field(n, "bytesValue", "bytes_value")) != null) {
            if (!v.isTextual()) {
                throw new BadRequestException("bytesValue must be a base64 string, got " + v.getNodeType());
            }
            try {
                b.setBytesValue(ByteString.copyFrom(Base64.getDecoder().decode(v.textValue())));
            } catch (IllegalArgumentException e) {
                throw new BadRequestException("bytesValue is not base64: " + e.getMessage());
            }
        } else if ((v = field(n, "arrayValue", "array_value")) != null) {
            ArrayValue.Builder a = ArrayValue.newBuilder();
            if (!v.isNull()) {
                object(v, "arrayValue");
                for (JsonNode e : array(v, "values", "values", "arrayValue.")) {
                    a.addValues(anyValue(e));
                }
            }
            b.setArrayValue(a);
        } else if ((v = field(n, "kvlistValue", "kvlist_value")) != null) {
            KeyValueList.Builder l = KeyValueList.newBuilder();
            if (!v.isNull()) {
                object(v, "kvlistValue");
                for (JsonNode e : array(v, "values", "values", "kvlistValue.")) {
                    l.addValues(keyValue(e));
                }
            }
            b.setKvlistValue(l);
        }
        return b.build();
    }

    private static double toDouble(JsonNode v) throws BadRequestException {
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isTextual()) {
            // proto3 JSON writes non-finite doubles as "NaN", "Infinity", "-Infinity"
            try {
                return Double.parseDouble(v.textValue());
            } catch (NumberFormatException e) {
                throw new BadRequestException("doubleValue must be a number, got \"" + v.textValue() + "\"");
            }
        }
        throw new BadRequestException("doubleValue must be a number, got " + v.getNodeType());
    }

    private static JsonNode field(JsonNode n, String camel, String snake) {
        JsonNode v = n.get(camel);
        return v != null ? v : camel.equals(snake) ? null : n.get(snake);
    }

    private static void object(JsonNode n, String what) throws BadRequestException {
        if (!n.isObject()) {
            throw new BadRequestException(what + " must be a JSON object, got " + n.getNodeType());
        }
    }

    private static Iterable<JsonNode> array(JsonNode n, String camel, String snake, String where) throws BadRequestException {
        JsonNode v = field(n, camel, snake);
        if (v == null || v.isNull()) {
            return java.util.List.of();
        }
        if (!v.isArray()) {
            throw new BadRequestException(where + camel + " must be an array, got " + v.getNodeType());
        }
        return v;
    }

    private static String string(JsonNode n, String camel, String snake) throws BadRequestException {
        JsonNode v = field(n, camel, snake);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isTextual()) {
            throw new BadRequestException(camel + " must be a string, got " + v.getNodeType());
        }
        return v.textValue();
    }

    private static long integer(JsonNode n, String camel, String snake) throws BadRequestException {
        JsonNode v = field(n, camel, snake);
        if (v == null || v.isNull()) {
            return 0;
        }
        // fixed64 and uint32 fields: unsigned (a time past 2262 keeps its bits)
        return toLong(v, camel, true);
    }

    /** A 64-bit integer given as a JSON number or a decimal string. */
    private static long toLong(JsonNode v, String what, boolean unsigned) throws BadRequestException {
        BigInteger big;
        if (v.isIntegralNumber()) {
            big = v.bigIntegerValue();
        } else if (v.isTextual()) {
            try {
                big = new BigInteger(v.textValue().trim());
            } catch (NumberFormatException e) {
                throw new BadRequestException(what + " must be an integer (a number or a decimal string), got \""
                        + v.textValue() + "\"");
            }
        } else if (v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue())) {
            big = v.decimalValue().toBigInteger(); // 1.0e18 and such
        } else {
            throw new BadRequestException(what + " must be an integer, got " + v);
        }
        BigInteger min = unsigned ? BigInteger.ZERO : BigInteger.valueOf(Long.MIN_VALUE);
        BigInteger max = unsigned ? BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE) : BigInteger.valueOf(Long.MAX_VALUE);
        if (big.compareTo(min) < 0 || big.compareTo(max) > 0) {
            throw new BadRequestException(what + " is out of range: " + big);
        }
        return big.longValue();
    }

    /** {@code ExportLogsServiceResponse} as OTLP JSON: {@code {}}, or with {@code partialSuccess}. */
    public static byte[] response(long rejected, String errorMessage) {
        return write(g -> {
            g.writeStartObject();
            if (rejected > 0 || (errorMessage != null && !errorMessage.isEmpty())) {
                g.writeObjectFieldStart("partialSuccess");
                if (rejected > 0) {
                    g.writeStringField("rejectedLogRecords", Long.toString(rejected)); // int64: a decimal string
                }
                if (errorMessage != null && !errorMessage.isEmpty()) {
                    g.writeStringField("errorMessage", errorMessage);
                }
                g.writeEndObject();
            }
            g.writeEndObject();
        });
    }

    /** A {@code google.rpc.Status} as JSON, the body of an error answer to a JSON request. */
    public static byte[] status(int code, String message) {
        return write(g -> {
            g.writeStartObject();
            g.writeNumberField("code", code);
            g.writeStringField("message", message);
            g.writeEndObject();
        });
    }

    private interface Writer {
        void write(JsonGenerator g) throws IOException;
    }

    private static byte[] write(Writer w) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
            w.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
