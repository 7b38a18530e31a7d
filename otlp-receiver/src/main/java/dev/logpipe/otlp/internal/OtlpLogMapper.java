package dev.logpipe.otlp.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import dev.logpipe.collector.RejectReason;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.RecordFlag;
import dev.logpipe.filesink.SourceFormat;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Maps an {@code ExportLogsServiceRequest} to logpipe records (the mapping README.md documents):
 * resource {@code service.name} → service, {@code host.name} → host, severity → level, body →
 * message (a non-string body as its JSON), {@code time_unix_nano} (else the observed time, else the
 * receive time) → event time, log attributes → fields by their key, resource attributes →
 * {@code resource.<key>}, scope → {@code scope.name}, {@code scope.version},
 * {@code scope.attributes.<key>}, ids → {@code trace_id}/{@code span_id} in lower-case hex.
 *
 * <p>A log record whose trace id is not 16 bytes or whose span id is not 8 (empty is fine) is
 * rejected, counted by reason, and reported in {@code partial_success}; the others are kept.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class OtlpLogMapper {

    private static final JsonFactory JSON = new JsonFactory();
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /**
     * The largest log record mapped, encoded (a protobuf body's bytes; a JSON record's size once
     * decoded): as a line over the max frame, a larger one is not stored, here rejected alone (partial
     * success: the client does not resend it).
     */
    public static final int MAX_RECORD_BYTES = 1 << 20;
    /** The largest resource or instrumentation scope message taken (real ones are a few KB). */
    public static final int MAX_PART_BYTES = 1 << 20;

    private OtlpLogMapper() {
    }

    /**
     * The records of a request, and what was rejected.
     *
     * @param rejectedByReason rejected log records per reason
     * @param firstError       a message about the first rejected record, or null
     * @param flaggedByReason  records stored flagged, per reason (strings that were not UTF-8): counted
     *                         with the rejections, not reported to the client as rejected
     */
    public record Mapped(List<LogRecord> records, Map<RejectReason, Long> rejectedByReason, long rejected, String firstError,
                         Map<RejectReason, Long> flaggedByReason) {
    }

    /**
     * Maps every log record of {@code request} (a decoded request: the OTLP JSON path).
     *
     * @param source          the records' source (the HTTP peer)
     * @param receiveTimeNanos the records' receive time
     */
    public static Mapped map(ExportLogsServiceRequest request, String source, long receiveTimeNanos) {
        return map(request, source, receiveTimeNanos, Integer.MAX_VALUE);
    }

    /**
     * As {@link #map(ExportLogsServiceRequest, String, long)}, refusing a request of more than {@code
     * maxRecords} log records.
     *
     * @throws TooManyRecordsException past {@code maxRecords}, once that many are mapped
     */
    public static Mapped map(ExportLogsServiceRequest request, String source, long receiveTimeNanos, int maxRecords) {
        return map(request, source, receiveTimeNanos, maxRecords, Long.MAX_VALUE);
    }

    /**
     * As {@link #map(ExportLogsServiceRequest, String, long, int)}, refusing a request whose records
     * would hold more than {@code maxMappedBytes} of heap once mapped (see {@link TooMuchToMapException}).
     */
    public static Mapped map(ExportLogsServiceRequest request, String source, long receiveTimeNanos, int maxRecords,
                             long maxMappedBytes) {
        Records out = new Records(source, receiveTimeNanos, maxRecords, maxMappedBytes);
        for (ResourceLogs rl : request.getResourceLogsList()) {
            ResourceFields resource = ResourceFields.of(rl.getResource(), false);
            for (ScopeLogs sl : rl.getScopeLogsList()) {
                ScopeFields scope = ScopeFields.of(sl.getScope(), false);
                for (io.opentelemetry.proto.logs.v1.LogRecord lr : sl.getLogRecordsList()) {
                    int size = lr.getSerializedSize();
                    if (size > MAX_RECORD_BYTES) {
                        out.oversize(size);
                    } else {
                        out.add(lr, resource, scope);
                    }
                }
            }
        }
        return out.mapped();
    }

    /**
     * Maps every log record of a protobuf {@code ExportLogsServiceRequest} without decoding the request
     * whole: each log record is decoded and mapped in turn, so what is held at once is the body and
     * the records, not also the request's message tree (five times the body). Same records, same
     * order, same rejections as {@link #map} of the decoded request; a body that does not decode is
     * refused whole, as by {@code ExportLogsServiceRequest.parseFrom}.
     *
     * @param body the request body, from its position to its limit (not modified)
     * @throws InvalidProtocolBufferException if it is not an {@code ExportLogsServiceRequest}
     */
    public static Mapped mapProtobuf(ByteBuffer body, String source, long receiveTimeNanos)
            throws InvalidProtocolBufferException {
        return mapProtobuf(body, source, receiveTimeNanos, Integer.MAX_VALUE);
    }

    /**
     * As {@link #mapProtobuf(ByteBuffer, String, long)}, refusing a request of more than {@code
     * maxRecords} log records: its mapping stops there, so that what it holds is bounded whatever the
     * records' size (a 7.7 MB body of 1.1 million one-byte bodies maps to about 250 MB of records).
     *
     * @throws TooManyRecordsException past {@code maxRecords}
     */
    public static Mapped mapProtobuf(ByteBuffer body, String source, long receiveTimeNanos, int maxRecords)
            throws InvalidProtocolBufferException {
        return mapProtobuf(body, source, receiveTimeNanos, maxRecords, Long.MAX_VALUE);
    }

    /**
     * As {@link #mapProtobuf(ByteBuffer, String, long, int)}, refusing a request whose records would
     * hold more than {@code maxMappedBytes} of heap once mapped, and a resource or scope of more than
     * {@link #MAX_PART_BYTES} (see {@link TooMuchToMapException}); a log record of more than {@link
     * #MAX_RECORD_BYTES} is rejected alone (partial success), without being decoded.
     */
    public static Mapped mapProtobuf(ByteBuffer body, String source, long receiveTimeNanos, int maxRecords,
                                     long maxMappedBytes) throws InvalidProtocolBufferException {
        Records out = new Records(source, receiveTimeNanos, maxRecords, maxMappedBytes);
        forEachMessageField(body, (field, resourceLogs) -> {
            if (field == 1) { // ExportLogsServiceRequest.resource_logs
                mapResourceLogs(resourceLogs, out);
            }
        });
        return out.mapped();
    }

    /** ResourceLogs: resource = 1, scope_logs = 2, schema_url = 3 (in any order on the wire). */
    private static void mapResourceLogs(ByteBuffer resourceLogs, Records out) throws InvalidProtocolBufferException {
        Resource.Builder resource = Resource.newBuilder();
        boolean[] repaired = {false};
        forEachMessageField(resourceLogs, (field, value) -> {
            if (field == 1) {
                requireSmall(value, "a resource");
                // repeated occurrences merge, as protobuf's
                Parsed<Resource> part = parseRepairing(value, Utf8Repair.Type.RESOURCE, Resource.parser());
                resource.mergeFrom(part.message());
                repaired[0] |= part.repaired();
            } else if (field == 3) {
                requireUtf8(value, "schema_url");
            }
        });
        ResourceFields fields = ResourceFields.of(resource.build(), repaired[0]);
        forEachMessageField(resourceLogs, (field, scopeLogs) -> {
            if (field == 2) {
                mapScopeLogs(scopeLogs, fields, out);
            }
        });
    }

    /** ScopeLogs: scope = 1, log_records = 2, schema_url = 3. */
    private static void mapScopeLogs(ByteBuffer scopeLogs, ResourceFields resource, Records out)
            throws InvalidProtocolBufferException {
        InstrumentationScope.Builder scope = InstrumentationScope.newBuilder();
        boolean[] repaired = {false};
        forEachMessageField(scopeLogs, (field, value) -> {
            if (field == 1) {
                requireSmall(value, "an instrumentation scope");
                Parsed<InstrumentationScope> part = parseRepairing(value, Utf8Repair.Type.SCOPE, InstrumentationScope.parser());
                scope.mergeFrom(part.message());
                repaired[0] |= part.repaired();
            } else if (field == 3) {
                requireUtf8(value, "schema_url");
            }
        });
        ScopeFields fields = ScopeFields.of(scope.build(), repaired[0]);
        forEachMessageField(scopeLogs, (field, logRecord) -> {
            if (field == 2) {
                if (logRecord.remaining() > MAX_RECORD_BYTES) {
                    out.oversize(logRecord.remaining()); // not decoded: its message tree could be many times its size
                } else {
                    out.add(logRecord, resource, fields);
                }
            }
        });
    }

    /** A message decoded by {@link #parseRepairing}, and whether its strings had to be repaired. */
    private record Parsed<M>(M message, boolean repaired) {
    }

    /**
     * Decodes {@code value} with {@code parser}; one whose strings are not UTF-8 is decoded repaired
     * (see {@link Utf8Repair}) instead of refusing the request. Decoded whole, so a builder that
     * merges it never holds half of a message that failed.
     *
     * @throws InvalidProtocolBufferException if it does not decode, repaired or not
     */
    private static <M> Parsed<M> parseRepairing(ByteBuffer value, Utf8Repair.Type type, com.google.protobuf.Parser<M> parser)
            throws InvalidProtocolBufferException {
        try {
            return new Parsed<>(parser.parseFrom(value), false); // leaves its position where it is
        } catch (InvalidProtocolBufferException e) {
            byte[] repaired = Utf8Repair.repair(value, type);
            if (repaired == null) {
                throw e;
            }
            return new Parsed<>(parser.parseFrom(repaired), true);
        }
    }

    private static void requireUtf8(ByteBuffer value, String name) throws InvalidProtocolBufferException {
        if (!UnsafeByteOperations.unsafeWrap(value).isValidUtf8()) {
            throw new InvalidProtocolBufferException(name + " is not valid UTF-8");
        }
    }

    private static void requireSmall(ByteBuffer value, String what) {
        if (value.remaining() > MAX_PART_BYTES) {
            throw new TooMuchToMapException(what + " of " + value.remaining() + " bytes (at most " + MAX_PART_BYTES
                    + ": its attributes go into every one of its records)");
        }
    }

    /**
     * A request that would take too much heap to map: a resource or scope over {@link #MAX_PART_BYTES},
     * or records that would hold more than the receiver's bound once mapped (small attributes weigh
     * many times their wire size: one log record of 500,000 attributes in a 7.9 MB body ran serve's heap
     * out). Not retryable as it is: a 413.
     */
    public static final class TooMuchToMapException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public TooMuchToMapException(String message) {
            super(message, null, false, false);
        }
    }

    /** A request with more log records than the receiver takes in one request. */
    public static final class TooManyRecordsException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public TooManyRecordsException(int max) {
            super("more than " + max + " log records in one request", null, false, false);
        }
    }

    /** Receives one length-delimited field of a message: its number and its bytes. */
    private interface FieldVisitor {
        void field(int number, ByteBuffer value) throws IOException;
    }

    /**
     * Calls {@code visitor} with every length-delimited field of the message in {@code message}, in
     * wire order; other wire types are skipped (as unknown fields are by the generated parsers).
     */
    private static void forEachMessageField(ByteBuffer message, FieldVisitor visitor)
            throws InvalidProtocolBufferException {
        ByteBuffer m = message.slice();
        CodedInputStream in = CodedInputStream.newInstance(m);
        try {
            for (int tag; (tag = in.readTag()) != 0; ) {
                if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    if (!in.skipField(tag)) {
                        throw new InvalidProtocolBufferException("an end-group tag where a field was expected");
                    }
                    continue;
                }
                int length = in.readRawVarint32();
                int start = in.getTotalBytesRead();
                if (length < 0 || length > m.limit() - start) {
                    throw new InvalidProtocolBufferException("a field of " + Integer.toUnsignedString(length)
                            + " bytes where " + (m.limit() - start) + " remain: the message is cut short or corrupt");
                }
                ByteBuffer value = m.duplicate().position(start).limit(start + length).slice();
                visitor.field(WireFormat.getTagFieldNumber(tag), value);
                in.skipRawBytes(length);
            }
        } catch (InvalidProtocolBufferException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidProtocolBufferException(e); // not from a buffer's stream, but the signature says so
        }
    }

    /** What a resource gives each of its records: service, host, and its {@code resource.<key>} fields. */
    private record ResourceFields(String service, String host, String[] names, FieldValue[] values, long sharedHeap,
                                  boolean invalidUtf8) {

        static ResourceFields of(Resource resource, boolean invalidUtf8) {
            String service = "";
            String host = "";
            List<String> names = new ArrayList<>();
            List<FieldValue> values = new ArrayList<>();
            for (KeyValue kv : resource.getAttributesList()) {
                String key = kv.getKey();
                if (kv.getValue().hasStringValue() && (key.equals("service.name") || key.equals("host.name"))) {
                    if (key.equals("service.name")) {
                        service = kv.getValue().getStringValue();
                    } else {
                        host = kv.getValue().getStringValue();
                    }
                    continue; // mapped to service and host
                }
                names.add("resource." + key);
                values.add(valueOf(kv.getValue()));
            }
            String[] n = names.toArray(String[]::new);
            FieldValue[] v = values.toArray(FieldValue[]::new);
            // what its fields weigh in each record's heapBytes(), though every record shares them
            return new ResourceFields(service, host, n, v, OtlpLogMapper.sharedHeap(n, v) + stringHeap(service) + stringHeap(host),
                    invalidUtf8);
        }
    }

    /**
     * What a scope gives each of its records: {@code scope.name}, {@code scope.version},
     * {@code scope.attributes.<key>}.
     */
    private record ScopeFields(String[] names, FieldValue[] values, long sharedHeap, boolean invalidUtf8) {

        static ScopeFields of(InstrumentationScope scope, boolean invalidUtf8) {
            List<String> names = new ArrayList<>();
            List<FieldValue> values = new ArrayList<>();
            if (!scope.getName().isEmpty()) {
                names.add("scope.name");
                values.add(FieldValue.string(scope.getName()));
            }
            if (!scope.getVersion().isEmpty()) {
                names.add("scope.version");
                values.add(FieldValue.string(scope.getVersion()));
            }
            for (KeyValue kv : scope.getAttributesList()) {
                names.add("scope.attributes." + kv.getKey());
                values.add(valueOf(kv.getValue()));
            }
            String[] n = names.toArray(String[]::new);
            FieldValue[] v = values.toArray(FieldValue[]::new);
            return new ScopeFields(n, v, OtlpLogMapper.sharedHeap(n, v), invalidUtf8);
        }
    }

    /** About what {@code LogRecord.heapBytes()} counts for these fields, less the two array slots each record has. */
    private static long sharedHeap(String[] names, FieldValue[] values) {
        long n = 0;
        for (int i = 0; i < names.length; i++) {
            n += 24 + stringHeap(names[i]) + stringHeap(values[i].text());
        }
        return n;
    }

    /** As {@code LogRecord}'s estimate of a string. */
    private static long stringHeap(String s) {
        return 40 + (long) s.length();
    }

    /** The records of one request as they are mapped, and what was rejected. */
    private static final class Records {
        private final String source;
        private final long receiveTimeNanos;
        private final List<LogRecord> records = new ArrayList<>();
        private final Map<RejectReason, Long> rejected = new EnumMap<>(RejectReason.class);
        /** Records stored but flagged, by reason (counted with the rejections, not refused to the client). */
        private final Map<RejectReason, Long> flagged = new EnumMap<>(RejectReason.class);
        private long rejectedCount;
        private String firstError;
        private int index;
        private final int maxRecords;
        private final long maxMappedBytes;
        /** The records' heap so far, less what they share with their resource and scope. */
        private long mappedBytes;

        Records(String source, long receiveTimeNanos, int maxRecords, long maxMappedBytes) {
            this.source = source;
            this.receiveTimeNanos = receiveTimeNanos;
            this.maxRecords = maxRecords;
            this.maxMappedBytes = maxMappedBytes;
        }

        /** A log record of {@code bytes} over {@link #MAX_RECORD_BYTES}: rejected, not decoded. */
        void oversize(int bytes) {
            if (index == maxRecords) {
                throw new TooManyRecordsException(maxRecords);
            }
            reject(RejectReason.OVERSIZE, "log record " + index + ": " + bytes + " bytes, over the " + MAX_RECORD_BYTES
                    + " bytes a log record may have");
            index++;
        }

        private void reject(RejectReason reason, String error) {
            rejected.merge(reason, 1L, Long::sum);
            rejectedCount++;
            if (firstError == null) {
                firstError = error;
            }
        }

        /**
         * A log record still in its protobuf bytes: decoded and added. One with strings that are not
         * UTF-8 (protobuf-java refuses it) is decoded with U+FFFD for the bad bytes, flagged and counted
         * ({@link Utf8Repair}); anything else that does not decode refuses the request.
         */
        void add(ByteBuffer logRecord, ResourceFields resource, ScopeFields scope) throws InvalidProtocolBufferException {
            Parsed<io.opentelemetry.proto.logs.v1.LogRecord> lr = parseRepairing(logRecord, Utf8Repair.Type.LOG_RECORD,
                    io.opentelemetry.proto.logs.v1.LogRecord.parser());
            add(lr.message(), resource, scope, lr.repaired());
        }

        void add(io.opentelemetry.proto.logs.v1.LogRecord lr, ResourceFields resource, ScopeFields scope) {
            add(lr, resource, scope, false);
        }

        private void add(io.opentelemetry.proto.logs.v1.LogRecord lr, ResourceFields resource, ScopeFields scope,
                         boolean invalidUtf8) {
            if (index == maxRecords) {
                throw new TooManyRecordsException(maxRecords);
            }
            RejectReason reason = null;
            String error = null;
            if (!lr.getTraceId().isEmpty() && lr.getTraceId().size() != 16) {
                reason = RejectReason.OTLP_BAD_TRACE_ID;
                error = "log record " + index + ": trace_id must be 16 bytes (32 hex digits in JSON), got "
                        + lr.getTraceId().size() + " bytes";
            } else if (!lr.getSpanId().isEmpty() && lr.getSpanId().size() != 8) {
                reason = RejectReason.OTLP_BAD_SPAN_ID;
                error = "log record " + index + ": span_id must be 8 bytes (16 hex digits in JSON), got "
                        + lr.getSpanId().size() + " bytes";
            }
            index++;
            if (reason != null) {
                reject(reason, error);
                return;
            }
            invalidUtf8 |= resource.invalidUtf8() || scope.invalidUtf8();
            if (invalidUtf8) {
                flagged.merge(RejectReason.INVALID_UTF8, 1L, Long::sum);
            }
            LogRecord r = record(lr, resource, scope, source, receiveTimeNanos, invalidUtf8);
            mappedBytes += Math.max(64, r.heapBytes() - resource.sharedHeap() - scope.sharedHeap());
            if (mappedBytes > maxMappedBytes) {
                throw new TooMuchToMapException("the records would take more than " + maxMappedBytes
                        + " bytes of heap once mapped (many small attributes weigh many times their size on the wire)");
            }
            records.add(r);
        }

        Mapped mapped() {
            return new Mapped(records, rejected, rejectedCount, firstError, flagged);
        }
    }

    private static LogRecord record(io.opentelemetry.proto.logs.v1.LogRecord lr, ResourceFields resource,
                                    ScopeFields scope, String source, long receiveTimeNanos, boolean invalidUtf8) {
        LogRecord.Builder b = LogRecord.builder()
                .format(SourceFormat.OTLP)
                .source(source)
                .receiveTimeNanos(receiveTimeNanos)
                .service(resource.service())
                .host(resource.host());
        long time = lr.getTimeUnixNano() != 0 ? lr.getTimeUnixNano() : lr.getObservedTimeUnixNano();
        // fixed64 on the wire: a time past 2262 reads negative here; keep the receive time then
        b.eventTimeNanos(time > 0 ? time : receiveTimeNanos);
        if (lr.getTimeUnixNano() != 0 && lr.getObservedTimeUnixNano() != 0
                && lr.getObservedTimeUnixNano() != lr.getTimeUnixNano()) {
            b.field("observed_time_unix_nano", new FieldValue(Long.toUnsignedString(lr.getObservedTimeUnixNano()), true));
        }

        int number = lr.getSeverityNumberValue();
        String text = lr.getSeverityText();
        Level level = levelOf(number);
        if (level == null) {
            Level parsed = text.isEmpty() ? null : Level.parse(text);
            level = parsed == null ? Level.UNSET : parsed;
        }
        b.level(level);
        if (number != 0 && !isBaseSeverity(number)) {
            b.field("severity_number", new FieldValue(Integer.toString(number), true)); // INFO2..INFO4 etc.: finer than the level
        }
        if (!text.isEmpty() && Level.parse(text) != level) {
            b.field("severity_text", text); // says more than the level, or does not map to it
        }

        AnyValue body = lr.getBody();
        if (body.hasStringValue()) {
            b.message(body.getStringValue());
        } else if (body.getValueCase() != AnyValue.ValueCase.VALUE_NOT_SET) {
            b.message(toJson(body));
        }

        if (!lr.getTraceId().isEmpty()) {
            b.field("trace_id", hex(lr.getTraceId()));
        }
        if (!lr.getSpanId().isEmpty()) {
            b.field("span_id", hex(lr.getSpanId()));
        }
        if (lr.getFlags() != 0) {
            b.field("trace_flags", new FieldValue(Integer.toUnsignedString(lr.getFlags()), true));
        }
        if (!lr.getEventName().isEmpty()) {
            b.field("event_name", lr.getEventName());
        }
        for (int i = 0; i < scope.names().length; i++) {
            b.field(scope.names()[i], scope.values()[i]);
        }
        for (int i = 0; i < resource.names().length; i++) {
            b.field(resource.names()[i], resource.values()[i]);
        }
        if (lr.getDroppedAttributesCount() != 0) {
            b.field("dropped_attributes_count", new FieldValue(Integer.toUnsignedString(lr.getDroppedAttributesCount()), true));
        }
        // Log attributes last, under their own key; one that collides with a name set above keeps
        // both: the attribute goes under attributes.<key>.
        for (KeyValue kv : lr.getAttributesList()) {
            String key = kv.getKey();
            if (isMappedName(key)) {
                key = "attributes." + key;
            }
            put(b, key, kv.getValue());
        }
        if (invalidUtf8) {
            b.flag(RecordFlag.INVALID_UTF8); // its strings have U+FFFD for the bytes that were not UTF-8
        }
        return b.build();
    }

    /** Names the mapping itself sets: an attribute of that name goes under {@code attributes.<key>}. */
    private static boolean isMappedName(String key) {
        return switch (key) {
            case "trace_id", "span_id", "trace_flags", "event_name", "severity_number", "severity_text",
                 "observed_time_unix_nano", "dropped_attributes_count" -> true;
            default -> key.startsWith("scope.") || key.startsWith("resource.") || key.startsWith("attributes.");
        };
    }

    private static void put(LogRecord.Builder b, String name, AnyValue value) {
        b.field(name, valueOf(value));
    }

    private static FieldValue valueOf(AnyValue value) {
        return value.hasStringValue() ? FieldValue.string(value.getStringValue()) : new FieldValue(toJson(value), true);
    }

    /**
     * The OpenTelemetry severity number's level: 1-4 TRACE, 5-8 DEBUG, 9-12 INFO, 13-16 WARN, 17-20
     * ERROR, 21-24 FATAL; null for 0 (unspecified) or out of range.
     */
    static Level levelOf(int severityNumber) {
        if (severityNumber < 1 || severityNumber > 24) {
            return null;
        }
        return switch ((severityNumber - 1) / 4) {
            case 0 -> Level.TRACE;
            case 1 -> Level.DEBUG;
            case 2 -> Level.INFO;
            case 3 -> Level.WARN;
            case 4 -> Level.ERROR;
            default -> Level.FATAL;
        };
    }

    private static boolean isBaseSeverity(int n) {
        return n >= 1 && n <= 24 && (n - 1) % 4 == 0;
    }

    static String hex(ByteString bytes) {
        char[] c = new char[bytes.size() * 2];
        for (int i = 0; i < bytes.size(); i++) {
            int v = bytes.byteAt(i) & 0xff;
            c[2 * i] = HEX[v >>> 4];
            c[2 * i + 1] = HEX[v & 0xf];
        }
        return new String(c);
    }

    /** An {@code AnyValue} as JSON: kvlist → object, array → array, bytes → base64 string; NaN and infinities as strings. */
    static String toJson(AnyValue v) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            write(g, v);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return w.toString();
    }

    private static void write(JsonGenerator g, AnyValue v) throws IOException {
        switch (v.getValueCase()) {
            case STRING_VALUE -> g.writeString(v.getStringValue());
            case BOOL_VALUE -> g.writeBoolean(v.getBoolValue());
            case INT_VALUE -> g.writeNumber(v.getIntValue());
            case DOUBLE_VALUE -> {
                double d = v.getDoubleValue();
                if (Double.isFinite(d)) {
                    g.writeNumber(d);
                } else {
                    g.writeString(Double.toString(d));
                }
            }
            case BYTES_VALUE -> g.writeString(Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray()));
            case ARRAY_VALUE -> {
                g.writeStartArray();
                for (AnyValue e : v.getArrayValue().getValuesList()) {
                    write(g, e);
                }
                g.writeEndArray();
            }
            case KVLIST_VALUE -> {
                g.writeStartObject();
                for (KeyValue kv : v.getKvlistValue().getValuesList()) {
                    g.writeFieldName(kv.getKey());
                    write(g, kv.getValue());
                }
                g.writeEndObject();
            }
            default -> g.writeNull();
        }
    }
}
